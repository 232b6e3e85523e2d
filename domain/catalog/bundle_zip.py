"""Reading a skill bundle's zip, measured by what its entries inflate to.

A zip header can declare any size: a 659-byte bzip2 entry declaring 100 bytes inflates to
512 MiB. So every entry is inflated here, from its compressed bytes, through a stream that
stops one byte past what is left of the budget, and must then be the size it declares.
"""

from __future__ import annotations

import io
import stat
import struct
import zipfile
import zlib
from typing import Protocol

from domain.catalog.bundle_paths import SKILL_FILE, check_path, check_unique, file_field
from domain.core.errors import InvalidInput, TooLarge

MAX_FILES = 1000
MAX_ENTRIES = 2 * MAX_FILES  # every entry: directories and macOS metadata too
METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflated"}
_CHUNK = 64 * 1024
_LOCAL_HEADER = 30  # bytes before the entry's name and extra field
_JUNK = ("__MACOSX/",)


class Stream(Protocol):
    def read(self, size: int) -> bytes: ...


class _Stored:
    def __init__(self, raw: memoryview) -> None:
        self.raw, self.at = raw, 0

    def read(self, size: int) -> bytes:
        chunk = bytes(self.raw[self.at : self.at + size])
        self.at += len(chunk)
        return chunk


class _Deflated:
    """Never more than `size` bytes out per read, whatever the compressed data holds."""

    def __init__(self, raw: memoryview) -> None:
        self.raw, self.at = raw, 0
        self.inflater = zlib.decompressobj(-zlib.MAX_WBITS)

    def read(self, size: int) -> bytes:
        while not self.inflater.eof:
            pending = self.inflater.unconsumed_tail or self.raw[self.at : self.at + _CHUNK]
            if not self.inflater.unconsumed_tail:
                self.at += len(pending)
            if not pending:
                raise zlib.error("the compressed data ends early")
            out = self.inflater.decompress(pending, size)
            if out:
                return out
        return b""


def _unreadable(name: str) -> InvalidInput:
    return InvalidInput("entry cannot be read (corrupt zip data)", field=file_field(name))


def open_entry(archive: bytes, info: zipfile.ZipInfo) -> Stream:
    """The entry's inflating stream, read from its own compressed bytes."""
    view = memoryview(archive)
    start = info.header_offset
    header = view[start : start + _LOCAL_HEADER]
    if len(header) < _LOCAL_HEADER or header[:4].tobytes() != b"PK\x03\x04":
        raise _unreadable(info.filename)
    name_length, extra_length = struct.unpack_from("<HH", header, 26)
    begin = start + _LOCAL_HEADER + name_length + extra_length
    raw = view[begin : begin + info.compress_size]
    if len(raw) != info.compress_size:
        raise _unreadable(info.filename)
    return _Stored(raw) if info.compress_type == zipfile.ZIP_STORED else _Deflated(raw)


def _read_within(stream: Stream, budget: int, max_bytes: int, name: str) -> bytes:
    parts: list[bytes] = []
    total = 0
    while True:
        try:
            chunk = stream.read(min(_CHUNK, budget + 1 - total))
        except zlib.error:
            raise _unreadable(name) from None
        if not chunk:
            return b"".join(parts)
        total += len(chunk)
        if total > budget:
            raise TooLarge(
                f"inflates past the bundle's limit of {max_bytes} bytes unpacked",
                field=file_field(name),
            )
        parts.append(chunk)


def _open_zip(archive: bytes) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(archive))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError):
        raise InvalidInput("bundle is not a valid zip archive", field="bundle") from None


def _checked_entries(archive: zipfile.ZipFile, max_bytes: int) -> list[zipfile.ZipInfo]:
    infos = archive.infolist()
    if len(infos) > MAX_ENTRIES:
        raise InvalidInput(
            f"a bundle zip holds at most {MAX_ENTRIES} entries (directories included)",
            field="bundle",
        )
    entries = []
    for info in infos:
        name = info.filename
        if name.startswith(_JUNK) or name.rsplit("/", 1)[-1] == ".DS_Store":
            continue
        check_path(name.removesuffix("/") if info.is_dir() else name)
        if info.is_dir():
            continue
        if stat.S_ISLNK(info.external_attr >> 16):
            raise InvalidInput("symbolic links are not allowed in a bundle", field=file_field(name))
        if info.flag_bits & 0x1:
            raise InvalidInput("encrypted entries are not supported", field=file_field(name))
        if info.compress_type not in METHODS:
            raise InvalidInput(
                f"compression method {info.compress_type} is not supported; "
                f"use {' or '.join(METHODS.values())}",
                field=file_field(name),
            )
        entries.append(info)
    if len(entries) > MAX_FILES:
        raise InvalidInput(f"a bundle holds at most {MAX_FILES} files", field="bundle")
    check_unique([info.filename for info in entries])
    # Declared sizes first: an honest bomb is refused before anything is inflated.
    check_size(sum(info.file_size for info in entries), max_bytes)
    return entries


def check_size(total: int, max_bytes: int) -> None:
    if total > max_bytes:
        raise TooLarge(
            f"bundle is {total} bytes unpacked; the limit is {max_bytes} bytes", field="bundle"
        )


def _strip_wrapper(files: dict[str, bytes]) -> dict[str, bytes]:
    """`zip -r my-skill.zip my-skill/` wraps everything in one folder: unwrap it."""
    if SKILL_FILE in files or not files:
        return files
    tops = {path.split("/", 1)[0] for path in files}
    if len(tops) != 1 or not all("/" in path for path in files):
        return files
    top = tops.pop() + "/"
    if top + SKILL_FILE not in files:
        return files
    return {path.removeprefix(top): data for path, data in files.items()}


def files_from_zip(archive: bytes, max_bytes: int) -> dict[str, bytes]:
    with _open_zip(archive) as opened:
        entries = _checked_entries(opened, max_bytes)
    files: dict[str, bytes] = {}
    budget = max_bytes
    for info in entries:
        name = info.filename
        data = _read_within(open_entry(archive, info), budget, max_bytes, name)
        if len(data) != info.file_size:
            raise InvalidInput(
                f"entry declares {info.file_size} bytes but holds {len(data)}",
                field=file_field(name),
            )
        if zlib.crc32(data) != info.CRC:
            raise InvalidInput(
                "entry is corrupt (its CRC-32 does not match)", field=file_field(name)
            )
        budget -= len(data)
        files[name] = data
    return _strip_wrapper(files)
