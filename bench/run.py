"""`python -m bench [--quick] [--update-readme]`: the whole suite, one command.

Runs on the embedded Postgres (a throw-away data dir) unless DATABASE_URL is set, prints a
table with each figure beside its reference measured in the same run, and writes
bench/results/<timestamp>.json (+ latest.json, latest.md).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import psutil

from bench.report import rows
from bench.stats import table
from bench.task_rows import PREFIX as TASKS_PREFIX

ROOT = Path(__file__).resolve().parent.parent
ANALYSIS_MARKER = "<!-- analysis: kept by --update-readme -->"
HOW_TO_RUN = """\
One command runs the suite on the embedded stack (a throw-away embedded Postgres; set
`DATABASE_URL` to use another server) and prints the table below, each figure beside its
reference measured in the same run on the same machine; the JSON (every trial, the API's
profile under load) goes to `bench/results/` (git-ignored):

```bash
apt-get install wrk   # optional: without it an asyncio load generator (own process) is used
.venv/bin/pip install -e '.[test,bench]'
.venv/bin/python -m bench            # full: store grown to 10^6 events (~6 min here)
.venv/bin/python -m bench --quick    # < 2 min: shorter trials, store grown to 3x10^4
.venv/bin/python -m bench --update-readme   # also rewrites this section
.venv/bin/python -m bench --only tasks --update-readme  # or secrets, workflows: rows replaced
```

References: *stock* is the eventsourcing library's Postgres recorder and *raw* psycopg
single-row INSERT + COMMIT, on the same database and row shape; *bare* is a bare FastAPI
endpoint served as `signalyard api` is; the *storage floor* appends what a create appends,
through the same group commit, with no command logic. How each figure is measured, every
run so far and what was tried: [bench/README.md](bench/README.md)."""
RESULTS = ROOT / "bench" / "results"


def machine() -> dict:
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def update_readme(text: str) -> None:
    readme = ROOT / "README.md"
    content = readme.read_text()
    match = re.search(r"^## Benchmarks\n", content, flags=re.M)
    if not match:
        raise SystemExit("README.md has no '## Benchmarks' section")
    rest = content[match.end() :]
    nxt = re.search(r"^## ", rest, flags=re.M)
    tail = rest[nxt.start() :] if nxt else ""
    section = rest[: nxt.start()] if nxt else rest
    # Hand-written analysis below the marker survives a regenerated table.
    kept = section[section.index(ANALYSIS_MARKER) :] if ANALYSIS_MARKER in section else ""
    body = text.strip() + "\n\n" + (kept.strip() + "\n\n" if kept else "")
    readme.write_text(content[: match.end()] + "\n" + body + tail)


# Sections whose rows can replace their own in the README's table alone (`--only`): the
# name its note gives, and how each of its figures starts.
SECTION_ROWS: dict[str, tuple[str, tuple[str, ...]]] = {
    "tasks": (TASKS_PREFIX.strip(), (TASKS_PREFIX,)),
    "secrets": ("secrets", ("secret resolutions", "submit -> running of a no-op local task")),
    "workflows": ("workflows", ("workflow instances started", "3-stage agent_task instance")),
}
_NOTE = " rows were measured "


def update_readme_rows(
    name: str, prefixes: tuple[str, ...], new_rows: list[dict], note: str
) -> None:
    """The README's table with this section's rows replaced (or added at the end) and the
    rest kept as measured; `note` (when and how these rows were measured) follows the table
    beside other sections' notes, in place of this section's previous one."""
    readme = ROOT / "README.md"
    lines = readme.read_text().split("\n")
    start = lines.index("## Benchmarks")
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    table_at = [i for i in range(start, end) if lines[i].startswith("| ")]
    if not table_at:
        raise SystemExit("README.md's Benchmarks section has no table: run the whole suite")
    first, last = table_at[0], table_at[-1]
    mine = tuple("| " + prefix for prefix in prefixes)
    kept = [x for x in lines[first : last + 1] if not x.startswith(mine)]
    added = table(new_rows).split("\n")[2:]  # without the header
    marker = f"The `{name}`{_NOTE}"
    others: list[str] = []
    after = last + 1
    while after < end and (
        lines[after] == "" or (lines[after].startswith("The `") and _NOTE in lines[after])
    ):
        if lines[after] and not lines[after].startswith(marker):
            others += [lines[after], ""]
        after += 1
    body = [*kept, *added, "", *others, f"{marker}{note}", ""]
    readme.write_text("\n".join(lines[:first] + body + lines[after:]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short trials, store to 3x10^4")
    parser.add_argument(
        "--only",
        choices=["append", "stack", "relay", "router", "secrets", "tasks", "workflows"],
        help="run one section",
    )
    parser.add_argument(
        "--update-readme",
        action="store_true",
        help="write the table into README.md's Benchmarks section",
    )
    args = parser.parse_args(argv)
    if args.update_readme and args.only and args.only not in SECTION_ROWS:
        parser.error(f"--update-readme with --only {args.only} would drop the other rows")

    from bench import (
        append,
        relay,
        router,
        secret_resolution,
        stack,
        task_secrets,
        tasks,
        workflows,
    )
    from bench.pg import bench_database

    RESULTS.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    stamp = datetime.now(tz=UTC).strftime("%Y%m%dT%H%M%SZ")
    result: dict = {
        "started_at": stamp,
        "quick": args.quick,
        "machine": machine(),
        "command": "python -m bench"
        + (" --quick" if args.quick else "")
        + (f" --only {args.only}" if args.only else ""),
    }
    with bench_database() as db:
        result["postgres"] = db.describe()
        if args.only in (None, "append"):
            print("bench: append throughput ...", file=sys.stderr, flush=True)
            result["append"] = append.run(db, quick=args.quick)
        if args.only in (None, "stack"):
            print(
                "bench: signalyard dev tree (HTTP, projections, growth, reconstruction) ...",
                file=sys.stderr,
                flush=True,
            )
            result["stack"] = stack.run(db, quick=args.quick, results_dir=RESULTS)
        if args.only in (None, "relay"):
            print("bench: relay (catch-up, raw publish, commit -> JetStream) ...", file=sys.stderr)
            result["relay"] = relay.run(db, quick=args.quick)
        if args.only in (None, "router"):
            print("bench: commit -> routed Temporal signal ...", file=sys.stderr, flush=True)
            result["router"] = router.run(db, quick=args.quick)
        if args.only in (None, "secrets"):
            print("bench: secret resolutions ...", file=sys.stderr, flush=True)
            result["secrets"] = secret_resolution.run(db, quick=args.quick)
            print("bench: submit -> running with 5 secrets and none ...", file=sys.stderr)
            result["secret_injection"] = task_secrets.run(db, quick=args.quick)
        if args.only in (None, "tasks"):
            print("bench: tasks (submit, dispatch, completion, memory) ...", file=sys.stderr)
            result["tasks"] = tasks.run(db, quick=args.quick)
        if args.only in (None, "workflows"):
            print("bench: workflow instances (starts, 3-stage end to end) ...", file=sys.stderr)
            result["workflows"] = workflows.run(db, quick=args.quick)
    result["seconds"] = time.perf_counter() - started
    result["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    result["rows"] = rows(result)
    m = result["machine"]
    growth = (result.get("stack") or {}).get("growth") or {}
    top = f"{int(list(growth)[-1]):,}" if growth else "-"
    if args.quick:
        top += " (--quick: the full run grows it to 1,000,000)"
    text = "\n".join(
        [
            HOW_TO_RUN,
            "",
            f"Measured {stamp} with `{result['command']}` in {result['seconds']:.0f} s: "
            f"{m['cpu']}, {m['cores']} cores, {m['ram_gib']} GiB RAM, {m['os']}, Python "
            f"{m['python']}; {result['postgres']}. Store grown to {top} events. Load average "
            f"{m['load_average_at_start'][0]} at start, {m['load_average_at_end'][0]} at end "
            "(a shared machine: other work runs beside the suite, so every reference is "
            "measured in the same run, interleaved where possible).",
            "",
            table(result["rows"]),
        ]
    )
    (RESULTS / f"{stamp}.json").write_text(json.dumps(result, indent=2, default=str))
    (RESULTS / "latest.json").write_text(json.dumps(result, indent=2, default=str))
    (RESULTS / "latest.md").write_text(text + "\n")
    print(text)
    prof = (result.get("stack") or {}).get("http", {}).get("profile")
    if prof and "share_pct" in prof:
        print("\nAPI profile under 64 connections (py-spy, % of samples):")
        for label, pct in prof["share_pct"].items():
            print(f"  {pct:5.1f}%  {label}")
        print("  top self time:", "; ".join(f"{f} {p}%" for f, p in prof["top_self"][:6]))
    if args.update_readme and args.only in SECTION_ROWS:
        note = (
            f"{stamp} with `{result['command']}` in {result['seconds']:.0f} s, load average "
            f"{m['load_average_at_start'][0]} at start, {m['load_average_at_end'][0]} at end "
            "(the other rows: the run above)."
        )
        update_readme_rows(*SECTION_ROWS[args.only], result["rows"], note)
    elif args.update_readme:
        update_readme(text)
    return 0
