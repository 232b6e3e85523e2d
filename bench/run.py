"""`python -m bench [--quick] [--update-readme]`: the whole suite, one command.

Runs on the embedded Postgres (a throw-away data dir) unless DATABASE_URL is set, prints a
table with each figure beside its reference measured in the same run, and writes
bench/results/<timestamp>.json (+ latest.json, latest.md).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import psutil

from bench.stats import fmt, table

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


def _lag(value: float) -> str:
    return "< 5 ms" if value < 5 else fmt(value, "ms")  # below the sampling interval


def _magnitude(n: int) -> str:
    exponent = round(math.log10(n))
    return f"10^{exponent}" if 10**exponent == n else f"{n:,}"


def _ratio(a: float, b: float) -> float:
    return a / b if b else math.nan


def _cpu_split(per_request: dict) -> str:
    parts = [
        per_request.get("api", 0.0),
        per_request.get("dev tree (projections, supervisor)", 0.0),
        per_request.get("postgres", 0.0),
    ]
    return " / ".join(f"{p:.2f}" for p in parts) + f" = {sum(parts):.2f} ms"


def _read_rows(reads: dict) -> list[dict]:
    """Session consistency's cost: get project (16 conns), idle and beside 16 creating."""

    def one(r: dict) -> str:
        return f"{fmt(r['rps'])} req/s, {fmt(r['p50_ms'], 'ms')} / {fmt(r['p99_ms'], 'ms')}"

    idle, busy = reads["idle"], reads["under_create_load"]
    return [
        {
            "figure": "get project, 16 conns, idle: by a token that wrote (session "
            "consistency, p50/p99)",
            "value": one(idle["writer_session"]),
            "reference": f"consistency=eventual {one(idle['writer_eventual'])}; another "
            f"token {one(idle['other_token'])}",
        },
        {
            "figure": "get project, 16 conns, beside 16 connections creating with the same "
            "token: reads wait for its writes (p50/p99)",
            "value": one(busy["writer_session"]["reads"]),
            "reference": f"consistency=eventual {one(busy['writer_eventual']['reads'])}; "
            f"another token {one(busy['other_token']['reads'])}; creates meanwhile "
            f"{fmt(busy['writer_session']['creates']['rps'])} req/s",
        },
    ]


def rows(result: dict) -> list[dict]:
    out: list[dict] = []
    ap = result.get("append")
    if ap:
        for w in (1, 16):
            g, s, r = ap[f"grouped@{w}"], ap[f"stock@{w}"], ap[f"raw@{w}"]
            gv, sv, rv = (x["events_per_s_median"] for x in (g, s, r))
            row = {
                "figure": f"append, {w} writer{'s' if w > 1 else ''} (events/s, p99 latency)",
                "value": f"{fmt(gv)} ({_ratio(gv, sv):.1f}x stock), p99 "
                f"{fmt(g['latency_ms_p99'], 'ms')}",
                "reference": f"stock {fmt(sv)} (p99 {fmt(s['latency_ms_p99'], 'ms')}); raw "
                f"single-row commits {fmt(rv)} (p99 {fmt(r['latency_ms_p99'], 'ms')})",
            }
            if w == 16:
                row["target"] = ">= 3x stock and >= raw"
                row["met"] = gv >= 3 * sv and gv >= rv
                row["value"] += f", mean group {g.get('mean_group_size') or 0:.1f} appends"
            out.append(row)
    st = result.get("stack")
    if st:
        http = st["http"]
        for c in (16, 64):
            api, bare = http[f"c{c}"]["api"], http[f"c{c}"]["bare"]
            floor = http[f"c{c}"].get("floor")
            row = {
                "figure": f"create project over HTTP, {c} connections (req/s, p50/p99)",
                "value": f"{fmt(api['rps'])} req/s, {fmt(api['p50_ms'], 'ms')} / "
                f"{fmt(api['p99_ms'], 'ms')}"
                + (f", {api['errors']} errors" if api["errors"] else ""),
                "reference": f"bare FastAPI endpoint {fmt(bare['rps'])} req/s, "
                f"{fmt(bare['p50_ms'], 'ms')} / {fmt(bare['p99_ms'], 'ms')}",
            }
            if floor:
                row["reference"] += (
                    f"; storage floor {fmt(floor['rps'])} req/s "
                    f"({100 * _ratio(floor['rps'], bare['rps']):.0f}% of bare), "
                    f"{fmt(floor['p50_ms'], 'ms')} / {fmt(floor['p99_ms'], 'ms')}"
                )
            share = 100 * _ratio(api["rps"], bare["rps"])
            if c == 16:
                row["target"] = "p99 <= 50 ms"
                row["met"] = api["p99_ms"] <= 50
            else:
                row["value"] += f" ({share:.0f}% of bare)"
                row["target"] = ">= 40% of bare"
                row["met"] = share >= 40
            out.append(row)
        c16 = http["c16"]
        if "floor_cpu_ms_per_request" in c16:
            out.append(
                {
                    "figure": "CPU per create at 16 connections (ms, both cores' time): API / "
                    "projection runners / Postgres",
                    "value": _cpu_split(c16["api_cpu_ms_per_request"]),
                    "reference": "storage floor " + _cpu_split(c16["floor_cpu_ms_per_request"]),
                }
            )
        c64 = http["c64"]
        out.append(
            {
                "figure": "projection live lag under the 64-connection command load (p50 / p99)",
                "value": f"{_lag(c64['lag_ms_p50'])} / {_lag(c64['lag_ms_p99'])}",
                "reference": f"16 connections: {_lag(http['c16']['lag_ms_p50'])} / "
                f"{_lag(http['c16']['lag_ms_p99'])} (5 ms sampling)",
            }
        )
        reads = st.get("reads")
        if reads:
            out.extend(_read_rows(reads))
        cu = st["catch_up"]
        names = [k for k in cu if isinstance(cu[k], dict)]
        slowest = min(cu[n]["events_per_s"] for n in names)
        out.append(
            {
                "figure": f"projection catch-up: rebuild from a log of {cu['events']:,} events",
                "value": f"{fmt(slowest)} events/s (slowest read model)",
                "reference": ", ".join(f"{n} {fmt(cu[n]['events_per_s'])}/s" for n in names),
                "target": ">= 20,000 events/s",
                "met": slowest >= 20_000,
            }
        )
        rc = st["reconstruct"]
        for key, label in (("latest", "latest"), ("as_of", f"as of v{rc['as_of_version']}")):
            v = rc[key]
            ref = rc[f"replay_{key}"]
            out.append(
                {
                    "figure": f"reconstruct one entity with {rc['events']:,} events, {label}",
                    "value": f"{fmt(v['median_ms'], 'ms')} median, {fmt(v['p99_ms'], 'ms')} p99",
                    "reference": f"full replay without snapshots {fmt(ref['median_ms'], 'ms')}",
                    "target": "<= 20 ms",
                    "met": v["p99_ms"] <= 20,
                }
            )
        growth = st["growth"]
        sizes = list(growth)
        low, top = growth[sizes[0]], growth[sizes[-1]]
        small = _magnitude(int(sizes[0]))
        for key, label in (
            ("command", "create project, 16 conns"),
            ("read_one", "get project, 16 conns"),
            ("read_list", "list projects (page 50), 16 conns"),
        ):
            m, check = top[key], low[key]
            a, b = m["reference"], m["grown"]
            worst = max(m["ratio_p50"], m["ratio_p99"])
            same = max(check["ratio_p50"], check["ratio_p99"])
            out.append(
                {
                    "figure": f"{label}: latency at {top['events']:,} events vs a {small} store "
                    f"measured alternately in the same window (median of {len(a['trials'])} "
                    "trials each)",
                    "value": f"p50 {fmt(b['p50_ms'], 'ms')} ({m['ratio_p50']:.2f}x), "
                    f"p99 {fmt(b['p99_ms'], 'ms')} ({m['ratio_p99']:.2f}x)",
                    "reference": f"{small} store ({top['reference_events']:,} events): p50 "
                    f"{fmt(a['p50_ms'], 'ms')}, p99 {fmt(a['p99_ms'], 'ms')}; check, same "
                    f"method at {small} vs {small}: {same:.2f}x",
                    "target": "<= 1.5x",
                    "met": worst <= 1.5,
                }
            )
        out.append(
            {
                "figure": "peak RSS of an API process (the largest: uvicorn's parent or a "
                "worker) under the 64-connection load",
                "value": fmt(http["c64"]["api_peak_rss_mb"], "MB"),
                "reference": f"16 connections: {fmt(http['c16']['api_peak_rss_mb'], 'MB')};"
                " all API processes together under 64 connections: "
                + fmt(http["c64"].get("api_processes_peak_rss_mb", float("nan")), "MB"),
                "target": "<= 150 MB",
                "met": http["c64"]["api_peak_rss_mb"] <= 150,
            }
        )
        out.append(
            {
                "figure": "peak RSS of the `signalyard dev` tree (supervisor, API, projections)",
                "value": fmt(http["c64"]["dev_tree_peak_rss_mb"], "MB"),
                "reference": "Postgres not included (shared server)",
            }
        )
    return out


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short trials, store to 3x10^4")
    parser.add_argument("--only", choices=["append", "stack"], help="run one section")
    parser.add_argument(
        "--update-readme",
        action="store_true",
        help="write the table into README.md's Benchmarks section",
    )
    args = parser.parse_args(argv)

    from bench import append, stack
    from bench.pg import bench_database

    RESULTS.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    stamp = datetime.now(tz=UTC).strftime("%Y%m%dT%H%M%SZ")
    result: dict = {
        "started_at": stamp,
        "quick": args.quick,
        "machine": machine(),
        "command": "python -m bench" + (" --quick" if args.quick else ""),
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
    if args.update_readme:
        update_readme(text)
    return 0
