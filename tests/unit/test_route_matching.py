"""Globs on type and source, and workflow-id templates over a CloudEvent."""

from __future__ import annotations

import pytest

from domain.core.errors import InvalidInput
from domain.routing.matching import (
    MissingKey,
    render_target,
    source_matches,
    type_matches,
    validate_template,
)

EVENT = {"type": "io.signalyard.task.completed.v1", "data": {"task_id": "t1", "items": [7]}}


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("io.signalyard.task.completed.v1", "io.signalyard.task.completed.v1", True),
        ("io.signalyard.task.*.v1", "io.signalyard.task.completed.v1", True),
        ("io.signalyard.*.v1", "io.signalyard.task.completed.v1", False),
        ("io.signalyard.**", "io.signalyard.task.completed.v1", True),
        ("io.signalyard.task.complete?.v1", "io.signalyard.task.completed.v1", True),
        ("io.signalyard.task.[a-z]*.v1", "io.signalyard.task.completed.v1", False),
        ("io.signalyard.task.completed.v1", "io_signalyard.task.completed.v1", False),
    ],
)
def test_type_globs_match_within_a_segment(pattern, value, expected):
    assert type_matches(pattern, value) is expected


def test_source_globs_split_on_slashes():
    assert source_matches("/orgs/*/tasks/*", "/orgs/o1/tasks/t1")
    assert not source_matches("/orgs/*", "/orgs/o1/tasks/t1")
    assert source_matches("/orgs/o1/**", "/orgs/o1/tasks/t1")
    assert not source_matches("*", None)


def test_a_template_takes_dotted_paths_and_doubled_braces():
    assert render_target("task-{data.task_id}", EVENT) == "task-t1"
    assert render_target("{{x}}-{data.items.0}", EVENT) == "{x}-7"


@pytest.mark.parametrize("path", ["data.nope", "data", "data.items.3"])
def test_a_missing_or_non_scalar_value_is_named(path):
    with pytest.raises(MissingKey, match=path):
        render_target("{" + path + "}", EVENT)


@pytest.mark.parametrize("template", ["{0}", "{data.__class__!r}", "a{b", "x}", "{data[0]}"])
def test_format_string_tricks_are_rejected(template):
    with pytest.raises(InvalidInput) as raised:
        validate_template(template)
    assert raised.value.field == "target_wf_id"
