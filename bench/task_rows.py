"""The tasks section's rows of the table (bench/tasks.py); every figure is named `tasks: …`,
so `--only tasks --update-readme` can replace these rows and keep the others."""

from __future__ import annotations

from bench.stats import fmt

PREFIX = "tasks: "


def _load(figures: dict) -> str:
    start, end = figures["load_average"]
    return f"load avg {start:.1f} -> {end:.1f}"


def _ms(spread: dict) -> str:
    return f"{fmt(spread['p50_ms'], 'ms')} / {fmt(spread['p99_ms'], 'ms')}"


def _http(result: dict) -> str:
    errors = f", {result['errors']} errors" if result["errors"] else ""
    return (
        f"{fmt(result['rps'])} req/s, {fmt(result['p50_ms'], 'ms')} / "
        f"{fmt(result['p99_ms'], 'ms')}{errors}"
    )


def task_rows(tasks: dict | None) -> list[dict]:
    if not tasks:
        return []
    out = []
    for c in (16, 64):
        trial = tasks["http"][f"c{c}"]
        api, bare, floor = trial["api"], trial["bare"], trial["floor"]
        share = 100 * api["rps"] / bare["rps"] if bare["rps"] else float("nan")
        out.append(
            {
                "figure": f"{PREFIX}submit over HTTP, {c} connections (req/s, p50/p99; the "
                "dev tree's dispatcher runs them meanwhile)",
                "value": f"{_http(api)} ({share:.0f}% of bare)",
                "reference": f"bare FastAPI endpoint {_http(bare)}; storage floor (a project "
                f"create) {_http(floor)}; {_load(trial)}",
            }
        )
    lat = tasks["latency"]
    never = f", {lat['never_ran']} never ran" if lat["never_ran"] else ""
    alone = tasks["runtime_alone"]
    out.append(
        {
            "figure": f"{PREFIX}submit -> running, local runtime, no-op agent, one at a time "
            f"({lat['submit_to_running']['n']} tasks; p50/p99; from the 202 to the running "
            "event's time)",
            "value": f"{_ms(lat['submit_to_running'])}{never} (202 -> claimed "
            f"{_ms(lat['submit_to_claimed'])}; claimed -> running "
            f"{_ms(lat['claimed_to_running'])})",
            "reference": f"the runtime's start of the same agent alone "
            f"{_ms(alone['start'])}; the submit's own round trip {_ms(lat['submit_answer'])}; "
            f"{_load(lat)}",
        }
    )
    tp = tasks["throughput"]
    others = {k: v for k, v in tp["statuses"].items() if k != "succeeded"}
    ended = f"; not succeeded: {others}" if others else ""
    out.append(
        {
            "figure": f"{PREFIX}completed per second end to end: {tp['tasks']:,} no-op tasks "
            f"submitted at once (16 connections), the dispatcher allowed "
            f"{tp['max_concurrent']} at a time",
            "value": f"{fmt(tp['completed_per_s'])} tasks/s (from its first claim "
            f"{fmt(tp['dispatched_per_s'])}/s; at most {tp['peak_claimed_or_running']} "
            f"claimed or running at once){ended}",
            "reference": f"the local runtime alone, the same agent {alone['concurrent']} at a "
            f"time: {fmt(alone['completed_per_s'])} agents/s ({_load(alone)}); submits "
            f"{fmt(tp['submitted_per_s'])}/s; {_load(tp)}",
        }
    )
    mem = tasks["memory"]
    out.append(
        {
            "figure": f"{PREFIX}RSS of a dispatcher with {mem['running']} running attempts "
            "(the process alone)",
            "value": fmt(mem["rss_mb"], "MB"),
            "reference": f"idle {fmt(mem['idle_rss_mb'], 'MB')}; its children "
            f"({mem['children']} processes: per attempt `unshare` and the agent) together "
            f"RSS {fmt(mem['children_rss_mb'], 'MB')}, PSS {fmt(mem['children_pss_mb'], 'MB')}"
            f"; {_load(mem)}",
        }
    )
    return out
