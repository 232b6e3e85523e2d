"""A user's schema reaches nothing outside itself: only references within the document
and to the bundled metaschemas resolve, and any other is refused when it is written."""

from __future__ import annotations

import json
import uuid

import pytest
from support.listener import listening

from domain.catalog.json_schemas import check_schema, violations
from domain.core.errors import InvalidInput


def with_ref(ref: str) -> dict:
    return {"type": "object", "properties": {"x": {"$ref": ref}}}


def secret_file(tmp_path) -> tuple[str, str]:
    secret = f"sekrit-{uuid.uuid4().hex}"
    path = tmp_path / "secret.json"
    path.write_text(json.dumps({"const": secret}))
    return path.as_uri(), secret


def test_a_ref_to_a_network_address_is_refused_at_write_naming_the_field():
    with listening() as listener:
        with pytest.raises(InvalidInput) as caught:
            check_schema(with_ref(listener.url + "/x.json"), "input_schema")
        assert caught.value.field == "input_schema.properties.x.$ref"
        assert listener.url + "/x.json" in caught.value.message
    assert listener.connections == []


def test_a_ref_to_a_local_file_is_refused_at_write(tmp_path):
    uri, secret = secret_file(tmp_path)
    with pytest.raises(InvalidInput) as caught:
        check_schema(with_ref(uri), "schema")
    assert caught.value.field == "schema.properties.x.$ref"
    assert secret not in caught.value.message


def test_a_stored_schema_with_outside_refs_is_never_fetched_when_validating(tmp_path):
    uri, secret = secret_file(tmp_path)
    with listening() as listener:
        for schema in (with_ref(listener.url + "/x.json"), with_ref(uri)):
            with pytest.raises(InvalidInput) as caught:
                violations(schema, {"x": "anything"})
            assert secret not in caught.value.message
    assert listener.connections == []


@pytest.mark.parametrize(
    "schema",
    [
        {"$defs": {"a": {"type": "string"}}, "properties": {"x": {"$ref": "#/$defs/a"}}},
        {"$defs": {"a": {"$anchor": "here", "type": "string"}}, "$ref": "#here"},
        {"properties": {"x": {"$ref": "#"}}},
        {
            "$id": "https://schemas.example/root.json",
            "$defs": {"a": {"$id": "item.json", "type": "string"}},
            "properties": {"x": {"$ref": "item.json"}, "y": {"$ref": "root.json#/$defs/a"}},
        },
        {"$ref": "https://json-schema.org/draft/2020-12/schema"},
        {
            "$schema": "http://json-schema.org/draft-07/schema#",
            "definitions": {"a": {"type": "string"}},
            "properties": {"x": {"$ref": "#/definitions/a"}},
        },
    ],
)
def test_refs_within_the_document_and_to_metaschemas_resolve(schema):
    assert check_schema(schema, "input_schema") is schema
    assert isinstance(violations(schema, {"x": 1}), list)


@pytest.mark.parametrize(
    ("schema", "field"),
    [
        ({"properties": {"x": {"$ref": "#/$defs/missing"}}}, "schema.properties.x.$ref"),
        ({"items": {"$ref": "other.json"}}, "schema.items.$ref"),
        (
            {"allOf": [{}, {"$ref": "urn:uuid:0f5b9cb8-5bd6-4d3c-8f1e-4c0c3f1f7c8a"}]},
            "schema.allOf.1.$ref",
        ),
        ({"$id": "https://schemas.example/a.json", "$ref": "b.json"}, "schema.$ref"),
        ({"$dynamicRef": "https://schemas.example/elsewhere#meta"}, "schema.$dynamicRef"),
    ],
)
def test_refs_that_leave_the_document_are_refused(schema, field):
    with pytest.raises(InvalidInput, match="does not resolve") as caught:
        check_schema(schema, "schema")
    assert caught.value.field == field


def test_a_ref_inside_data_is_only_data():
    schema = {"const": {"$ref": "https://elsewhere.example/x.json"}}
    assert check_schema(schema, "schema") is schema
