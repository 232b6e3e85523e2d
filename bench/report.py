"""The benchmark's table: one row per figure, beside its reference, its target and whether
it was met, from a run's result."""

from __future__ import annotations

import math

from bench.stats import fmt
from bench.task_rows import task_rows


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


def _relay_rows(relay: dict | None) -> list[dict]:
    if not relay:
        return []
    cu, raw, lat = relay["catch_up"], relay["raw_publish"], relay["latency"]
    return [
        {
            "figure": f"relay catch-up: a log of {cu['log_events']:,} events to JetStream "
            "(events/s)",
            "value": f"{fmt(cu['events_per_s'])} events/s ({fmt(cu['published'])} published, "
            f"{cu['mean_bytes']:.0f} B each)",
            "reference": f"raw publish with ack from Python, same server: {fmt(raw['per_s'])} "
            f"msg/s ({100 * _ratio(cu['published_per_s'], raw['per_s']):.0f}% of it)",
            "target": ">= 10,000 events/s",
            "met": cu["events_per_s"] >= 10_000,
        },
        {
            "figure": "commit -> JetStream under the 16-connection create load (p50 / p99)",
            "value": f"{fmt(lat['p50_ms'], 'ms')} / {fmt(lat['p99_ms'], 'ms')}",
            "reference": f"{lat['events']:,} events; creates meanwhile "
            f"{fmt(lat['creates']['rps'])} req/s, p99 {fmt(lat['creates']['p99_ms'], 'ms')}",
        },
    ]


def _secret_rows(secrets: dict) -> list[dict]:
    out = []
    for backend, figures in secrets.items():
        one, four, five = figures["one@1"], figures["one@4"], figures["five@1"]
        read = figures["backend_read@1"]
        out.append(
            {
                "figure": f"secret resolutions, {backend} backend (1 secret per attempt, its "
                "ledger event committed; 1 / 4 threads; 5 secrets per attempt)",
                "value": f"{fmt(one['per_s'])}/s (p99 {fmt(one['p99_ms'], 'ms')}); "
                f"{fmt(four['per_s'])}/s; 5 secrets: {fmt(five['per_s'])} attempts/s "
                f"(p99 {fmt(five['p99_ms'], 'ms')})",
                "reference": f"the backend's read alone {fmt(read['per_s'])}/s "
                f"(p99 {fmt(read['p99_ms'], 'ms')})",
            }
        )
    return out


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
    out.extend(_relay_rows(result.get("relay")))
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
    out += _router_rows(result.get("router"))
    if result.get("secrets"):
        out += _secret_rows(result["secrets"])
    if result.get("secret_injection"):
        out += _injection_rows(result["secret_injection"])
    out += task_rows(result.get("tasks"))
    out += _workflow_rows(result.get("workflows"))
    return out


def _injection_rows(injected: dict) -> list[dict]:
    five, none = injected["with_5"], injected["none"]
    return [
        {
            "figure": "submit -> running of a no-op local task with 5 secrets (local backend, "
            f"env; {five['tasks']} tasks, taking turns; p50 / p99)",
            "value": f"{fmt(five['p50_ms'], 'ms')} / {fmt(five['p99_ms'], 'ms')} "
            f"(+{fmt(injected['added_p50_ms'], 'ms')} at p50)",
            "reference": f"the same task with none: {fmt(none['p50_ms'], 'ms')} / "
            f"{fmt(none['p99_ms'], 'ms')}",
        }
    ]


def _workflow_rows(wf: dict | None) -> list[dict]:
    if not wf:
        return []
    starts, ref, e2e = wf["starts"], wf["temporal_starts"], wf["end_to_end"]

    def pair(d: dict) -> str:
        return f"{fmt(d['p50_ms'], 'ms')} / {fmt(d['p99_ms'], 'ms')}"

    split = ", ".join(f"{k} {pair(e2e[k])}" for k in ("agent", "dispatch", "route", "temporal"))
    errors = f", {starts['errors']} not 202" if starts["errors"] else ""
    return [
        {
            "figure": "workflow instances started over HTTP, 16 connections (p50/p99)",
            "value": f"{fmt(starts['per_s'])} /s, {pair(starts)}{errors}",
            "reference": f"Temporal start_workflow, 16 at once, same dev server (the limit): "
            f"{fmt(ref['per_s'])} /s, {pair(ref)}",
        },
        {
            "figure": f"3-stage agent_task instance with no-op agents, requested -> finished "
            f"({e2e['instances']} instances; p50/p99)",
            "value": pair(e2e["total"]),
            "reference": f"of which {split}",
        },
    ]


def _router_rows(rt: dict | None) -> list[dict]:
    if not rt:
        return []
    routed, raw = rt["routed"], rt["raw_signal"]
    lost = f", {rt['lost']} of {rt['events']} never handled" if rt["lost"] else ""
    return [
        {
            "figure": "commit -> Temporal signal handled in the workflow, along an EventRoute "
            f"({rt['rate_per_s']} events/s; p50/p99)",
            "value": f"{fmt(routed['p50_ms'], 'ms')} / {fmt(routed['p99_ms'], 'ms')}{lost}",
            "reference": f"a signal call to the same dev server (the limit): "
            f"{fmt(raw['p50_ms'], 'ms')} / {fmt(raw['p99_ms'], 'ms')}",
            "target": "p99 <= 100 ms",
            "met": not rt["lost"] and routed["p99_ms"] <= 100,
        }
    ]
