"""Architecture contracts are checked, not hoped for."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_import_contracts_hold():
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint_imports, "import-linter is part of the test extra"
    result = subprocess.run([lint_imports], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_compose_file_describes_the_production_stack():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"postgres", "nats", "temporal", "openbao", "migrate", "api", "projections"} <= set(
        services
    )
    for name in ("migrate", "api", "projections"):
        command = services[name]["command"]
        assert command[0] == "signalyard"
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgresql://")
    from signalyard.cli import main

    for name in ("migrate", "api", "projections"):
        # A real CLI command: its help is found (an unknown one is a usage error, 2).
        assert main([*services[name]["command"][1:], "--help"]) == 0, name
    assert main(["projections", "frob", "--help"]) == 2


def test_every_route_passes_the_edge():
    from api.app import COMMAND_ROUTERS, MIXED_ROUTERS, QUERY_ROUTERS
    from api.edge import EdgeRoute

    routers = (*COMMAND_ROUTERS, *QUERY_ROUTERS, *MIXED_ROUTERS)
    assert all(isinstance(route, EdgeRoute) for router in routers for route in router.routes)
