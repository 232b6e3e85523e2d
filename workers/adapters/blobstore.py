"""Filesystem blob store: content-addressed files under `<root>/sha256/ab/cd/<hex>`.

Writes go to a temporary file in the same directory and are renamed into place, so a
reader never sees a partial blob and a crash leaves at most a stray temporary file.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from domain.catalog.blobs import BlobMissing, digest_of, ref_for


class FileBlobStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_of(self, ref: str) -> Path:
        digest = digest_of(ref)
        return self.root / "sha256" / digest[:2] / digest[2:4] / digest

    def put(self, data: bytes) -> str:
        ref = ref_for(data)
        target = self.path_of(ref)
        if target.is_file() and target.stat().st_size == len(data):
            return ref
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _fsync_dir(target.parent)
        return ref

    def get(self, ref: str) -> bytes:
        try:
            data = self.path_of(ref).read_bytes()
        except FileNotFoundError:
            raise BlobMissing(f"blob {ref} is not in the store") from None
        if "sha256:" + hashlib.sha256(data).hexdigest() != ref:
            raise BlobMissing(f"blob {ref} is corrupt (its bytes do not match its hash)")
        return data

    def exists(self, ref: str) -> bool:
        return self.path_of(ref).is_file()


def _fsync_dir(directory: Path) -> None:
    """Make the rename durable: the directory entry is what a crash would lose."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
