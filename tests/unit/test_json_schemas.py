"""JSON Schemas are checked against their metaschema; documents against schemas."""

from __future__ import annotations

import pytest

from domain.catalog.json_schemas import check_schema, require_valid, violations
from domain.core.errors import InvalidInput

SCHEMA = {
    "type": "object",
    "properties": {
        "url": {"type": "string", "format": "uri"},
        "retries": {"type": "integer", "minimum": 0},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["url"],
    "additionalProperties": False,
}


def test_valid_schemas_pass_including_older_drafts():
    assert check_schema(SCHEMA, "input_schema") is SCHEMA
    draft7 = {"$schema": "http://json-schema.org/draft-07/schema#", "type": "string"}
    assert check_schema(draft7, "input_schema") is draft7


@pytest.mark.parametrize(
    ("schema", "field", "words"),
    [
        ({"type": "nope"}, "input_schema/type", "not a valid JSON Schema"),
        ({"properties": {"a": {"minimum": "zero"}}}, "input_schema/properties/a/minimum", "number"),
        ({"required": "url"}, "input_schema/required", "not a valid JSON Schema"),
        ({"$schema": "https://example.com/my-draft"}, "input_schema.$schema", "unknown $schema"),
        (["not", "an", "object"], "input_schema", "JSON Schema object"),
    ],
)
def test_invalid_schemas_name_the_fault(schema, field, words):
    with pytest.raises(InvalidInput) as caught:
        check_schema(schema, "input_schema")
    assert caught.value.field == field
    assert words in caught.value.message


def test_violations_are_json_pointers_in_a_stable_order():
    found = violations(SCHEMA, {"retries": -1, "tags": ["ok", 3], "extra": 1})
    assert [v["path"] for v in found] == ["", "", "/retries", "/tags/1"]
    assert any("'url' is a required property" in v["message"] for v in found)
    assert violations(SCHEMA, {"url": "https://x.test/a", "retries": 2}) == []


def test_formats_are_checked():
    assert violations({"type": "string", "format": "date"}, "2024-02-30") != []
    assert violations({"type": "string", "format": "date"}, "2024-02-28") == []


def test_require_valid_lists_every_violation():
    with pytest.raises(InvalidInput) as caught:
        require_valid(SCHEMA, {"retries": "x"}, "content", "content")
    assert caught.value.field == "content"
    assert [e["field"] for e in caught.value.errors] == ["content", "content/retries"]


def test_unresolvable_refs_are_input_errors_not_crashes():
    with pytest.raises(InvalidInput, match="cannot be resolved"):
        violations({"$ref": "https://example.com/elsewhere.json"}, {})
