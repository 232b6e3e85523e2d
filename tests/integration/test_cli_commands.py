"""The `signalyard` commands an operator runs against a database: migrate, the status and
dead-letter tables, rebuild (progress on stderr, results on stdout)."""

from __future__ import annotations

import re

from signalyard.bootstrap import projection_names
from signalyard.cli import STATUS_COLUMNS, main


def test_migrate_status_rebuild_and_dead_letters(fresh_db_url, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", fresh_db_url)
    monkeypatch.delenv("SIGNALYARD_BOOTSTRAP_TOKEN", raising=False)

    assert main(["migrate"]) == 0
    migrated = capsys.readouterr()
    assert re.search(r"^schema ready; admin API token \(shown once\): \S+$", migrated.out, re.M)
    assert "migrate" in migrated.err and "ETA" in migrated.err  # the progress bar
    assert main(["migrate"]) == 0  # idempotent; the token is shown only once
    assert capsys.readouterr().out.strip() == "schema ready"

    assert main(["projections", "status"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == STATUS_COLUMNS
    assert {line.split()[0] for line in lines[2:]} == set(projection_names())

    assert main(["projections", "rebuild"]) == 0
    rebuilt = capsys.readouterr()
    assert [line.split()[1] for line in rebuilt.out.splitlines()] == projection_names()
    assert "ETA" in rebuilt.err and f"rebuilt {projection_names()[-1]}" in rebuilt.err

    assert main(["projections", "rebuild", "nonesuch"]) == 1
    assert "unknown projection 'nonesuch'" in capsys.readouterr().err

    assert main(["projections", "dead-letters"]) == 0
    assert capsys.readouterr().out.strip() == "no dead letters"
    assert main(["projections", "skip", "999"]) == 1
    assert "no dead letter 999 to skip" in capsys.readouterr().err
