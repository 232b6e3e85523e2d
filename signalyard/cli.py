"""The `signalyard` command: argument parsing and dispatch only."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from signalyard.settings import Settings

STATUS_COLUMNS = ["name", "position", "head", "lag", "active", "quarantined", "parked", "health"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="signalyard", description="Signalyard: control plane for AI-agent tasks and workflows"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    dev = commands.add_parser(
        "dev",
        help="run Postgres (embedded unless DATABASE_URL), "
        "the API and the projections on this machine",
    )
    dev.add_argument("--port", type=int, help="API port (SIGNALYARD_PORT, default 8000)")
    dev.add_argument("--host", help="API bind address (SIGNALYARD_HOST, default 127.0.0.1)")
    dev.add_argument(
        "--data-dir", type=Path, help="state directory (SIGNALYARD_DATA_DIR, default .signalyard)"
    )

    commands.add_parser("api", help="run the HTTP API (used by `dev`)")
    commands.add_parser("migrate", help="create or upgrade every table and the admin user")

    projections = commands.add_parser("projections", help="read-model projections")
    actions = projections.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("run", help="run the projection runners (used by `dev`)")
    actions.add_parser("status", help="positions, lag and health of each projection")
    rebuild = actions.add_parser("rebuild", help="rebuild one projection, or all")
    rebuild.add_argument("name", nargs="?")
    dead = actions.add_parser("dead-letters", help="list events a projection could not apply")
    dead.add_argument("name", nargs="?")
    redrive = actions.add_parser("redrive", help="retry one dead letter")
    redrive.add_argument("id", type=int)
    skip = actions.add_parser("skip", help="give up on one dead letter")
    skip.add_argument("id", type=int)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings.from_env()
    if args.command == "dev":
        from signalyard.dev import run_dev

        return run_dev(
            settings.with_overrides(port=args.port, host=args.host, data_dir=args.data_dir)
        )
    from signalyard.embedded import EmbeddedPostgresError, resolve_database_url

    try:
        settings = settings.with_overrides(database_url=resolve_database_url(settings))
    except EmbeddedPostgresError as exc:
        print(f"signalyard: {exc}", file=sys.stderr)
        return 2
    if args.command == "api":
        from signalyard.bootstrap import run_api

        run_api(settings)
        return 0
    if args.command == "migrate":
        from signalyard.bootstrap import prepare

        token = prepare(settings)
        print("schema ready" + (f"; admin API token (shown once): {token}" if token else ""))
        return 0
    return _projections(args, settings)


def _projections(args: argparse.Namespace, settings: Settings) -> int:
    from signalyard import bootstrap

    if args.action == "run":
        bootstrap.run_projections(settings)
    elif args.action == "status":
        print(format_table(bootstrap.projections_status(settings), STATUS_COLUMNS))
    elif args.action == "rebuild":
        result = bootstrap.rebuild_projections(settings, args.name)
        for name, count in result or [(args.name or "all projections", None)]:
            print(f"rebuilt {name}" + ("" if count is None else f" ({count} events)"))
    elif args.action == "dead-letters":
        rows = bootstrap.list_dead_letters(settings, args.name)
        print(format_table(rows, _columns(rows)) if rows else "no dead letters")
    elif args.action in ("redrive", "skip"):
        return _dead_letter_command(args, settings)
    return 0


def _dead_letter_command(args: argparse.Namespace, settings: Settings) -> int:
    from signalyard import bootstrap

    try:
        if args.action == "skip":
            bootstrap.skip_dead_letter(settings, args.id)
            print(f"dead letter {args.id} skipped")
        elif bootstrap.redrive_dead_letter(settings, args.id):
            print(f"dead letter {args.id} redriven")
        else:
            print(f"dead letter {args.id} failed again; still quarantined", file=sys.stderr)
            return 1
    except LookupError:
        print(f"signalyard: no dead letter {args.id} to {args.action}", file=sys.stderr)
        return 1
    except ValueError as exc:  # refused: not in a state (or a generation) to act on
        print(f"signalyard: {exc}", file=sys.stderr)
        return 1
    return 0


def _columns(rows: list[dict]) -> list[str]:
    return list(dict.fromkeys(key for row in rows for key in row))


def format_table(rows: list[dict], columns: list[str]) -> str:
    cells = [[_cell(row.get(col)) for col in columns] for row in rows]
    widths = [max([len(col), *(len(r[i]) for r in cells)]) for i, col in enumerate(columns)]

    def line(values: list[str]) -> str:
        return "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)).rstrip()

    return "\n".join([line(columns), *(line(r) for r in cells)])


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value).replace("\n", " ")
