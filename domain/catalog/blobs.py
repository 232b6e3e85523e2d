"""The port for bundle storage: content-addressed blobs named `sha256:<hex>`.

A filesystem store implements it today (workers/adapters/blobstore.py); an S3-compatible one can
later, with no change to the domain. Events carry only the ref, never the bytes.
"""

from __future__ import annotations

import hashlib
import re
from typing import Protocol

_REF = re.compile(r"^sha256:([0-9a-f]{64})$")


class BlobMissing(LookupError):
    """A ref names no stored blob (or one whose bytes no longer match their hash)."""


class BlobStore(Protocol):
    def put(self, data: bytes) -> str:
        """Store the bytes (idempotent) and return their ref."""

    def get(self, ref: str) -> bytes:
        """The bytes of a ref; BlobMissing when absent or corrupt."""

    def exists(self, ref: str) -> bool: ...


def ref_for(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def digest_of(ref: str) -> str:
    match = _REF.match(ref)
    if match is None:
        raise ValueError(f"not a blob ref: {ref!r}")
    return match.group(1)
