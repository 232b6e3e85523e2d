"""The `signalyard` command: arguments and what to show; the work is in bootstrap and dev."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer

from api.roles import Role
from signalyard import console
from signalyard.console import complain, say
from signalyard.settings import Settings

STATUS_COLUMNS = ["name", "position", "head", "lag", "active", "quarantined", "parked", "health"]
format_table = console.format_table  # plain-text tables, for scripts and tests

app = typer.Typer(
    name="signalyard",
    help="Signalyard: control plane for AI-agent tasks and workflows",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
ProjectionName = Annotated[
    str | None, typer.Argument(metavar="NAME", help="one projection (default: all)")
]
DeadLetterId = Annotated[int, typer.Argument(metavar="ID")]
projections = typer.Typer(help="read-model projections", no_args_is_help=True)
app.add_typer(projections, name="projections")
callbacks = typer.Typer(help="signed callbacks", no_args_is_help=True)
app.add_typer(callbacks, name="callbacks")
health = typer.Typer(help="infra service health", no_args_is_help=True)
app.add_typer(health, name="health")
events = typer.Typer(help="the event bus (NATS JetStream)", no_args_is_help=True)
app.add_typer(events, name="events")
secrets = typer.Typer(help="secret keys", no_args_is_help=True)
app.add_typer(secrets, name="secrets")


def _settings(**overrides: object) -> Settings:
    return Settings.from_env().with_overrides(**overrides)


def _with_database(settings: Settings) -> Settings:
    from signalyard.embedded import EmbeddedPostgresError, resolve_database_url

    try:
        return settings.with_overrides(database_url=resolve_database_url(settings))
    except EmbeddedPostgresError as exc:
        complain(f"signalyard: {exc}")
        raise typer.Exit(2) from None


@app.command(
    help="run Postgres, NATS and Temporal (each embedded unless its URL is set), the API and "
    "the projections"
)
def dev(
    port: Annotated[int | None, typer.Option(help="API port (SIGNALYARD_PORT)")] = None,
    host: Annotated[str | None, typer.Option(help="API bind address (SIGNALYARD_HOST)")] = None,
    data_dir: Annotated[
        Path | None, typer.Option(help="state directory (SIGNALYARD_DATA_DIR)")
    ] = None,
) -> None:
    from signalyard.dev import run_dev

    raise typer.Exit(run_dev(_settings(port=port, host=host, data_dir=data_dir)))


@app.command(help="run the HTTP API (used by `dev`)")
def api(
    role: Annotated[
        Role | None,
        typer.Option(
            help="serve the commands (writes), the queries (reads) or all (SIGNALYARD_API_ROLE)"
        ),
    ] = None,
) -> None:
    from signalyard.bootstrap import run_api

    run_api(_with_database(_settings(api_role=role)))


@app.command(help="create or upgrade every table and the admin user")
def migrate() -> None:
    from signalyard.bootstrap import MIGRATION_STEPS, prepare

    settings = _with_database(_settings())
    with console.progress("migrate", len(MIGRATION_STEPS)) as bar:
        (task,) = bar.task_ids

        def step(name: str) -> None:
            started = MIGRATION_STEPS.index(name)
            bar.update(task, completed=started, description=f"migrate: {name}")

        token = prepare(settings, step)
        bar.update(task, completed=len(MIGRATION_STEPS), description="migrate")
    say("schema ready" + (f"; admin API token (shown once): {token}" if token else ""))


@app.command(help="print the effective settings (secrets masked)")
def config() -> None:
    rows = console.settings_rows(_settings())
    console.console().print(console.table(rows, ["variable", "value", "meaning"]))


@app.command(help="publish every event to NATS JetStream as a CloudEvent (used by `dev`)")
def relay() -> None:
    from signalyard.bootstrap import run_relay

    run_relay(_with_bus(_with_database(_settings())))


def _with_bus(settings: Settings) -> Settings:
    from signalyard.embedded import EmbeddedServiceError, resolve_nats_url

    try:
        return settings.with_overrides(nats_url=resolve_nats_url(settings))
    except EmbeddedServiceError as exc:
        complain(f"signalyard: {exc}")
        raise typer.Exit(2) from None


@app.command(help="take queued tasks off the bus and run them on a runtime (used by `dev`)")
def dispatcher(
    runtime: Annotated[str, typer.Option(help="where attempts run: local or kubernetes")] = "local",
) -> None:
    from signalyard.bootstrap import run_dispatcher

    if runtime not in ("local", "kubernetes"):
        complain("signalyard: --runtime must be local or kubernetes")
        raise typer.Exit(2)
    run_dispatcher(_with_bus(_with_database(_settings())), runtime)


@events.command("tail", help="print the events on the bus as they come (Ctrl-C to stop)")
def events_tail(
    org: Annotated[str | None, typer.Option(help="only this org's events (its guid)")] = None,
    type_glob: Annotated[
        str | None,
        typer.Option("--type", help="only types matching this glob, e.g. 'io.signalyard.skill.*'"),
    ] = None,
    since: Annotated[
        int | None, typer.Option(help="replay from this log position first", min=0)
    ] = None,
    count: Annotated[int | None, typer.Option(help="stop after this many events", min=1)] = None,
) -> None:
    from signalyard.bootstrap import tail_events
    from signalyard.console import print_event

    settings = _with_bus(_settings())
    try:
        tail_events(settings, print_event, org=org, type_glob=type_glob, since=since, count=count)
    except KeyboardInterrupt:
        pass


@app.command(help="route the bus's events to Temporal signals along EventRoutes (used by `dev`)")
def router() -> None:
    from signalyard.router import run_router

    run_router(_with_temporal(_with_bus(_with_database(_settings()))))


@app.command(help="run workflow instances: the Temporal worker (used by `dev`)")
def worker() -> None:
    from signalyard.worker import run_worker

    run_worker(_with_temporal(_with_database(_settings())))


def _with_temporal(settings: Settings) -> Settings:
    from signalyard.embedded import EmbeddedServiceError, resolve_temporal_address

    try:
        return settings.with_overrides(temporal_address=resolve_temporal_address(settings))
    except EmbeddedServiceError as exc:
        complain(f"signalyard: {exc}")
        raise typer.Exit(2) from None


@projections.command("run", help="run the projection runners (used by `dev`)")
def projections_run() -> None:
    from signalyard.bootstrap import run_projections

    run_projections(_with_database(_settings()))


@callbacks.command("run", help="send due callbacks, retrying with backoff (used by `dev`)")
def callbacks_run() -> None:
    from signalyard.bootstrap import run_callbacks

    run_callbacks(_with_database(_settings()))


@health.command("run", help="probe infra services on their interval (used by `dev`)")
def health_run() -> None:
    from signalyard.bootstrap import run_health

    run_health(_with_database(_settings()))


@projections.command("status", help="positions, lag and health of each projection")
def projections_status() -> None:
    from signalyard.bootstrap import projections_status as status

    rows = status(_with_database(_settings()))
    console.console().print(console.table(rows, STATUS_COLUMNS))


@projections.command("rebuild", help="rebuild one projection, or all")
def projections_rebuild(name: ProjectionName = None) -> None:
    from signalyard.bootstrap import projection_names, rebuild_projections

    settings = _with_database(_settings())
    with console.progress("rebuild", max(1, len(projection_names(name)))) as bar:
        (task,) = bar.task_ids

        def done(rebuilt: str, _position: int) -> None:
            bar.update(task, advance=1, description=f"rebuilt {rebuilt}")

        result = rebuild_projections(settings, name, done)
    for rebuilt, count in result or [(name or "all projections", None)]:
        say(f"rebuilt {rebuilt}" + ("" if count is None else f" ({count} events)"))


@projections.command("dead-letters", help="list events a projection could not apply")
def projections_dead_letters(name: ProjectionName = None) -> None:
    from signalyard.bootstrap import list_dead_letters

    rows = list_dead_letters(_with_database(_settings()), name)
    if rows:
        console.console().print(console.table(rows, console.columns_of(rows)))
    else:
        say("no dead letters")


@projections.command("redrive", help="retry one dead letter")
def projections_redrive(id: DeadLetterId) -> None:
    raise typer.Exit(_dead_letter("redrive", id))


@projections.command("skip", help="give up on one dead letter")
def projections_skip(id: DeadLetterId) -> None:
    raise typer.Exit(_dead_letter("skip", id))


@secrets.command(
    "rotate-master-key",
    help="re-wrap every organization's data key under the current (or, in dev, a new) "
    "key-encryption key; secret values are not re-encrypted",
)
def secrets_rotate_master_key() -> None:
    from signalyard.bootstrap import database_url
    from signalyard.secrets_wiring import rotate_master_key

    settings = _with_database(_settings())
    done, kek_id = rotate_master_key(settings, database_url(settings))
    say(f"re-wrapped {done} data keys under {kek_id}")


def _dead_letter(action: str, dead_letter_id: int) -> int:
    from signalyard import bootstrap

    settings = _with_database(_settings())
    try:
        if action == "skip":
            bootstrap.skip_dead_letter(settings, dead_letter_id)
            say(f"dead letter {dead_letter_id} skipped")
        elif bootstrap.redrive_dead_letter(settings, dead_letter_id):
            say(f"dead letter {dead_letter_id} redriven")
        else:
            complain(f"dead letter {dead_letter_id} failed again; still quarantined")
            return 1
    except LookupError:
        complain(f"signalyard: no dead letter {dead_letter_id} to {action}")
        return 1
    except ValueError as exc:  # refused: not in a state (or a generation) to act on
        complain(f"signalyard: {exc}")
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command and return its exit code (2 for a usage error)."""
    try:
        app(args=None if argv is None else list(argv), prog_name="signalyard")
    except SystemExit as exc:
        if isinstance(exc.code, str):  # a refusal worded for the operator (settings, names)
            complain(exc.code)
            return 1
        return exc.code or 0
    return 0
