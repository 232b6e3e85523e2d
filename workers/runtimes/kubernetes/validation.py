"""Every manifest is checked against the official schemas of the Kubernetes version we
target before it is sent, and the enum values those schemas leave unchecked, here."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import jsonschema
from kubernetes_validate.utils import schema_contents
from referencing import Registry, Resource

TARGET_VERSION = "1.37.0"
# By the end of their path: the schemas type these as plain strings.
_ENUMS = {
    "/restartPolicy": {"Never", "OnFailure"},  # of a Job's pod: Always is refused by the server
    "/imagePullPolicy": {"Always", "IfNotPresent", "Never"},
    "/seccompProfile/type": {"RuntimeDefault", "Localhost", "Unconfined"},
    "/capabilities/drop": None,  # checked below: ALL, and nothing to add back
}
_SECRET_TYPES = {"Opaque"}


class InvalidManifest(ValueError):
    """A manifest the API server would refuse (or we never mean to send)."""


def validate(manifest: dict[str, Any], version: str = TARGET_VERSION) -> None:
    """Every schema error at once (kubernetes_validate.validate raises only the first)."""
    kind, api_version = manifest.get("kind"), manifest.get("apiVersion")
    validator = _validator(str(kind), str(api_version), version)
    errors = sorted(validator.iter_errors(manifest), key=lambda error: list(error.path))
    if errors:
        raise InvalidManifest(
            "; ".join(f"{kind} at /{'/'.join(map(str, e.path))}: {e.message}" for e in errors)
        )
    kind = manifest.get("kind")
    if kind == "Secret" and manifest.get("type") not in _SECRET_TYPES:
        raise InvalidManifest(f"Secret at /type: {manifest.get('type')!r} is not Opaque")
    for path, value in _walk(manifest, ""):
        suffix = next((end for end in _ENUMS if path.endswith(end)), None)
        if suffix is None:
            continue
        allowed = _ENUMS[suffix]
        if allowed is None:
            if value != ["ALL"]:
                raise InvalidManifest(f"{kind} at {path}: capabilities must drop ALL")
        elif value not in allowed:
            raise InvalidManifest(f"{kind} at {path}: {value!r} is not one of {sorted(allowed)}")


def _walk(node: Any, path: str) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            found.append((f"{path}/{key}", value))
            found += _walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _walk(value, f"{path}/{index}")
    return found


@lru_cache(maxsize=16)
def _validator(kind: str, api_version: str, version: str) -> jsonschema.Draft202012Validator:
    """The strict schema of a kind, loaded once (kubernetes-validate reads ~1 MB per call),
    found as kubernetes_validate.validate finds it."""
    group = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    directory = f"kubernetes-json-schema/v{version}-local-strict"
    try:
        schema = schema_contents(f"{directory}/{kind.lower()}-{group}.json", version)
    except FileNotFoundError:
        raise InvalidManifest(f"no schema for {kind} {api_version} in {version}") from None
    definitions = schema_contents(f"{directory}/_definitions.json", version)
    registry: Registry[Any] = Resource.from_contents(schema) @ Registry()
    registry = Resource.from_contents(definitions) @ registry
    return jsonschema.Draft202012Validator(schema, registry=registry)
