"""JSON bodies rendered by orjson: UUIDs, datetimes and enums natively, in one C call.

FastAPI's `jsonable_encoder` walks every value in Python before `json.dumps` walks it
again, on every response the hot path answers.
"""

from __future__ import annotations

import json
import math
from typing import Any

import orjson
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel

_OPTIONS = orjson.OPT_NON_STR_KEYS


def _fallback(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, (set, frozenset)):
        return list(value)
    return jsonable_encoder(value)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None  # as orjson renders it
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_finite(item) for item in value]
    return value


def _exact(content: Any) -> bytes:
    plain = _finite(jsonable_encoder(content))
    return json.dumps(plain, separators=(",", ":"), allow_nan=False).encode()


def dumps(content: Any) -> bytes:
    try:
        return orjson.dumps(content, default=_fallback, option=_OPTIONS)
    except orjson.JSONEncodeError:
        # orjson stops at integers beyond 64 bits and lone surrogates; a value stored before
        # the edge refused them (api/edge.py) is still answered, exactly, never with a 500.
        return _exact(content)


class FastJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return dumps(content)
