"""Diffs between versions: bundle files with unified text diffs; JSON documents."""

from __future__ import annotations

from support.skill_bundles import realistic_files

from domain.catalog.diff import diff_bundles, diff_json


def test_bundle_diff_lists_added_removed_changed_with_text_diffs():
    old = realistic_files()
    new = dict(old)
    new["scripts/fill.sh"] = old["scripts/fill.sh"].replace(b"filled", b"completed")
    new["references/EXAMPLES.md"] = b"# Examples\n"
    new["assets/logo.png"] = old["assets/logo.png"] + b"\x00"
    del new["assets/template.json"]

    diff = diff_bundles(old, new)

    assert diff["added"] == ["references/EXAMPLES.md"]
    assert diff["removed"] == ["assets/template.json"]
    assert diff["changed"] == ["assets/logo.png", "scripts/fill.sh"]
    assert diff["unchanged"] == 3
    by_path = {f["path"]: f for f in diff["files"]}
    fill = by_path["scripts/fill.sh"]
    assert fill["status"] == "changed" and fill["is_text"]
    assert fill["diff"].startswith("--- a/scripts/fill.sh\n+++ b/scripts/fill.sh\n")
    assert '-echo "filled $1 -> $3"\n' in fill["diff"]
    assert '+echo "completed $1 -> $3"\n' in fill["diff"]
    added = by_path["references/EXAMPLES.md"]
    assert added["diff"].startswith("--- /dev/null\n+++ b/references/EXAMPLES.md\n")
    assert added["old"] == {"sha256": None, "size": None}
    logo = by_path["assets/logo.png"]
    assert logo["is_text"] is False and logo["diff"] is None
    assert logo["old"]["size"] + 1 == logo["new"]["size"]


def test_missing_final_newline_is_marked():
    diff = diff_bundles({"a.md": b"x\n"}, {"a.md": b"x"})
    assert "\\ No newline at end of file" in diff["files"][0]["diff"]


def test_identical_bundles_have_an_empty_diff():
    diff = diff_bundles(realistic_files(), realistic_files())
    assert diff["files"] == [] and diff["unchanged"] == len(realistic_files())


def test_json_diff_operations():
    old = {"model": "small", "limits": {"tokens": 100, "tools": ["a", "b", "c"]}, "debug": True}
    new = {"model": "large", "limits": {"tokens": 100, "tools": ["a", "x"]}, "region": "eu"}
    assert diff_json(old, new) == [
        {"op": "remove", "path": "/debug", "old": True, "new": None},
        {"op": "replace", "path": "/limits/tools/1", "old": "b", "new": "x"},
        {"op": "remove", "path": "/limits/tools/2", "old": "c", "new": None},
        {"op": "replace", "path": "/model", "old": "small", "new": "large"},
        {"op": "add", "path": "/region", "old": None, "new": "eu"},
    ]


def test_json_diff_distinguishes_types_and_escapes_pointers():
    assert diff_json({"n": 1}, {"n": 1.0}) == [
        {"op": "replace", "path": "/n", "old": 1, "new": 1.0}
    ]
    assert diff_json({"n": 1}, {"n": True})[0]["op"] == "replace"
    assert diff_json({"a/b~c": 1}, {"a/b~c": 2})[0]["path"] == "/a~1b~0c"
    assert diff_json({"same": [1, {"x": None}]}, {"same": [1, {"x": None}]}) == []
