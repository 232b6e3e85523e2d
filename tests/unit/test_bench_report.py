"""The benchmark's report (the README table): each target row is judged from the figures,
and the storage floor and the CPU split appear beside the API's figures (the fixture is the
JSON of a full run, trimmed to what the report reads)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from bench import run

FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "bench_result.json").read_text())


def by_figure(result: dict) -> dict[str, dict]:
    return {row["figure"].split(" (")[0]: row for row in run.rows(result)}


def test_the_create_rows_carry_the_floor_and_judge_the_targets():
    rows = by_figure(FIXTURE)
    c16 = rows["create project over HTTP, 16 connections"]
    c64 = rows["create project over HTTP, 64 connections"]
    assert c16["met"] is True  # p99 48.9 ms
    assert c64["met"] is False  # 11% of bare
    assert "(11% of bare)" in c64["value"]
    assert "storage floor 1,560 req/s (19% of bare)" in c64["reference"]
    cpu = rows["CPU per create at 16 connections"]
    assert cpu["value"] == "1.75 / 0.21 / 0.50 = 2.45 ms"
    assert cpu["reference"].startswith("storage floor 1.11 / 0.21 / 0.41 = ")


def test_the_targets_follow_the_figures():
    faster = copy.deepcopy(FIXTURE)
    http = faster["stack"]["http"]
    http["c64"]["api"]["rps"] = 0.45 * http["c64"]["bare"]["rps"]
    http["c16"]["api"]["p99_ms"] = 50.5
    rows = by_figure(faster)
    assert rows["create project over HTTP, 64 connections"]["met"] is True
    assert rows["create project over HTTP, 16 connections"]["met"] is False


def test_a_result_from_before_the_floor_still_renders():
    older = copy.deepcopy(FIXTURE)
    for c in ("c16", "c64"):
        for key in ("floor", "floor_cpu_ms_per_request", "api_cpu_ms_per_request"):
            del older["stack"]["http"][c][key]
    rows = by_figure(older)
    assert "storage floor" not in rows["create project over HTTP, 64 connections"]["reference"]
    assert "CPU per create at 16 connections" not in rows


def test_a_new_table_replaces_the_old_one_and_keeps_the_note_below_the_marker(
    tmp_path, monkeypatch
):
    readme = tmp_path / "README.md"
    readme.write_text(
        "# Signalyard\n\n## Benchmarks\n\nold table\n\n"
        f"{run.ANALYSIS_MARKER}\nHistory: bench/README.md.\n\n## After\n\nkept\n"
    )
    monkeypatch.setattr(run, "ROOT", tmp_path)
    run.update_readme("new table\n")
    text = readme.read_text()
    assert "old table" not in text
    assert text.index("new table") < text.index(run.ANALYSIS_MARKER)
    assert text.endswith(f"{run.ANALYSIS_MARKER}\nHistory: bench/README.md.\n\n## After\n\nkept\n")


def test_the_readme_benchmarks_section_is_what_update_readme_writes():
    section = (run.ROOT / "README.md").read_text().split("## Benchmarks\n", 1)[1]
    assert section.startswith("\n" + run.HOW_TO_RUN + "\n\nMeasured ")
    assert run.ANALYSIS_MARKER in section
    assert (run.ROOT / "bench" / "README.md").exists()
