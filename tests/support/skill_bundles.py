"""Realistic Agent Skills bundles for tests: several text files and a binary asset."""

from __future__ import annotations

import base64
import io
import struct
import zipfile
import zlib

SKILL_MD = """---
name: pdf-forms
description: Fill in PDF forms from structured data. Use when the user asks to complete a PDF form.
license: Apache-2.0
metadata:
  owner: platform-team
---
# Filling PDF forms

1. Run `scripts/extract_fields.py form.pdf` to list the form's fields.
2. Map the user's data onto the fields; see references/FIELDS.md for naming rules.
3. Run `scripts/fill.sh form.pdf data.json out.pdf`.
"""

EXTRACT = '''#!/usr/bin/env python3
"""List the fillable fields of a PDF form."""
import sys


def main(path: str) -> None:
    print(f"fields of {path}")


if __name__ == "__main__":
    main(sys.argv[1])
'''

FILL = """#!/bin/sh
set -eu
python3 "$(dirname "$0")/extract_fields.py" "$1" >/dev/null
echo "filled $1 -> $3"
"""

FIELDS = """# Field naming

- Text fields: `text_<name>`
- Check boxes: `cb_<name>`
"""

# A real PNG header, NUL bytes included: binary, allowed under assets/.
LOGO = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + bytes(40)


def realistic_files() -> dict[str, bytes]:
    return {
        "SKILL.md": SKILL_MD.encode(),
        "scripts/extract_fields.py": EXTRACT.encode(),
        "scripts/fill.sh": FILL.encode(),
        "references/FIELDS.md": FIELDS.encode(),
        "assets/logo.png": LOGO,
        "assets/template.json": b'{"title": "Form", "pages": 2}\n',
    }


def as_json_files(files: dict[str, bytes]) -> dict[str, object]:
    """The JSON upload form: text as strings, binary as {"base64": ...}."""
    out: dict[str, object] = {}
    for path, data in files.items():
        try:
            out[path] = data.decode("utf-8") if b"\x00" not in data else None
        except UnicodeDecodeError:
            out[path] = None
        if out[path] is None:
            out[path] = {"base64": base64.b64encode(data).decode()}
    return out


def as_zip(files: dict[str, bytes], *, prefix: str = "", reverse: bool = False) -> bytes:
    """A zip as a person would make it: their own order, timestamps and compression."""
    buffer = io.BytesIO()
    paths = sorted(files, reverse=reverse)
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in paths:
            info = zipfile.ZipInfo(prefix + path, date_time=(2024, 5, 17, 12, 30, 0))
            archive.writestr(info, files[path], compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def raw_zip(entries: list[tuple[str, bytes]]) -> bytes:
    """Any entries at all, duplicates and hostile names included (zipfile warns, allows)."""
    buffer = io.BytesIO()
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with zipfile.ZipFile(buffer, "w") as archive:
            for name, data in entries:
                archive.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), data)
    return buffer.getvalue()


def skill_md(name: str = "pdf-forms", description: str = "Does things.", body: str = "Go.\n"):
    return f"---\nname: {name}\ndescription: {description}\n---\n{body}".encode()


def zipped(entries: list[tuple[str, bytes, int]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data, method in entries:
            archive.writestr(zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0)), data, method)
    return buffer.getvalue()


def lie_about(archive: bytes, name: str, size: int, crc: int) -> bytes:
    """Patch the entry's declared size and CRC in its local header and the central
    directory, so that a reader trusting them keeps only its first `size` bytes."""
    patched = bytearray(archive)
    info = zipfile.ZipFile(io.BytesIO(archive)).getinfo(name)
    struct.pack_into("<LLL", patched, info.header_offset + 14, crc, info.compress_size, size)
    central = patched.index(b"PK\x01\x02")
    while patched[central + 46 : central + 46 + len(name)] != name.encode():
        central = patched.index(b"PK\x01\x02", central + 4)
    struct.pack_into("<LLL", patched, central + 16, crc, info.compress_size, size)
    return bytes(patched)


def bomb(name: str, method: int, declared: int = 100, inflated: int | None = None) -> bytes:
    """A SKILL.md and `name`: 16 MiB of zeros (or `inflated` bytes) declaring `declared`,
    with the CRC of its first `declared` bytes, so a reader trusting the header truncates
    it without noticing."""
    size = 16 * 1024 * 1024 if inflated is None else inflated
    archive = zipped([("SKILL.md", skill_md(), zipfile.ZIP_DEFLATED), (name, bytes(size), method)])
    return lie_about(archive, name, declared, zlib.crc32(bytes(declared)))
