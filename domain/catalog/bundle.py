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
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from domain.catalog.bundle_paths import (
    SKILL_FILE,
    check_path,
    check_unique,
    file_field,
    must_be_text,
)
from domain.catalog.front_matter import SkillDocument, parse_skill_md
from domain.core.errors import InvalidInput, TooLarge

MAX_FILES = 1000
CANONICAL_HEADER = b"signalyard-skill-bundle/v1\n"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can say: no clock in the bytes
_JUNK = ("__MACOSX/",)


def is_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _check_size(total: int, max_bytes: int) -> None:
    if total > max_bytes:
        raise TooLarge(
            f"bundle is {total} bytes unpacked; the limit is {max_bytes} bytes", field="bundle"
        )


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
        _check_size(sum(len(data) for data in files.values()), max_bytes)
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
    def manifest(self) -> list[dict]:
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


def _open_zip(archive: bytes) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(archive))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError):
        raise InvalidInput("bundle is not a valid zip archive", field="bundle") from None


def _checked_entries(archive: zipfile.ZipFile, max_bytes: int) -> list[zipfile.ZipInfo]:
    entries = []
    for info in archive.infolist():
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
        entries.append(info)
    if len(entries) > MAX_FILES:
        raise InvalidInput(f"a bundle holds at most {MAX_FILES} files", field="bundle")
    check_unique([info.filename for info in entries])
    # Declared sizes first, so a zip bomb is refused before anything is inflated.
    _check_size(sum(info.file_size for info in entries), max_bytes)
    return entries


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
        files: dict[str, bytes] = {}
        for info in _checked_entries(opened, max_bytes):
            try:
                files[info.filename] = opened.read(info)
            except (
                zipfile.BadZipFile,
                zlib.error,
                NotImplementedError,
                RuntimeError,
                ValueError,
                EOFError,
                OSError,
            ):
                raise InvalidInput(
                    "entry cannot be read (corrupt or unsupported compression)",
                    field=file_field(info.filename),
                ) from None
    return _strip_wrapper(files)


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
