"""Secrets injected into one task attempt on the real stack: declared at submission,
resolved by the dispatcher at launch (the ledger shows it), delivered to a real local
agent as an env variable and a 0400 file, gone with its working directory, invisible to a
task beside it. OpenBao (our own, stopped and started again) down: the task waits, saying
why, and runs once it is back; a secret gone: the attempt fails, saying which."""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hvac
import pytest
from support.api import add_member, created
from support.dispatch import (
    dispatcher_thread,
    own_bus,
    relay_running,
    submit,
    task_tree,
    wait_status,
)
from support.local_runtime import PYTHON, wait_until
from support.stack import Stack, bus_settings, free_port, running_stack

from signalyard.embedded import EmbeddedOpenBao
from signalyard.runtimes import log_store

# Checks its env variable and its file (same value, mode 0400), prints a hash, then waits
# a little so that a task beside it runs while its secret is on disk.
CHECKER = """
import hashlib, os, stat, sys, time
value = os.environ["OPENAI_API_KEY"].encode()
with open("secrets/openai", "rb") as f:
    on_disk = f.read()
mode = stat.S_IMODE(os.stat("secrets/openai").st_mode)
print("same:", value == on_disk, "mode:", oct(mode), "cwd:", os.getcwd(), flush=True)
print("sha256:", hashlib.sha256(value).hexdigest(), flush=True)
time.sleep(float(sys.argv[1]) if len(sys.argv) > 1 else 0)
"""
# A task without the secret: is it in its env, can it read the other attempt's file?
SNOOP = """
import json, os
print("env:", "present" if "OPENAI_API_KEY" in os.environ else "absent", flush=True)
peek = json.loads(os.environ["SIGNALYARD_TASK_INPUT"])["peek"]
try:
    open(peek, "rb").read()
    print("file: read", flush=True)
except OSError as error:
    print("file: refused", type(error).__name__, flush=True)
"""


@pytest.fixture(scope="module")
def vault() -> Iterator[EmbeddedOpenBao]:
    """An OpenBao of this module's own, on a fixed port: stopped and started by a test."""
    base = Path(tempfile.mkdtemp(prefix="signalyard-bao-"))
    server = EmbeddedOpenBao(base, port=free_port())
    server.start()
    yield server
    server.stop()
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def stack(module_db_url: str, nats_bus: Any, vault: EmbeddedOpenBao) -> Iterator[Stack]:
    runtime_dir = Path(tempfile.mkdtemp(prefix="signalyard-secrets-"))
    runtime_dir.chmod(0o755)
    options = {
        **bus_settings(nats_bus),
        **own_bus(),
        "runtime_dir": runtime_dir,
        "runtime_kill_grace_seconds": 0.5,
        "dispatcher_heartbeat_seconds": 0.5,
        "dispatcher_sweep_seconds": 0.5,
        "vault_addr": vault.url,
        "vault_token": vault.token,
    }
    with running_stack(module_db_url, **options) as running, relay_running(running.settings):
        yield running
    shutil.rmtree(runtime_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def tree(stack: Stack) -> Any:
    with stack.admin() as admin:
        made = task_tree(admin, "injected")
        _python_agent(admin, made.org_path, "checker", CHECKER, "3")
        _python_agent(admin, made.org_path, "quick-checker", CHECKER)
        _python_agent(admin, made.org_path, "failing-checker", CHECKER + "sys.exit(1)\n")
        _python_agent(admin, made.org_path, "snoop", SNOOP)
        return made


def _python_agent(admin: Any, org_path: str, slug: str, code: str, *args: str) -> None:
    created(
        admin.post(
            f"{org_path}/agent-definitions",
            json={
                "name": slug,
                "slug": slug,
                "image": "python:3.11",
                "cmd_override": [PYTHON, "-u", "-c", code, *args],
                "default_cpu": "500m",
                "max_cpu": "1",
                "default_memory": "256Mi",
                "max_memory": "512Mi",
            },
        )
    )


def _secret(admin: Any, scope_path: str, name: str, value: str, **fields: Any) -> dict:
    body = {"name": name, "backend": "local", "value": value, **fields}
    return created(admin.post(f"{scope_path}/secrets", json=body))


def _needs(name: str) -> list[dict]:
    return [
        {"name": name, "as": "env", "env_var": "OPENAI_API_KEY"},
        {"name": name, "as": "file", "path": "secrets/openai"},
    ]


def _log(stack: Stack, task: dict, attempt: int = 1) -> bytes:
    key = f"{task['organization_id']}/{task['project_id']}/{task['guid']}/{attempt}"
    return log_store(stack.settings).read(key)


def _read_with_accesses(admin: Any, tree: Any, guid: str) -> dict:
    """The task once the secrets read model has its ledger entries (another projection)."""
    body: dict = {}

    def has_accesses() -> bool:
        nonlocal body
        body = admin.get(f"{tree.project_path}/tasks/{guid}").json()
        return bool(body.get("secret_accesses"))

    assert wait_until(has_accesses, 15), body
    return body


def test_an_attempt_gets_its_secret_as_env_and_0400_file_and_a_task_beside_it_does_not(stack, tree):
    value = f"sk-{uuid.uuid4().hex}"
    with stack.admin() as admin:
        _secret(admin, tree.ws_path, "openai-key", value)
        with dispatcher_thread(stack.settings) as dispatcher:
            task = submit(admin, tree, "checker", secrets=_needs("openai-key"))
            assert task["secrets"] == _needs("openai-key")
            wait_status(admin, tree, task["guid"], {"running"})
            workdir = Path(stack.settings.runtime_path) / f"{task['guid']}-1"
            peek = str(workdir / "secrets" / "openai")
            assert wait_until(lambda: b"sha256:" in _log(stack, task), 15)
            snoop = submit(admin, tree, "snoop", input={"peek": peek})
            snooped = wait_status(admin, tree, snoop["guid"], {"succeeded", "failed"})
            done = wait_status(admin, tree, task["guid"], {"succeeded", "failed"})
        read = _read_with_accesses(admin, tree, task["guid"])
        accesses = admin.get(f"{tree.ws_path}/secrets/openai-key/accesses").json()["items"]
    log = _log(stack, done).decode()
    assert done["status"] == "succeeded", (done, log)
    assert "same: True mode: 0o400" in log
    assert f"sha256: {hashlib.sha256(value.encode()).hexdigest()}" in log
    assert value not in log
    assert not workdir.exists()  # removed with the attempt, its secret file with it
    assert snooped["status"] == "succeeded"
    assert "env: absent" in _log(stack, snooped).decode()
    assert "file: refused PermissionError" in _log(stack, snooped).decode()
    (access,) = read["secret_accesses"]
    assert (access["attempt"], access["version_number"], access["backend"]) == (1, 1, "local")
    assert access["resolver"] == f"dispatcher {dispatcher.name}"
    assert read["secrets"] == _needs("openai-key") and read["waiting_reason"] is None
    assert [a["task_id"] for a in accesses] == [task["guid"]]


def test_a_retry_resolves_again_and_gets_the_version_rotated_since(stack, tree):
    with stack.admin() as admin:
        _secret(admin, tree.ws_path, "rotating", "first-value")
        with dispatcher_thread(stack.settings):
            task = submit(admin, tree, "failing-checker", secrets=_needs("rotating"))
            wait_status(admin, tree, task["guid"], {"failed"})
            rotated = admin.post(f"{tree.ws_path}/secrets/rotating:rotate", json={"value": "v2"})
            assert rotated.status_code == 200, rotated.text
            url = f"{tree.project_path}/tasks/{task['guid']}"
            assert admin.post(f"{url}:retry", json={}).status_code == 200
            wait_until(lambda: admin.get(url).json()["attempt"] == 2, 10)
            wait_status(admin, tree, task["guid"], {"failed"})
        body: dict = {}

        def both_attempts() -> bool:
            nonlocal body
            body = admin.get(url).json()
            return len(body["secret_accesses"]) == 2

        assert wait_until(both_attempts, 15), body
    versions = [(a["attempt"], a["version_number"]) for a in body["secret_accesses"]]
    assert versions == [(1, 1), (2, 2)]  # each attempt pins what it resolved at its launch
    assert hashlib.sha256(b"first-value").hexdigest() in _log(stack, body, 1).decode()
    assert hashlib.sha256(b"v2").hexdigest() in _log(stack, body, 2).decode()


def test_bad_declarations_and_unknown_names_are_refused_naming_the_field(stack, tree):
    with stack.admin() as admin:
        _secret(admin, tree.org_path, "org-only", "x", inherit=False)
        cases = {
            "secrets[0].name": [{"name": "no-such-secret", "as": "env", "env_var": "K"}],
            "secrets[0].name ": [{"name": "org-only", "as": "env", "env_var": "K"}],
            "secrets[0].env_var": [{"name": "org-only", "as": "env", "env_var": "SIGNALYARD_X"}],
            "secrets[0].path": [{"name": "org-only", "as": "file", "path": "../escape"}],
        }
        for field, needs in cases.items():
            sent = admin.post(
                f"{tree.project_path}/tasks",
                json={"brief": "b", "agent_definition": "snoop", "secrets": needs},
            )
            assert sent.status_code == 422, sent.text
            assert field.strip() in sent.text, sent.text
        wrong_as = admin.post(
            f"{tree.project_path}/tasks",
            json={"brief": "b", "agent_definition": "snoop", "secrets": [{"name": "k"}]},
        )
        assert wrong_as.status_code == 422


def test_operators_may_attach_secrets_to_tasks_they_run_and_viewers_may_not(stack, tree):
    with stack.admin() as admin:
        _secret(admin, tree.ws_path, "for-operators", "op-value")
        _, operator, _ = add_member(admin, tree.org["slug"], "operator")
        _, viewer, _ = add_member(admin, tree.org["slug"], "viewer")
    body = {"brief": "b", "agent_definition": "snoop", "secrets": _needs("for-operators")}
    with stack.client(operator) as client:
        assert client.post(f"{tree.project_path}/tasks", json=body).status_code == 202
    with stack.client(viewer) as client:
        assert client.post(f"{tree.project_path}/tasks", json=body).status_code == 403


def _kv(vault: EmbeddedOpenBao) -> Any:
    return hvac.Client(url=vault.url, token=vault.token).secrets.kv.v2


def test_while_openbao_is_down_the_task_waits_saying_why_and_runs_when_it_returns(
    stack, tree, vault
):
    path = f"signalyard/{uuid.uuid4().hex}"
    value = f"vaulted-{uuid.uuid4().hex}"
    with stack.admin() as admin:
        body = {"name": "vaulted", "backend": "vault", "value": value, "path_or_arn": path}
        created(admin.post(f"{tree.ws_path}/secrets", json=body))
        vault.stop()
        try:
            with dispatcher_thread(stack.settings):
                task = submit(admin, tree, "quick-checker", secrets=_needs("vaulted"))
                url = f"{tree.project_path}/tasks/{task['guid']}"
                assert wait_until(lambda: admin.get(url).json()["waiting_reason"], 20)
                waiting = admin.get(url).json()
                time.sleep(30)  # OpenBao down for 30 s: tried again and again meanwhile
                still = admin.get(url).json()
                vault.start()
                # Dev mode forgets what it held; a real Vault would still have it.
                _kv(vault).create_or_update_secret(path=path, secret={"value": value})
                done = wait_status(admin, tree, task["guid"], {"succeeded", "failed"}, 60)
                timeline = admin.get(f"{url}/timeline").json()["items"]
        finally:
            if not vault._answers():
                vault.start()
    assert waiting["status"] == "dispatched"
    assert "vault" in waiting["waiting_reason"] and "does not answer" in waiting["waiting_reason"]
    assert still["status"] == "dispatched" and still["waiting_reason"] == waiting["waiting_reason"]
    assert done["status"] == "succeeded", done
    assert done["waiting_reason"] is None
    waits = [entry for entry in timeline if entry["event"] == "Waiting"]
    assert len(waits) == 1, timeline  # one event per change of reason, not one per try
    assert waits[0]["reason"] == waiting["waiting_reason"] and waits[0]["status"] is None
    assert hashlib.sha256(value.encode()).hexdigest() in _log(stack, done).decode()


def test_a_secret_gone_from_its_backend_fails_the_attempt_saying_which(stack, tree, vault):
    path = f"signalyard/{uuid.uuid4().hex}"
    with stack.admin() as admin:
        body = {"name": "vanishing", "backend": "vault", "value": "soon-gone", "path_or_arn": path}
        created(admin.post(f"{tree.ws_path}/secrets", json=body))
        _kv(vault).delete_metadata_and_all_versions(path=path)
        with dispatcher_thread(stack.settings):
            gone = submit(admin, tree, "quick-checker", secrets=_needs("vanishing"))
            failed = wait_status(admin, tree, gone["guid"], {"succeeded", "failed"})
    assert failed["status"] == "failed"
    assert "secrets not delivered" in failed["reason"] and path in failed["reason"]
    assert "soon-gone" not in json.dumps(failed)


def test_a_secret_deleted_after_the_submission_fails_the_attempt_naming_it(stack, tree):
    with stack.admin() as admin:
        made = _secret(admin, tree.ws_path, "deleted-later", "short-lived")
        task = submit(admin, tree, "quick-checker", secrets=_needs("deleted-later"))
        deleted = admin.delete(
            f"{tree.ws_path}/secrets/deleted-later", headers={"If-Match": f'"{made["version"]}"'}
        )
        assert deleted.status_code == 200, deleted.text
        with dispatcher_thread(stack.settings):
            failed = wait_status(admin, tree, task["guid"], {"succeeded", "failed"})
    assert failed["status"] == "failed"
    assert "secrets not delivered" in failed["reason"] and "deleted-later" in failed["reason"]
