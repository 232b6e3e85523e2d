"""The tasks section's rows (bench/task_rows.py) and `--only tasks --update-readme`, which
replaces those rows in the README's table and keeps every other row as it was."""

from __future__ import annotations

import pytest

from bench import run
from bench.task_rows import PREFIX, task_rows


def _http(rps: float, p50: float, p99: float) -> dict:
    return {"rps": rps, "p50_ms": p50, "p99_ms": p99, "errors": 0}


def _spread(p50: float, p99: float, n: int = 100) -> dict:
    return {"p50_ms": p50, "p99_ms": p99, "n": n}


LOAD = {"load_average": [3.0, 4.0]}
TASKS = {
    "max_concurrent": 50,
    "http": {
        f"c{c}": {
            "bare": _http(8000.0, 2.0, 7.0),
            "api": _http(400.0, 30.0, 80.0),
            "floor": _http(1000.0, 15.0, 60.0),
            **LOAD,
        }
        for c in (16, 64)
    },
    "latency": {
        "submit_to_running": _spread(120.0, 300.0),
        "submit_to_claimed": _spread(80.0, 200.0),
        "claimed_to_running": _spread(40.0, 100.0),
        "submit_answer": _spread(20.0, 50.0),
        "never_ran": 0,
        **LOAD,
    },
    "throughput": {
        "tasks": 500,
        "max_concurrent": 50,
        "completed_per_s": 20.0,
        "dispatched_per_s": 21.0,
        "submitted_per_s": 200.0,
        "statuses": {"succeeded": 499, "failed": 1},
        "peak_claimed_or_running": 3,
        **LOAD,
    },
    "runtime_alone": {"start": _spread(5.0, 20.0, 30), "concurrent": 50, "completed_per_s": 90.0}
    | LOAD,
    "memory": {
        "idle_rss_mb": 110.0,
        "running": 50,
        "rss_mb": 125.0,
        "children": 100,
        "children_rss_mb": 180.0,
        "children_pss_mb": 12.0,
        **LOAD,
    },
}


def test_each_task_figure_stands_beside_its_reference_and_the_load():
    rows = task_rows(TASKS)
    assert [r["figure"].startswith(PREFIX) for r in rows] == [True] * 5
    c64 = rows[1]
    assert c64["value"] == "400 req/s, 30.0 ms / 80.0 ms (5% of bare)"
    assert "storage floor (a project create) 1,000 req/s" in c64["reference"]
    assert rows[2]["value"].startswith("120 ms / 300 ms (202 -> claimed 80.0 ms / 200 ms")
    assert "the runtime's start of the same agent alone 5.0 ms / 20.0 ms" in rows[2]["reference"]
    assert rows[3]["value"].startswith("20.0 tasks/s") and "{'failed': 1}" in rows[3]["value"]
    assert "90.0 agents/s" in rows[3]["reference"]
    assert rows[4]["value"] == "125 MB" and "RSS 180 MB, PSS 12 MB" in rows[4]["reference"]
    assert all("load avg 3.0 -> 4.0" in r["reference"] for r in rows)


def test_only_tasks_replaces_its_rows_and_keeps_the_others(tmp_path, monkeypatch):
    readme = tmp_path / "README.md"
    readme.write_text(
        "# S\n\n## Benchmarks\n\nMeasured earlier.\n\n| figure | a |\n|---|---|\n"
        "| append | 1 |\n| tasks: old | 2 |\n\n"
        f"{run.ANALYSIS_MARKER}\nkept\n"
    )
    monkeypatch.setattr(run, "ROOT", tmp_path)
    row = {"figure": PREFIX + "new", "value": "3"}
    run.update_readme_rows(*run.SECTION_ROWS["tasks"], [row], "at 1.")
    other = {"figure": "workflow instances started", "value": "4"}
    run.update_readme_rows(*run.SECTION_ROWS["workflows"], [other], "at 3.")
    run.update_readme_rows(*run.SECTION_ROWS["tasks"], [row], "at 2.")
    text = readme.read_text()
    assert "| append | 1 |" in text and "tasks: old" not in text
    assert text.count("| tasks: new | 3 | - | - | - |") == 1
    assert text.count("The `tasks:` rows were measured") == 1 and "at 2." in text
    assert "at 1." not in text and text.count("| workflow instances started | 4 |") == 1
    assert text.count("The `workflows` rows were measured at 3.") == 1
    assert text.endswith(f"at 2.\n\n{run.ANALYSIS_MARKER}\nkept\n")


def test_update_readme_with_another_single_section_is_refused():
    with pytest.raises(SystemExit):
        run.main(["--only", "relay", "--update-readme"])
