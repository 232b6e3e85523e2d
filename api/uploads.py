"""Skill bundle uploads: JSON (`{"files": {...}}`), a raw zip body (application/zip), or
multipart/form-data with the zip in a `bundle` file field."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.datastructures import UploadFile

from api.problems import ApiProblem
from schemas import catalog as wire
from schemas.common import Request as NoFields

ZIP_TYPES = ("application/zip", "application/x-zip-compressed")


@dataclass
class BundleUpload:
    fields: dict[str, Any] = field(default_factory=dict)
    files: dict[str, Any] | None = None
    archive: bytes | None = None


def _validated(model: type[BaseModel], data: Any, *, json: bool = False) -> dict[str, Any]:
    try:
        parsed = model.model_validate_json(data) if json else model.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False)) from None
    return parsed.model_dump(exclude_unset=True)


async def _read(request: Request, json_model: type[BaseModel], fields_model: type[BaseModel]):
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type in ZIP_TYPES:
        fields = _validated(fields_model, dict(request.query_params))
        return BundleUpload(fields, None, await request.body())
    if media_type == "multipart/form-data":
        form = await request.form(max_files=1, max_fields=20)
        bundle = form.get("bundle")
        if not isinstance(bundle, UploadFile):
            raise ApiProblem(
                422,
                "Invalid input",
                "a multipart upload carries the zip in a file field named 'bundle'",
                errors=[{"field": "bundle", "message": "missing"}],
            )
        values = {k: v for k, v in form.items() if k != "bundle" and isinstance(v, str)}
        return BundleUpload(_validated(fields_model, values), None, await bundle.read())
    if media_type in ("", "application/json") or media_type.endswith("+json"):
        # Up to twice the bundle limit of JSON: parsed off the event loop.
        data = await run_in_threadpool(_validated, json_model, await request.body(), json=True)
        files = data.pop("files")
        return BundleUpload(data, files, None)
    raise ApiProblem(
        415,
        "Unsupported media type",
        "send application/json, application/zip or multipart/form-data",
    )


async def skill_create_upload(request: Request) -> BundleUpload:
    return await _read(request, wire.SkillCreate, wire.SkillFields)


async def skill_version_upload(request: Request) -> BundleUpload:
    return await _read(request, wire.SkillVersionCreate, NoFields)


SkillCreateUpload = Annotated[BundleUpload, Depends(skill_create_upload)]
SkillVersionUpload = Annotated[BundleUpload, Depends(skill_version_upload)]

_FILES_SCHEMA = {
    "type": "object",
    "description": 'path -> UTF-8 text, or {"base64": "..."}; SKILL.md is required',
    "additionalProperties": {
        "anyOf": [
            {"type": "string"},
            {
                "type": "object",
                "properties": {"base64": {"type": "string"}},
                "required": ["base64"],
            },
        ]
    },
}
_FIELD_PROPERTIES = {
    "name": {"type": "string"},
    "slug": {"type": "string"},
    "description": {"type": "string"},
    "category": {"type": "string"},
}


def upload_body(with_fields: bool) -> dict[str, Any]:
    """The request body of an upload route, for the OpenAPI document."""
    fields = _FIELD_PROPERTIES if with_fields else {}
    required = ["category", "files"] if with_fields else ["files"]
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {**fields, "files": _FILES_SCHEMA},
                        "required": required,
                    }
                },
                "application/zip": {"schema": {"type": "string", "format": "binary"}},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {**fields, "bundle": {"type": "string", "format": "binary"}},
                        "required": ["bundle"],
                    }
                },
            },
        }
    }
