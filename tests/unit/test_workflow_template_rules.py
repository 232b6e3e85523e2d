"""The pure rules of workflow templates: where inputs come from, placeholders in briefs,
and the JSON Merge Patch of a draft."""

from __future__ import annotations

import pytest

from domain.core.errors import InvalidInput
from domain.workflows.template_draft import merge_patch, validate_draft
from domain.workflows.template_mappings import check_mapping, check_placeholders

SCHEMA = {
    "type": "object",
    "properties": {
        "repo": {"type": "object", "properties": {"url": {"type": "string"}}},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "free": {"type": "object"},
    },
}
EARLIER = {"plan": 1}


@pytest.mark.parametrize(
    "source",
    [
        "context.repo.url",
        "context.labels.anything",
        "context.free.deep.er",
        "stages.plan.output.summary",
        "stages.plan.output.items.0.name",
    ],
)
def test_mappings_that_resolve(source):
    assert check_mapping(source, "f", SCHEMA, EARLIER) == source


@pytest.mark.parametrize(
    "source",
    [
        "context.repo.branch",
        "context.missing",
        "context",
        "context.",
        "context.a..b",
        "stages.plan.output",
        "stages.plan.result.x",
        "stages.later.output.x",
        "env.HOME",
        "",
        7,
    ],
)
def test_mappings_that_do_not_resolve_name_the_field(source):
    with pytest.raises(InvalidInput) as caught:
        check_mapping(source, "stages[1].inputs.k", SCHEMA, EARLIER)
    assert caught.value.field == "stages[1].inputs.k"


def test_without_an_input_schema_any_context_path_resolves():
    assert check_mapping("context.anything.at.all", "f", None, {}) == "context.anything.at.all"


def test_only_context_and_stage_braces_are_placeholders():
    brief = 'Reply as JSON: {"ok": true}. Repo: {context.repo.url}, plan: {stages.plan.output.x}'
    check_placeholders(brief, "stages[1].brief", SCHEMA, EARLIER)
    with pytest.raises(InvalidInput) as caught:
        check_placeholders("{context.nope}", "stages[1].brief", SCHEMA, EARLIER)
    assert caught.value.field == "stages[1].brief"


def test_a_merge_patch_merges_objects_removes_nulls_and_replaces_lists():
    draft = {"input_schema": {"type": "object"}, "default_config": {"a": 1, "b": 2}, "stages": [{}]}
    patched = merge_patch(draft, {"input_schema": None, "default_config": {"b": None, "c": 3}})
    assert patched == {"default_config": {"a": 1, "c": 3}, "stages": [{}]}
    assert merge_patch(draft, {"stages": []})["stages"] == []
    assert validate_draft(patched)["input_schema"] is None


@pytest.mark.parametrize(
    ("draft", "field"),
    [
        ([], "draft"),
        ({"steps": []}, "steps"),
        ({"input_schema": "x"}, "input_schema"),
        ({"default_config": []}, "default_config"),
        ({"stages": [{}, 3]}, "stages[1]"),
        ({"stages": [{}] * 51}, "stages"),
        ({"default_config": {"x": float("nan")}}, "draft"),
    ],
)
def test_a_draft_keeps_its_shape(draft, field):
    with pytest.raises(InvalidInput) as caught:
        validate_draft(draft)
    assert caught.value.field == field
