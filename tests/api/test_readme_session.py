"""The README's first session and its skills, configs and tools walk-through run as written,
against a running stack, so the docs cannot rot: every curl in them must answer below 400,
with no `min_position` (a caller reads its own writes by default)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.stack import Stack, running_stack

README = Path(__file__).resolve().parents[2] / "README.md"
SECTIONS = (
    "A first session",
    "Skills, configs and tools",
    "Event routes",
    "Callbacks",
    "Infra services",
    "Tasks, agent definitions and runtime targets",
    "Secrets",
    "Workflow templates",
)

# Each curl in the README runs through this function: the body goes where the README says,
# the status to a log the test reads (the README's `curl -s` alone would hide a 4xx).
CURL_WRAPPER = r"""
set -euo pipefail
curl() {
    local out code
    out=$(command curl --no-progress-meter -w '\n%{http_code}' "$@")
    code=${out##*$'\n'}
    printf '%s\n' "${out%$'\n'*}"
    printf '%s\t%s\n' "$code" "${*//$'\n'/ }" >> "$CURL_LOG"
}
"""


def bash_blocks(section: str) -> list[str]:
    """The fenced bash blocks under a README heading, up to the next heading."""
    text = README.read_text()
    start = re.search(rf"^#+ {re.escape(section)}\n", text, flags=re.M)
    assert start, f"README.md has no heading {section!r}"
    rest = text[start.end() :]
    end = re.search(r"^#+ ", rest, flags=re.M)
    body = rest[: end.start()] if end else rest
    return re.findall(r"^```bash\n(.*?)^```", body, flags=re.M | re.S)


def session_script(base_url: str, token: str) -> str:
    script = "\n".join(block for section in SECTIONS for block in bash_blocks(section))
    script, tokens = re.subn(r"^TOKEN=\S+", f"TOKEN={token}", script, flags=re.M)
    script, apis = re.subn(r"^API=\S+", f"API={base_url}", script, flags=re.M)
    assert (tokens, apis) == (1, 1), "the first session sets TOKEN and API once each"
    assert "min_position" not in script, "the walk-through reads its own writes unaided"
    return script


@pytest.fixture(scope="module")
def readme_stack(module_db_url: str, vault_server: tuple[str, str]) -> Iterator[Stack]:
    # A database of its own: the README names its organization "acme", as other tests may.
    addr, token = vault_server
    with running_stack(module_db_url, vault_addr=addr, vault_token=token) as running:
        yield running


def test_the_readme_session_runs_as_written(readme_stack: Stack, tmp_path: Path):
    # The README's walk-through is curl: without it the docs cannot be checked, which is a
    # failure of this machine's setup, not a reason to pass silently.
    assert shutil.which("curl"), "curl is needed to run the README's walk-through"
    script = session_script(readme_stack.base_url, readme_stack.admin_token)
    log = tmp_path / "curl.log"
    log.touch()
    env = {
        **os.environ,
        "CURL_LOG": str(log),
        # `python3` in the README is this interpreter (its stdlib zipfile is all it needs).
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    done = subprocess.run(
        ["bash", "-c", CURL_WRAPPER + script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    calls = [line.split("\t", 1) for line in log.read_text().splitlines()]
    assert done.returncode == 0, (done.stdout, done.stderr, calls)
    assert len(calls) == len(re.findall(r"^curl ", script, flags=re.M)), calls
    failed = [(code, args) for code, args in calls if not 200 <= int(code) < 400]
    assert not failed, (failed, done.stdout)
