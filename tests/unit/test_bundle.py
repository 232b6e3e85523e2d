"""Skill bundles: parsing, manifest, the canonical content hash and the deterministic zip."""

from __future__ import annotations

import hashlib
import io
import zipfile

from support.skill_bundles import as_json_files, as_zip, realistic_files, skill_md

from domain.catalog.bundle import Bundle, read_bundle, unpack

LIMIT = 10 * 1024 * 1024


def test_front_matter_instructions_and_manifest():
    bundle = Bundle.from_files(realistic_files(), LIMIT)
    assert bundle.document.name == "pdf-forms"
    assert bundle.document.description.startswith("Fill in PDF forms")
    assert bundle.document.instructions.startswith("# Filling PDF forms\n")
    manifest = {entry["path"]: entry for entry in bundle.manifest}
    assert list(manifest) == sorted(manifest)
    logo = realistic_files()["assets/logo.png"]
    assert manifest["assets/logo.png"] == {
        "path": "assets/logo.png",
        "size": len(logo),
        "sha256": hashlib.sha256(logo).hexdigest(),
        "is_text": False,
    }
    assert manifest["scripts/fill.sh"]["is_text"] is True


def test_canonical_form_is_pinned():
    """The canonical form is stored schema: a change here would re-hash every skill."""
    data = skill_md()
    bundle = Bundle.from_files({"SKILL.md": data}, LIMIT)
    expected = (
        b"signalyard-skill-bundle/v1\n"
        + f"SKILL.md\n{len(data)}\n{hashlib.sha256(data).hexdigest()}\n".encode()
    )
    assert bundle.canonical_form() == expected
    assert bundle.content_hash == "sha256:" + hashlib.sha256(expected).hexdigest()


def test_same_files_in_any_order_or_packaging_hash_the_same():
    files = realistic_files()
    reference = Bundle.from_files(files, LIMIT)
    reordered = dict(reversed(list(files.items())))
    variants = [
        Bundle.from_files(reordered, LIMIT),
        read_bundle(files=as_json_files(files), archive=None, max_bytes=LIMIT),
        read_bundle(files=None, archive=as_zip(files), max_bytes=LIMIT),
        read_bundle(files=None, archive=as_zip(files, reverse=True), max_bytes=LIMIT),
        # `zip -r pdf-forms.zip pdf-forms/`: one wrapping folder is unwrapped.
        read_bundle(files=None, archive=as_zip(files, prefix="pdf-forms/"), max_bytes=LIMIT),
    ]
    for variant in variants:
        assert variant.content_hash == reference.content_hash
        assert variant.to_zip() == reference.to_zip()


def test_any_change_of_content_or_path_changes_the_hash():
    files = realistic_files()
    reference = Bundle.from_files(files, LIMIT).content_hash
    edited = {**files, "scripts/fill.sh": files["scripts/fill.sh"] + b"\n"}
    renamed = {k.replace("FIELDS", "fields"): v for k, v in files.items()}
    assert Bundle.from_files(edited, LIMIT).content_hash != reference
    assert Bundle.from_files(renamed, LIMIT).content_hash != reference


def test_deterministic_zip_round_trips_with_fixed_metadata():
    files = realistic_files()
    archive = Bundle.from_files(files, LIMIT).to_zip()
    assert unpack(archive) == files
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        infos = opened.infolist()
    assert [i.filename for i in infos] == sorted(files)
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in infos}
    assert modes["scripts/fill.sh"] == 0o755 and modes["SKILL.md"] == 0o644


def test_macos_junk_is_ignored():
    files = realistic_files()
    junk = {**files, "__MACOSX/._SKILL.md": b"\x00\x05", "assets/.DS_Store": b"\x00\x01"}
    bundle = read_bundle(files=None, archive=as_zip(junk), max_bytes=LIMIT)
    assert bundle.content_hash == Bundle.from_files(files, LIMIT).content_hash


def test_bom_and_crlf_front_matter_are_read():
    data = "\ufeff---\r\nname: crlf\r\ndescription: Windows line ends.\r\n---\r\nBody\r\n"
    bundle = Bundle.from_files({"SKILL.md": data.encode()}, LIMIT)
    assert bundle.document.front_matter == {"name": "crlf", "description": "Windows line ends."}
    assert bundle.document.instructions == "Body\r\n"
