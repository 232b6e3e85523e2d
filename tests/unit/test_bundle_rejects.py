"""Bad bundles are refused with an error naming the field at fault."""

from __future__ import annotations

import base64
import io
import stat
import zipfile

import pytest
from support.skill_bundles import as_zip, raw_zip, realistic_files, skill_md

from domain.catalog.bundle import Bundle, read_bundle
from domain.core.errors import InvalidInput, TooLarge

LIMIT = 64 * 1024


def from_json(files):
    return read_bundle(files=files, archive=None, max_bytes=LIMIT)


def from_zip(archive):
    return read_bundle(files=None, archive=archive, max_bytes=LIMIT)


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("../evil.sh", "traversal"),
        ("scripts/../../evil.sh", "traversal"),
        ("/etc/passwd", "absolute"),
        ("C:/Windows/evil.bat", "absolute"),
        ("scripts\\evil.sh", "backslash"),
        ("scripts//evil.sh", "empty"),
        ("./SKILL2.md", "'.'"),
        ("scripts/evil\n.sh", "control"),
    ],
)
def test_hostile_paths_are_refused_in_json_and_zip(path, words):
    for build in (
        lambda: from_json({"SKILL.md": skill_md().decode(), path: "x"}),
        lambda: from_zip(raw_zip([("SKILL.md", skill_md()), (path, b"x")])),
    ):
        with pytest.raises(InvalidInput) as caught:
            build()
        assert words in caught.value.message
        assert caught.value.field == f"files[{path}]"


def test_duplicate_paths_are_refused():
    with pytest.raises(InvalidInput, match="duplicate") as caught:
        from_zip(raw_zip([("SKILL.md", skill_md()), ("SKILL.md", skill_md("other"))]))
    assert caught.value.field == "files[SKILL.md]"
    with pytest.raises(InvalidInput, match="duplicate") as caught:
        from_json({"SKILL.md": skill_md().decode(), "skill.md": "shadow"})
    assert caught.value.field == "files[skill.md]"


@pytest.mark.parametrize(
    "archive",
    [b"not a zip at all", as_zip(realistic_files())[:200], b"PK\x03\x04" + bytes(100)],
)
def test_malformed_zip_is_refused(archive):
    with pytest.raises(InvalidInput, match="zip") as caught:
        from_zip(archive)
    assert caught.value.field in ("bundle", "files[SKILL.md]")


def test_corrupt_entry_is_refused():
    archive = bytearray(as_zip({"SKILL.md": skill_md() * 20}))
    start = archive.index(b"SKILL.md") + len("SKILL.md") + 5
    archive[start : start + 8] = b"\xff" * 8  # inside the compressed data
    with pytest.raises(InvalidInput) as caught:
        from_zip(bytes(archive))
    assert caught.value.field == "files[SKILL.md]"


def test_symlinks_are_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("SKILL.md", skill_md())
        link = zipfile.ZipInfo("scripts/passwd")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    with pytest.raises(InvalidInput, match="symbolic") as caught:
        from_zip(buffer.getvalue())
    assert caught.value.field == "files[scripts/passwd]"


@pytest.mark.parametrize("path", ["SKILL.md", "scripts/run.sh", "references/notes.md"])
def test_binary_where_text_is_required(path):
    files = {"SKILL.md": skill_md(), path: b"\x89PNG\x00\x01\xff"}
    with pytest.raises(InvalidInput, match="UTF-8") as caught:
        Bundle.from_files(files, LIMIT)
    assert caught.value.field == f"files[{path}]"


def test_binary_assets_are_fine():
    files = {"SKILL.md": skill_md(), "assets/blob.bin": bytes(range(256))}
    assert Bundle.from_files(files, LIMIT).manifest[1]["is_text"] is False


def test_bundle_over_the_limit_is_too_large_before_unpacking():
    big = {"SKILL.md": skill_md(), "assets/big.bin": bytes(LIMIT)}
    with pytest.raises(TooLarge) as caught:
        Bundle.from_files(big, LIMIT)
    assert caught.value.field == "bundle"
    # Zeros compress to almost nothing: the declared size is what counts (zip bombs).
    archive = as_zip(big)
    assert len(archive) < LIMIT // 10
    with pytest.raises(TooLarge):
        from_zip(archive)


def test_missing_skill_md():
    with pytest.raises(InvalidInput, match="SKILL.md") as caught:
        from_json({"references/a.md": "hello"})
    assert caught.value.field == "files[SKILL.md]"
    with pytest.raises(InvalidInput):
        from_json({})


@pytest.mark.parametrize(
    ("text", "field", "words"),
    [
        ("# no front matter\n", "files[SKILL.md]", "must start"),
        ("---\nname: a\ndescription: b\n", "files[SKILL.md]", "not closed"),
        ("---\nname: [unclosed\n---\n", "files[SKILL.md]", "not valid YAML"),
        ("---\n- a list\n---\n", "files[SKILL.md]", "mapping"),
        ("---\ndescription: d\n---\n", "files[SKILL.md].name", "lowercase"),
        ("---\nname: PDF_Forms\ndescription: d\n---\n", "files[SKILL.md].name", "lowercase"),
        (f"---\nname: {'a' * 65}\ndescription: d\n---\n", "files[SKILL.md].name", "1-64"),
        ("---\nname: ok\n---\n", "files[SKILL.md].description", "non-empty"),
        ("---\nname: ok\ndescription: 12\n---\n", "files[SKILL.md].description", "string"),
        (
            f"---\nname: ok\ndescription: {'d' * 1025}\n---\n",
            "files[SKILL.md].description",
            "1024",
        ),
    ],
)
def test_invalid_front_matter(text, field, words):
    with pytest.raises(InvalidInput) as caught:
        from_json({"SKILL.md": text})
    assert caught.value.field == field
    assert words in caught.value.message


def test_front_matter_limits_are_inclusive():
    text = f"---\nname: {'a' * 64}\ndescription: {'d' * 1024}\n---\n"
    assert from_json({"SKILL.md": text}).document.name == "a" * 64


def test_bad_json_file_values():
    with pytest.raises(InvalidInput, match="base64") as caught:
        from_json({"SKILL.md": skill_md().decode(), "assets/x": {"base64": "***"}})
    assert caught.value.field == "files[assets/x]"
    with pytest.raises(InvalidInput) as caught:
        from_json({"SKILL.md": skill_md().decode(), "assets/x": 42})
    assert caught.value.field == "files[assets/x]"
    good = base64.b64encode(b"\x00\x01").decode()
    assert from_json({"SKILL.md": skill_md().decode(), "assets/x": {"base64": good}})
