"""The filesystem blob store: content-addressed, atomic, verified on read."""

from __future__ import annotations

import hashlib

import pytest

from domain.catalog.blobs import BlobMissing
from workers.adapters.blobstore import FileBlobStore


def test_put_get_and_layout(tmp_path):
    store = FileBlobStore(tmp_path)
    data = b"bundle bytes"
    digest = hashlib.sha256(data).hexdigest()
    ref = store.put(data)
    assert ref == f"sha256:{digest}"
    assert store.path_of(ref) == tmp_path / "sha256" / digest[:2] / digest[2:4] / digest
    assert store.get(ref) == data and store.exists(ref)
    assert store.put(data) == ref  # idempotent
    leftovers = [p for p in tmp_path.rglob("*") if p.name.startswith(".tmp-")]
    assert leftovers == []


def test_missing_and_corrupt_blobs(tmp_path):
    store = FileBlobStore(tmp_path)
    absent = "sha256:" + "0" * 64
    assert not store.exists(absent)
    with pytest.raises(BlobMissing):
        store.get(absent)
    ref = store.put(b"original")
    store.path_of(ref).write_bytes(b"tampered")
    with pytest.raises(BlobMissing, match="corrupt"):
        store.get(ref)
    with pytest.raises(ValueError):
        store.get("sha256:../../etc/passwd")
