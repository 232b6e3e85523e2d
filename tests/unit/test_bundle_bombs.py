"""Zip bundles are measured by what they inflate to, not by what their headers declare:
every entry is read through a stream that stops at the remaining budget, only stored and
deflated entries are read, and every entry counts against the entry limit."""

from __future__ import annotations

import zipfile
import zlib

import pytest
from support.skill_bundles import bomb, lie_about, raw_zip, skill_md, zipped

from domain.catalog import bundle_zip
from domain.catalog.bundle import read_bundle
from domain.core.errors import InvalidInput, TooLarge

LIMIT = 64 * 1024
BOMB = "assets/bomb.bin"


def from_zip(archive: bytes):
    return read_bundle(files=None, archive=archive, max_bytes=LIMIT)


@pytest.fixture
def bytes_read(monkeypatch) -> list[int]:
    """Every byte the reader takes out of any entry's stream."""
    taken = [0]
    opened = bundle_zip.open_entry

    class Counting:
        def __init__(self, inner):
            self.inner = inner

        def read(self, size: int) -> bytes:
            chunk = self.inner.read(size)
            taken[0] += len(chunk)
            return chunk

    monkeypatch.setattr(bundle_zip, "open_entry", lambda *args: Counting(opened(*args)))
    return taken


def test_a_bzip2_bomb_with_a_lying_header_is_refused_unread(bytes_read):
    archive = bomb(BOMB, zipfile.ZIP_BZIP2)
    assert len(archive) < 2048
    with pytest.raises(InvalidInput, match="compression") as caught:
        from_zip(archive)
    assert caught.value.field == f"files[{BOMB}]"
    assert bytes_read[0] == 0


@pytest.mark.parametrize("method", [zipfile.ZIP_LZMA])
def test_only_stored_and_deflated_entries_are_read(method):
    archive = zipped([("SKILL.md", skill_md(), zipfile.ZIP_DEFLATED), ("assets/a", b"x", method)])
    with pytest.raises(InvalidInput, match="compression") as caught:
        from_zip(archive)
    assert caught.value.field == "files[assets/a]"


@pytest.mark.parametrize("method", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED])
def test_an_entry_inflating_past_its_header_is_too_large_and_read_no_further(method, bytes_read):
    archive = bomb(BOMB, method, inflated=None if method == zipfile.ZIP_DEFLATED else 4 * LIMIT)
    with pytest.raises(TooLarge, match=str(LIMIT)) as caught:
        from_zip(archive)
    assert caught.value.field == f"files[{BOMB}]"
    assert bytes_read[0] <= LIMIT + 1


def test_the_budget_is_the_whole_bundle_not_each_file(bytes_read):
    honest = bytes(range(256)) * (LIMIT * 6 // 10 // 256)
    archive = zipped(
        [
            ("SKILL.md", skill_md(), zipfile.ZIP_DEFLATED),
            ("assets/honest.bin", honest, zipfile.ZIP_DEFLATED),
            (BOMB, bytes(LIMIT * 6 // 10), zipfile.ZIP_DEFLATED),
        ]
    )
    with pytest.raises(TooLarge) as caught:
        from_zip(lie_about(archive, BOMB, 10, zlib.crc32(bytes(10))))
    assert caught.value.field == f"files[{BOMB}]"
    assert bytes_read[0] <= LIMIT + 1


@pytest.mark.parametrize(("declared", "held"), [(5, 50), (50, 5)])
def test_an_entry_that_is_not_the_size_it_declares_is_refused_not_truncated(declared, held):
    archive = zipped(
        [
            ("SKILL.md", skill_md(), zipfile.ZIP_DEFLATED),
            ("assets/a", b"x" * held, zipfile.ZIP_DEFLATED),
        ]
    )
    kept = (b"x" * held)[:declared]
    with pytest.raises(InvalidInput, match="declares") as caught:
        from_zip(lie_about(archive, "assets/a", declared, zlib.crc32(kept)))
    assert caught.value.field == "files[assets/a]"


def test_every_entry_counts_against_the_entry_limit_directories_too():
    entries = [("SKILL.md", skill_md())]
    entries += [(f"assets/d{n}/", b"") for n in range(bundle_zip.MAX_ENTRIES)]
    entries.append(("../evil.sh", b"x"))  # never looked at: the count comes first
    with pytest.raises(InvalidInput, match=f"at most {bundle_zip.MAX_ENTRIES} entries") as caught:
        from_zip(raw_zip(entries))
    assert caught.value.field == "bundle"


def test_directories_within_the_limit_are_fine():
    entries = [("SKILL.md", skill_md()), ("assets/", b""), ("assets/a.txt", b"a")]
    assert list(from_zip(raw_zip(entries)).files) == ["SKILL.md", "assets/a.txt"]
