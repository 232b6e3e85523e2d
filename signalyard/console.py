"""What the `signalyard` command shows: tables, progress bars, settings with secrets masked."""

from __future__ import annotations

import io
import json
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich import box
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from signalyard.settings import Settings

# Piped output is read by scripts and tests: wide enough that no row wraps.
PIPED_WIDTH = 4000
MASK = "***"
_URL_PASSWORD = re.compile(r"(://[^:/@\s]*:)[^@\s]*@")
_KEY_PASSWORD = re.compile(r"(password=)[^&\s]+")


def console(stderr: bool = False) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() else PIPED_WIDTH
    return Console(file=stream, width=width, soft_wrap=True, highlight=False)


def say(message: str) -> None:
    console().print(message, markup=False)


def complain(message: str) -> None:
    console(stderr=True).print(message, markup=False)


def table(rows: list[dict], columns: list[str]) -> Table:
    grid = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold")
    for column in columns:
        grid.add_column(column, no_wrap=True, overflow="fold")
    for row in rows:
        grid.add_row(*(_cell(row.get(column)) for column in columns))
    return grid


def format_table(rows: list[dict], columns: list[str]) -> str:
    """The table as plain text, header first."""
    out = io.StringIO()
    Console(file=out, width=PIPED_WIDTH, color_system=None).print(table(rows, columns))
    return "\n".join(line.rstrip() for line in out.getvalue().splitlines() if line.strip())


def columns_of(rows: list[dict]) -> list[str]:
    return list(dict.fromkeys(key for row in rows for key in row))


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value).replace("\n", " ")


@contextmanager
def progress(what: str, total: int) -> Iterator[Progress]:
    """A bar with the count done, the time taken and the time left (ETA)."""
    bar = Progress(
        TextColumn("[bold]{task.description}", markup=True),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console(stderr=True),
        transient=False,
    )
    with bar:
        bar.add_task(what, total=total)
        yield bar


def mask_url(url: str) -> str:
    return _KEY_PASSWORD.sub(rf"\1{MASK}", _URL_PASSWORD.sub(rf"\1{MASK}@", url))


def settings_rows(settings: Settings) -> list[dict]:
    """One row per setting: its variable, its effective value (secrets masked), its rule."""
    rows = []
    for field, info in type(settings).model_fields.items():
        value = getattr(settings, field)
        if value is None:
            shown = "(unset)"
        elif field == "database_url":
            shown = mask_url(value)
        elif type(settings).is_secret(field):
            shown = MASK
        else:
            shown = str(value)
        if field == "database_url" and value is None:
            shown = f"(unset: embedded Postgres under {settings.data_dir})"
        elif field == "blob_dir" and value is None:
            shown = f"(unset: {settings.blob_path})"
        variable = type(settings).env_name(field)
        rows.append({"variable": variable, "value": shown, "meaning": info.description})
    return rows


def print_event(event: Any) -> None:
    """One CloudEvent of `signalyard events tail`: position, time, type, source, then data."""
    data = json.dumps(event.data, default=str, separators=(",", ":"))
    line = Text.assemble(
        (f"{event.position or '-':>8} ", "dim"),
        (f"{(event.time or '')[:23]} ", "cyan"),
        (event.type.removeprefix("io.signalyard.").removesuffix(".v1"), "bold green"),
        f" {event.source} ",
        (data if len(data) <= 400 else data[:399] + "…", "dim"),
    )
    console().print(line, soft_wrap=True, highlight=False)
