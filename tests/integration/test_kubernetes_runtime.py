"""The Kubernetes runtime against the recording endpoint (tests/support/kube_api.py), the
one fake boundary: the official client makes real HTTP calls, the endpoint answers in the
API's own shapes and records them."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client
from support.kube_api import KubeApi

from workers.adapters.logstore import FileLogStore
from workers.runtimes.interface import Exited, KillCause, Killed, Outcome, Running, outcome_of
from workers.runtimes.kubernetes.runtime import KubernetesRuntime
from workers.runtimes.spec import LaunchSpec, SecretMaterial

ACTIVE = {"active": 1, "ready": 1}
COMPLETE = {"succeeded": 1, "conditions": [{"type": "Complete", "status": "True"}]}


def _failed(reason: str) -> dict[str, Any]:
    return {"failed": 1, "conditions": [{"type": "Failed", "status": "True", "reason": reason}]}


@pytest.fixture
def kube() -> Iterator[KubeApi]:
    api = KubeApi()
    yield api
    api.close()


def _runtime(kube: KubeApi, logs: FileLogStore | None = None) -> KubernetesRuntime:
    configuration = client.Configuration()
    configuration.host = kube.url
    return KubernetesRuntime(
        client.ApiClient(configuration),
        namespace="agents",
        ttl_seconds_after_finished=600,
        watch_timeout_seconds=5,
        logs=logs,
    )


def _spec(task: str = "task-1", **fields: Any) -> LaunchSpec:
    return LaunchSpec(
        "org-1", "project-1", task, 1, "ghcr.io/acme/agent:1", command=("run",),
        brief="Do it.", configs={"llm": "{}"}, agent_token="tok-1", **fields,
    )  # fmt: skip


async def _next(changes: AsyncIterator[Any]) -> Any:
    return await asyncio.wait_for(anext(changes), timeout=10)


def test_start_creates_a_suspended_job_then_its_owned_secret_then_resumes(kube: KubeApi) -> None:
    async def scenario() -> None:
        runtime = _runtime(kube)
        handle = await runtime.start(_spec())
        assert handle.name == "sy-task-1-1" and handle.namespace == "agents"
        created = kube.calls("POST", "/jobs")[0]
        assert created.path == "/apis/batch/v1/namespaces/agents/jobs"
        assert created.body["spec"]["suspend"] is True
        secret = kube.calls("POST", "/secrets")[0]
        job_uid = kube.jobs[handle.name]["metadata"]["uid"]
        assert secret.body["metadata"]["ownerReferences"] == [
            {"apiVersion": "batch/v1", "kind": "Job", "name": handle.name, "uid": job_uid}
        ]
        resumed = kube.calls("PATCH", f"/jobs/{handle.name}")[0]
        assert resumed.body == {"spec": {"suspend": False}}
        order = [(r.method, r.path.rsplit("/", 1)[-1]) for r in kube.requests]
        assert order == [("POST", "jobs"), ("POST", "secrets"), ("PATCH", handle.name)]
        runtime.close()

    asyncio.run(scenario())


def test_a_failed_secret_creation_deletes_the_job_it_created(kube: KubeApi) -> None:
    kube.secrets["sy-task-1-1"] = {"metadata": {"name": "sy-task-1-1"}}  # in the way

    async def scenario() -> None:
        runtime = _runtime(kube)
        with pytest.raises(client.ApiException):
            await runtime.start(_spec())
        assert kube.calls("DELETE", "/jobs/sy-task-1-1")
        assert "sy-task-1-1" not in kube.jobs

    asyncio.run(scenario())


def test_watch_follows_the_job_and_relists_after_410_gone(kube: KubeApi) -> None:
    async def scenario() -> None:
        runtime = _runtime(kube)
        handle = await runtime.start(_spec())
        changes = runtime.watch(handle)
        kube.set_job_status(handle.name, ACTIVE)
        assert await _next(changes) == Running()
        kube.change_while_disconnected(handle.name, COMPLETE)  # the Complete event is compacted
        final = await _next(changes)
        assert final == Exited(0) and outcome_of(final) == (Outcome.SUCCEEDED, None)
        gone = [r for r in kube.calls("GET", "/jobs") if r.status == 410]
        assert gone and gone[0].query["watch"] == "true"
        assert runtime.watcher.lists >= 2  # the first list and the resync
        runtime.close()

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("status", "pod", "expected"),
    [
        (_failed("BackoffLimitExceeded"), (3, "Error"), Exited(3)),
        (
            _failed("BackoffLimitExceeded"),
            (137, "OOMKilled"),
            Exited(137, "memory limit exceeded: OOMKilled at 512Mi"),
        ),
        (
            _failed("DeadlineExceeded"),
            None,
            Killed(KillCause.TIMEOUT, "timed out after 3600 s (activeDeadlineSeconds)"),
        ),
    ],
)
def test_a_failed_job_ends_with_the_pods_exit_code_or_the_deadline(
    kube: KubeApi, status: dict[str, Any], pod: tuple[int, str] | None, expected: Any
) -> None:
    async def scenario() -> None:
        runtime = _runtime(kube)
        handle = await runtime.start(_spec())
        changes = runtime.watch(handle)
        kube.set_job_status(handle.name, ACTIVE)
        assert await _next(changes) == Running()
        if pod is not None:
            kube.add_pod(handle.name, exit_code=pod[0], reason=pod[1])
        kube.set_job_status(handle.name, status)
        assert await _next(changes) == expected
        runtime.close()

    asyncio.run(scenario())


def test_stop_deletes_the_job_in_the_background_and_ends_the_watch_killed(kube: KubeApi) -> None:
    async def scenario() -> None:
        runtime = _runtime(kube)
        handle = await runtime.start(_spec())
        changes = runtime.watch(handle)
        kube.set_job_status(handle.name, ACTIVE)
        assert await _next(changes) == Running()
        await runtime.stop(handle, "cancelled by alice")
        deleted = kube.calls("DELETE", f"/jobs/{handle.name}")[0]
        assert deleted.body["propagationPolicy"] == "Background"
        assert await _next(changes) == Killed(KillCause.STOPPED, "cancelled by alice")
        runtime.close()

    asyncio.run(scenario())


def test_logs_are_read_from_an_offset_and_followed_through_the_pod_log_api(kube: KubeApi) -> None:
    async def scenario() -> None:
        runtime = _runtime(kube)
        handle = await runtime.start(_spec())
        assert await runtime.logs(handle) == b""  # no pod yet
        follower = runtime.follow_logs(handle, offset=2)
        first = asyncio.ensure_future(_next(follower))  # waits for the pod
        await asyncio.sleep(0.3)
        pod = kube.add_pod(handle.name, log=b"first\n")
        assert await first == b"rst\n"
        assert await runtime.logs(handle) == b"first\n"
        assert await runtime.logs(handle, offset=3) == b"st\n"
        kube.append_log(pod, b"second\n", done=True)
        assert b"".join([chunk async for chunk in follower]) == b"second\n"
        read = kube.calls("GET", f"/pods/{pod}/log")
        assert all(r.query["container"] == "agent" for r in read)
        assert [r.query.get("follow") for r in read].count("true") == 1
        runtime.close()

    asyncio.run(scenario())


def test_a_finished_attempts_log_is_kept_after_its_pod_is_gone(
    kube: KubeApi, tmp_path: Path
) -> None:
    async def scenario() -> None:
        runtime = _runtime(kube, logs=FileLogStore(tmp_path))
        handle = await runtime.start(_spec())
        changes = runtime.watch(handle)
        kube.set_job_status(handle.name, ACTIVE)
        assert await _next(changes) == Running()
        kube.add_pod(handle.name, log=b"all done\n", exit_code=0, reason="Completed")
        kube.set_job_status(handle.name, COMPLETE)
        assert await _next(changes) == Exited(0)
        await runtime.stop(handle, "cleanup")  # the Job, its pod and their log are gone
        assert not kube.pods
        assert await runtime.logs(handle, offset=4) == b"done\n"
        runtime.close()

    asyncio.run(scenario())


def test_output_the_agent_sent_through_the_agent_api_is_kept_before_its_pod_log(
    kube: KubeApi, tmp_path: Path
) -> None:
    async def scenario() -> None:
        logs = FileLogStore(tmp_path)
        runtime = _runtime(kube, logs=logs)
        handle = await runtime.start(_spec())
        changes = runtime.watch(handle)
        kube.set_job_status(handle.name, ACTIVE)
        assert await _next(changes) == Running()
        logs.append(handle.log_key, b"sent by the agent\n")  # POST /v1/agent/attempt/output
        kube.add_pod(handle.name, log=b"all done\n", exit_code=0, reason="Completed")
        kube.set_job_status(handle.name, COMPLETE)
        assert await _next(changes) == Exited(0)
        assert logs.read(handle.log_key) == b"sent by the agent\nall done\n"
        runtime.close()

    asyncio.run(scenario())


def test_an_attempts_secrets_go_only_into_its_secret_owned_by_its_job(kube: KubeApi) -> None:
    value = b"sk-kube-0123456789"
    secrets = (
        SecretMaterial("openai-key", "env", "OPENAI_API_KEY", value),
        SecretMaterial("openai-key", "file", "secrets/openai", value),
    )

    async def scenario() -> None:
        runtime = _runtime(kube)
        handle = await runtime.start(_spec(task="task-s", secrets=secrets))
        job = kube.calls("POST", "/jobs")[0].body
        secret = kube.calls("POST", "/secrets")[0].body
        assert value.decode() not in json.dumps(job)
        assert base64.b64encode(value).decode() not in json.dumps(job)
        env = {e["name"]: e for e in job["spec"]["template"]["spec"]["containers"][0]["env"]}
        key = env["OPENAI_API_KEY"]["valueFrom"]["secretKeyRef"]
        assert key["name"] == handle.name == secret["metadata"]["name"]
        assert base64.b64decode(secret["data"][key["key"]]) == value
        volume = job["spec"]["template"]["spec"]["volumes"][0]["secret"]
        item = next(i for i in volume["items"] if i["path"] == "secrets/openai")
        assert item["mode"] == 0o400 and base64.b64decode(secret["data"][item["key"]]) == value
        job_uid = kube.jobs[handle.name]["metadata"]["uid"]
        assert secret["metadata"]["ownerReferences"][0]["uid"] == job_uid
        await runtime.stop(handle, "cancelled")  # the Job goes, its Secret with it (owned)
        deleted = kube.calls("DELETE", f"/jobs/{handle.name}")[0]
        assert deleted.body["propagationPolicy"] == "Background"
        runtime.close()

    asyncio.run(scenario())
