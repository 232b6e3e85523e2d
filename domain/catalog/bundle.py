"""An Agent Skills bundle: validated files, their manifest, the canonical content hash and
a deterministic zip.

The content hash is the SHA-256 of a canonical form that depends only on each file's path
and bytes (never on upload order, zip timestamps or compression), so the same content
always hashes the same, whether it arrived as JSON or as any zip of it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import stat
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from domain.catalog.bundle_paths import (
    SKILL_FILE,
    check_path,
    check_unique,
    file_field,
    must_be_text,
)
from domain.catalog.bundle_zip import MAX_FILES, check_size, files_from_zip
from domain.catalog.front_matter import SkillDocument, parse_skill_md
from domain.core.errors import InvalidInput

CANONICAL_HEADER = b"signalyard-skill-bundle/v1\n"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can say: no clock in the bytes


def is_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@dataclass(frozen=True)
class Bundle:
    files: Mapping[str, bytes]  # path -> bytes, sorted by path
    document: SkillDocument

    @classmethod
    def from_files(cls, files: Mapping[str, bytes], max_bytes: int) -> Bundle:
        if not files:
            raise InvalidInput("a bundle needs at least a SKILL.md", field="files")
        if len(files) > MAX_FILES:
            raise InvalidInput(f"a bundle holds at most {MAX_FILES} files", field="files")
        check_size(sum(len(data) for data in files.values()), max_bytes)
        paths = [check_path(path) for path in files]
        check_unique(paths)
        if SKILL_FILE not in files:
            raise InvalidInput(
                "a bundle needs a SKILL.md at its root", field=file_field(SKILL_FILE)
            )
        for path in paths:
            if must_be_text(path) and not is_text(files[path]):
                raise InvalidInput(
                    "must be UTF-8 text (SKILL.md, scripts/ and references/ hold text)",
                    field=file_field(path),
                )
        document = parse_skill_md(files[SKILL_FILE].decode("utf-8"))
        ordered = {path: files[path] for path in sorted(paths, key=str.encode)}
        return cls(ordered, document)

    @cached_property
    def manifest(self) -> list[dict[str, Any]]:
        return [
            {
                "path": path,
                "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
                "is_text": is_text(data),
            }
            for path, data in self.files.items()
        ]

    def canonical_form(self) -> bytes:
        """One line triple per file, in byte order of the paths (which hold no newline)."""
        lines = [f"{f['path']}\n{f['size']}\n{f['sha256']}\n" for f in self.manifest]
        return CANONICAL_HEADER + "".join(lines).encode("utf-8")

    @cached_property
    def content_hash(self) -> str:
        return "sha256:" + hashlib.sha256(self.canonical_form()).hexdigest()

    def to_zip(self) -> bytes:
        return deterministic_zip(self.files)


def deterministic_zip(files: Mapping[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(files, key=str.encode):
            info = zipfile.ZipInfo(path, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # unix, so the permission bits below are honoured
            mode = 0o755 if path.startswith("scripts/") else 0o644
            info.external_attr = (stat.S_IFREG | mode) << 16
            archive.writestr(info, files[path], compresslevel=9)
    return buffer.getvalue()


def files_from_json(files: Mapping[str, object]) -> dict[str, bytes]:
    """`{path: "text"}` or `{path: {"base64": "..."}}` (for binary assets)."""
    decoded: dict[str, bytes] = {}
    for path, value in files.items():
        if isinstance(value, str):
            decoded[path] = value.encode("utf-8")
        elif isinstance(value, Mapping) and set(value) == {"base64"}:
            try:
                decoded[path] = base64.b64decode(str(value["base64"]), validate=True)
            except (binascii.Error, ValueError):
                raise InvalidInput("base64 content is not valid", field=file_field(path)) from None
        else:
            raise InvalidInput(
                'a file is a string of text or {"base64": "..."}', field=file_field(path)
            )
    return decoded


def read_bundle(
    *, files: Mapping[str, object] | None, archive: bytes | None, max_bytes: int
) -> Bundle:
    if archive is not None:
        return Bundle.from_files(files_from_zip(archive, max_bytes), max_bytes)
    if files is None:
        raise InvalidInput("send files as JSON or the bundle as a zip", field="files")
    return Bundle.from_files(files_from_json(files), max_bytes)


def unpack(archive: bytes) -> dict[str, bytes]:
    """The files of a stored bundle (written by `deterministic_zip`, so trusted)."""
    return files_from_zip(archive, max_bytes=1 << 62)
