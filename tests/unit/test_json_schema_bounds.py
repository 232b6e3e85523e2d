"""Validation cannot be made slow: patterns run in linear time, and schemas and the
documents checked against them are bounded in size and depth (limits in schema_limits)."""

from __future__ import annotations

import pytest
from support.deadline import finished_within

from domain.catalog.json_schemas import check_schema, violations
from domain.catalog.schema_limits import (
    MAX_DOCUMENT_BYTES,
    MAX_DOCUMENT_DEPTH,
    MAX_SCHEMA_BYTES,
    MAX_SCHEMA_DEPTH,
)
from domain.core.errors import InvalidInput, TooLarge

EVIL = "^(a+)+$"  # backtracking time doubles with every 'a' before the '!'
EVIL_INPUT = "a" * 40 + "!"


@pytest.mark.parametrize(
    ("schema", "instance"),
    [
        ({"type": "string", "pattern": EVIL}, EVIL_INPUT),
        (
            {"type": "object", "patternProperties": {EVIL: {"type": "integer"}}},
            {EVIL_INPUT: "x", "a" * 40: "x"},
        ),
        (
            {"type": "object", "patternProperties": {EVIL: {}}, "additionalProperties": False},
            {EVIL_INPUT: 1},
        ),
        ({"type": "object", "propertyNames": {"pattern": EVIL}}, {EVIL_INPUT: 1}),
    ],
)
def test_a_backtracking_pattern_is_decided_at_once(schema, instance):
    check_schema(schema, "input_schema")
    found = finished_within(5, violations, schema, instance)
    assert len(found) == 1


def test_patterns_still_mean_what_they_say():
    schema = {
        "type": "object",
        "properties": {"code": {"type": "string", "pattern": "^[A-Z]{3}-\\d+$"}},
        "patternProperties": {"^x-": {"type": "string"}},
        "additionalProperties": False,
    }
    assert violations(schema, {"code": "ABC-12", "x-note": "ok"}) == []
    found = violations(schema, {"code": "abc", "x-note": 1, "other": 1})
    messages = " ".join(v["message"] for v in found)
    assert "does not match" in messages and "'other' does not match any of the regexes" in messages
    assert [v["path"] for v in found] == ["", "/code", "/x-note"]


@pytest.mark.parametrize(
    ("schema", "field"),
    [
        ({"properties": {"x": {"pattern": "(a)\\1"}}}, "input_schema.properties.x.pattern"),
        ({"pattern": "(?=a)b"}, "input_schema.pattern"),
        ({"patternProperties": {"(?<!a)b": {}}}, "input_schema.patternProperties.(?<!a)b"),
    ],
)
def test_patterns_without_a_linear_time_engine_are_refused_naming_the_field(schema, field):
    with pytest.raises(InvalidInput, match="RE2") as caught:
        check_schema(schema, "input_schema")
    assert caught.value.field == field


def test_unevaluated_properties_is_not_mixed_with_pattern_properties():
    schema = {"patternProperties": {"^a": {}}, "allOf": [{"unevaluatedProperties": False}]}
    with pytest.raises(InvalidInput, match="patternProperties") as caught:
        check_schema(schema, "schema")
    assert caught.value.field == "schema.allOf.0.unevaluatedProperties"


def nested(levels: int) -> dict:
    schema: dict = {"type": "string"}
    for _ in range(levels):
        schema = {"type": "object", "properties": {"a": schema}}
    return schema


def test_a_schema_nested_too_deep_is_refused_naming_the_field():
    check_schema(nested(MAX_SCHEMA_DEPTH // 2 - 1), "input_schema")
    for levels in (MAX_SCHEMA_DEPTH // 2 + 1, 5000):
        with pytest.raises(InvalidInput, match=f"deeper than {MAX_SCHEMA_DEPTH}") as caught:
            check_schema(nested(levels), "input_schema")
        assert caught.value.field == "input_schema"


def test_a_schema_over_the_byte_limit_is_too_large():
    big = {"description": "x" * MAX_SCHEMA_BYTES}
    with pytest.raises(TooLarge, match=str(MAX_SCHEMA_BYTES)) as caught:
        check_schema(big, "input_schema")
    assert caught.value.field == "input_schema"


def test_documents_over_the_limits_are_refused_naming_the_field():
    with pytest.raises(TooLarge, match=str(MAX_DOCUMENT_BYTES)) as caught:
        violations({"type": "array"}, ["x" * 1000] * (MAX_DOCUMENT_BYTES // 1000 + 1))
    assert caught.value.field == "input"
    deep: list = []
    for _ in range(MAX_DOCUMENT_DEPTH):
        deep = [deep]
    with pytest.raises(InvalidInput, match=f"deeper than {MAX_DOCUMENT_DEPTH}") as caught:
        violations({}, deep)
    assert caught.value.field == "input"


def test_a_recursive_schema_handles_the_deepest_allowed_document():
    schema = {"type": "object", "additionalProperties": {"$ref": "#"}}
    document: dict = {}
    for _ in range(MAX_DOCUMENT_DEPTH - 1):
        document = {"a": document}
    assert finished_within(5, violations, check_schema(schema, "s"), document) == []


def test_a_schema_that_refers_to_itself_without_end_is_an_input_error():
    with pytest.raises(InvalidInput, match="without end"):
        violations({"$ref": "#"}, {})


def test_unique_items_on_a_long_array_is_decided_at_once():
    schema = {"type": "array", "uniqueItems": True}
    items = [{"n": n} for n in range(20_000)]
    assert finished_within(5, violations, schema, items) == []
    found = violations(schema, [{"n": 1}, {"n": 1.0}])
    assert len(found) == 1 and "unique" in found[0]["message"]
    assert violations(schema, [1, True, [0], [False]]) == []
