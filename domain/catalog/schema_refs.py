"""What a user's schema may refer to: itself and the bundled metaschemas, nothing else.

jsonschema, left to itself, fetches any other `$ref` (http:, file:) when it meets one
while validating: a way for any member to make the server reach out, or read its files.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from jsonschema_specifications import REGISTRY as METASCHEMAS
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource, Unresolvable
from referencing.jsonschema import DRAFT202012, specification_with

from domain.core.errors import InvalidInput

REF_KEYWORDS = ("$ref", "$dynamicRef", "$recursiveRef")


def _refuse(uri: str) -> Resource:
    # referencing's stub declares its attrs classes with a dataclass_transform spelling
    # mypy does not read, so their fields are unknown to it.
    raise NoSuchResource(ref=uri)  # type: ignore[call-arg]


# The bundled metaschemas, and never a retrieval: not the network, not a file.
REGISTRY: Registry[Any] = Registry(retrieve=_refuse).combine(METASCHEMAS)  # type: ignore[call-arg]  # as above


def _paths(document: Any, field: str) -> dict[int, str]:
    """Every object of the document by identity -> its dotted path (`schema.properties.x`)."""
    paths: dict[int, str] = {}
    stack = [(document, field)]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            paths[id(node)] = path
            stack.extend((value, f"{path}.{key}") for key, value in node.items())
        elif isinstance(node, list):
            stack.extend((value, f"{path}.{index}") for index, value in enumerate(node))
    return paths


def subschemas(
    schema: dict[str, Any], dialect: str, field: str
) -> Iterator[tuple[dict[str, Any], str, Any]]:
    """(subschema, its path, a resolver at its base URI) for every schema object in
    `schema`, as its dialect defines them: a `$ref` inside a `const` is data, not a ref."""
    spec = specification_with(dialect, default=DRAFT202012)
    root = spec.create_resource(schema)
    paths = _paths(schema, field)
    stack: list[tuple[Resource, Any]] = [(root, REGISTRY.resolver_with_root(root))]
    while stack:
        resource, resolver = stack.pop()
        if isinstance(resource.contents, dict):
            yield resource.contents, paths[id(resource.contents)], resolver
        children = list(resource.subresources())
        stack.extend((child, resolver.in_subresource(child)) for child in reversed(children))


def check_refs(schema: dict[str, Any], dialect: str, field: str) -> None:
    for node, path, resolver in subschemas(schema, dialect, field):
        for keyword in REF_KEYWORDS:
            ref = node.get(keyword)
            if not isinstance(ref, str):
                continue
            try:
                resolver.lookup(ref)
            except Unresolvable:
                raise InvalidInput(
                    f"{keyword} {ref!r} does not resolve within the schema: only references "
                    "inside the schema itself and to the standard metaschemas are allowed",
                    field=f"{path}.{keyword}",
                ) from None
