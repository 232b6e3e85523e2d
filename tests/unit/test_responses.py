"""A response body always renders: values orjson refuses fall back to exact plain JSON."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from api.responses import FastJSONResponse, dumps
from api.views import written
from domain.core.context import CommandResult

HUGE = 2**70


def test_integers_beyond_64_bits_render_exactly():
    guid = uuid.uuid4()
    at = datetime(2026, 1, 2, tzinfo=UTC)
    body = json.loads(dumps({"guid": guid, "at": at, "content": {"n": HUGE, "x": [-HUGE]}}))
    assert body == {
        "guid": str(guid),
        "at": at.isoformat(),
        "content": {"n": HUGE, "x": [-HUGE]},
    }


def test_non_finite_floats_render_as_null_on_either_path():
    assert json.loads(dumps({"a": float("nan")})) == {"a": None}
    assert json.loads(dumps({"a": float("inf"), "n": HUGE})) == {"a": None, "n": HUGE}


def test_lone_surrogates_render_escaped():
    assert json.loads(dumps({"s": "\ud800", "n": 1})) == {"s": "\ud800", "n": 1}


def test_a_committed_write_is_answered_with_its_status_not_500():
    result = CommandResult(guid=uuid.uuid4(), version=2, position=7)
    response = written(result, {"content": {"n": HUGE}}, "/v1/x", 201)
    assert isinstance(response, FastJSONResponse)
    assert response.status_code == 201
    assert json.loads(response.body) == {"content": {"n": HUGE}}
    assert response.headers["X-Signalyard-Position"] == "7"
