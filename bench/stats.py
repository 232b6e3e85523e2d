"""Medians, percentiles and the printed table."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile; NaN when there are no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def median(values: Sequence[float]) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def fmt(value: float | None, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if unit == "ms":
        return f"{value:.1f} ms" if value < 100 else f"{value:.0f} ms"
    if unit == "MB":
        return f"{value:.0f} MB"
    if unit == "x":
        return f"{value:.2f}x"
    if unit == "%":
        return f"{value:.0f}%"
    if abs(value) >= 100:
        return f"{value:,.0f}{(' ' + unit) if unit else ''}"
    return f"{value:.1f}{(' ' + unit) if unit else ''}"


def table(rows: list[dict]) -> str:
    """Markdown table: figure | measured | reference | target | verdict."""
    header = ["figure", "Signalyard", "reference (same run)", "target", "met"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        verdict = {True: "yes", False: "**no**", None: "-"}[row.get("met")]
        cells = [
            row["figure"],
            row["value"],
            row.get("reference", "-"),
            row.get("target", "-"),
            verdict,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
