"""Differences between two versions: files of two skill bundles, or two config documents."""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Mapping
from typing import Any

from domain.catalog.bundle import is_text

_NO_NEWLINE = "\n\\ No newline at end of file\n"


def _lines(data: bytes | None) -> list[str]:
    if data is None:
        return []
    lines = data.decode("utf-8").splitlines(keepends=True)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += _NO_NEWLINE
    return lines


def _unified(path: str, old: bytes | None, new: bytes | None) -> str:
    return "".join(
        difflib.unified_diff(
            _lines(old),
            _lines(new),
            fromfile=f"a/{path}" if old is not None else "/dev/null",
            tofile=f"b/{path}" if new is not None else "/dev/null",
        )
    )


def _describe(data: bytes | None) -> dict[str, Any]:
    if data is None:
        return {"sha256": None, "size": None}
    return {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


def diff_bundles(old: Mapping[str, bytes], new: Mapping[str, bytes]) -> dict[str, Any]:
    """Files added, removed and changed; a unified diff for every text file among them."""
    summary: dict[str, list[str]] = {"added": [], "removed": [], "changed": []}
    entries = []
    for path in sorted(set(old) | set(new), key=str.encode):
        before, after = old.get(path), new.get(path)
        if before == after:
            continue
        status = "added" if before is None else "removed" if after is None else "changed"
        summary[status].append(path)
        text = all(data is None or is_text(data) for data in (before, after))
        entries.append(
            {
                "path": path,
                "status": status,
                "old": _describe(before),
                "new": _describe(after),
                "is_text": text,
                "diff": _unified(path, before, after) if text else None,
            }
        )
    unchanged = len(set(old) & set(new)) - len(summary["changed"])
    return {**summary, "unchanged": unchanged, "files": entries}


def _pointer(path: str, key: Any) -> str:
    return f"{path}/{str(key).replace('~', '~0').replace('/', '~1')}"


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b  # 1, 1.0 and true are different JSON


def diff_json(old: Any, new: Any, path: str = "") -> list[dict[str, Any]]:
    """Operations turning `old` into `new`: {op: add|remove|replace, path, old, new}."""
    if isinstance(old, dict) and isinstance(new, dict):
        ops: list[dict[str, Any]] = []
        for key in sorted(set(old) | set(new)):
            where = _pointer(path, key)
            if key not in new:
                ops.append({"op": "remove", "path": where, "old": old[key], "new": None})
            elif key not in old:
                ops.append({"op": "add", "path": where, "old": None, "new": new[key]})
            else:
                ops.extend(diff_json(old[key], new[key], where))
        return ops
    if isinstance(old, list) and isinstance(new, list):
        ops = []
        for index in range(min(len(old), len(new))):
            ops.extend(diff_json(old[index], new[index], _pointer(path, index)))
        for index in range(len(old), len(new)):
            ops.append({"op": "add", "path": _pointer(path, index), "old": None, "new": new[index]})
        # Trailing removals last-first, so the list reads as a JSON Patch applied in order.
        for index in reversed(range(len(new), len(old))):
            ops.append(
                {"op": "remove", "path": _pointer(path, index), "old": old[index], "new": None}
            )
        return ops
    if _same(old, new):
        return []
    return [{"op": "replace", "path": path, "old": old, "new": new}]
