"""The Kubernetes runtime: a `batch/v1` Job per attempt, followed by one shared watch.

start: create the Job suspended, its Secret owned by it, then unsuspend. watch: the Job's
states from the shared watcher (its pod tells the exit code of a failure). stop: delete the
Job (Background propagation: its pod and Secret go with it). logs: the pod log API.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

from kubernetes import client
from kubernetes.client.rest import ApiException

from workers.adapters.logstore import FileLogStore
from workers.runtimes.interface import KillCause, Killed, Running, RuntimeHandle, StateChange
from workers.runtimes.kubernetes import job_state, manifests
from workers.runtimes.kubernetes.job_watcher import JobWatcher
from workers.runtimes.kubernetes.validation import TARGET_VERSION, validate
from workers.runtimes.spec import LaunchSpec

_NOT_FOUND = 404
_READ = 64 * 1024
_POD_POLL_SECONDS = 1.0
Event = tuple[str, client.V1Job | None]


class KubernetesRuntime:
    name = "kubernetes"

    def __init__(
        self,
        api: client.ApiClient,
        *,
        namespace: str = "default",
        ttl_seconds_after_finished: int = 3600,
        watch_timeout_seconds: int = 60,
        kubernetes_version: str = TARGET_VERSION,
        logs: FileLogStore | None = None,
        pod_wait_seconds: float = 300.0,
    ) -> None:
        self._pod_wait = pod_wait_seconds
        self._archive = logs  # where a finished attempt's log outlives its pod
        self.namespace = namespace
        self._ttl = ttl_seconds_after_finished
        self._version = kubernetes_version
        self._batch = client.BatchV1Api(api)
        self._core = client.CoreV1Api(api)
        self.watcher = JobWatcher(self._batch, namespace, watch_timeout_seconds)
        self._subscribers: dict[str, list[asyncio.Queue[Event]]] = defaultdict(list)
        self._stop_reasons: dict[str, str] = {}

    def job(self, spec: LaunchSpec) -> client.V1Job:
        """The attempt's Job, validated (its Secret's size is checked on the way)."""
        name = manifests.job_name(spec)
        _, items = manifests.secret(spec, name)
        job = manifests.job(spec, name, items, self._ttl)
        validate(manifests.as_manifest(job), self._version)
        return job

    def secret(self, spec: LaunchSpec, owner: client.V1Job) -> client.V1Secret:
        secret, _ = manifests.secret(spec, owner.metadata.name, owner)
        validate(manifests.as_manifest(secret), self._version)
        return secret

    async def start(self, spec: LaunchSpec) -> RuntimeHandle:
        job = self.job(spec)  # a bad attempt is refused before anything is created
        created = await asyncio.to_thread(self._batch.create_namespaced_job, self.namespace, job)
        name = created.metadata.name
        try:
            secret = self.secret(spec, owner=created)
            await asyncio.to_thread(self._core.create_namespaced_secret, self.namespace, secret)
            resume = {"spec": {"suspend": False}}
            await asyncio.to_thread(self._batch.patch_namespaced_job, name, self.namespace, resume)
        except BaseException:
            await asyncio.to_thread(self._delete, name)
            raise
        return RuntimeHandle(self.name, name, spec.log_key, namespace=self.namespace)

    def _deliver(self, name: str, kind: str, job: client.V1Job | None) -> None:
        if kind == "LISTED":
            for queues in self._subscribers.values():
                for queue in queues:
                    queue.put_nowait((kind, None))
            return
        for queue in self._subscribers.get(name, []):
            queue.put_nowait((kind, job))

    async def watch(self, handle: RuntimeHandle) -> AsyncIterator[StateChange]:
        queue: asyncio.Queue[Event] = asyncio.Queue()
        self._subscribers[handle.name].append(queue)
        self.watcher.start(asyncio.get_running_loop(), self._deliver)
        seen_running = False
        listed_present = False
        try:
            current = await asyncio.to_thread(self._read, handle.name)
            queue.put_nowait(("SYNC", current) if current else ("DELETED", None))
            while True:
                kind, job = await queue.get()
                if kind == "LISTED":
                    if not listed_present:  # a resync that no longer lists our Job
                        current = await asyncio.to_thread(self._read, handle.name)
                        queue.put_nowait(("SYNC", current) if current else ("DELETED", None))
                    listed_present = False
                    continue
                listed_present = kind == "SYNC"
                change = await self._change(handle, kind, job)
                if change is None or (isinstance(change, Running) and seen_running):
                    continue
                if not isinstance(change, Running):
                    await self._keep_log(handle)
                    yield change
                    return
                yield change
                seen_running = True
        finally:
            self._subscribers[handle.name].remove(queue)
            if not self._subscribers[handle.name]:
                del self._subscribers[handle.name]

    async def _change(
        self, handle: RuntimeHandle, kind: str, job: client.V1Job | None
    ) -> StateChange | None:
        if kind == "DELETED" or job is None:
            reason = self._stop_reasons.get(handle.name)
            if reason is not None:
                return Killed(KillCause.STOPPED, reason)
            final = job_state.state_of(job) if job is not None else None
            if final is not None and not isinstance(final, Running):
                return final  # finished, then cleaned up by its TTL
            return Killed(KillCause.LOST, "the Job was deleted outside Signalyard")
        pods = None
        if job_state.needs_pod(job):
            pods = await asyncio.to_thread(self._pods, handle.name)
        return job_state.state_of(job, pods)

    async def _keep_log(self, handle: RuntimeHandle) -> None:
        if self._archive is None or self._archive.is_closed(handle.log_key):
            return
        log = await self.logs(handle)
        if not self._archive.size(handle.log_key):  # else: output the agent sent (agent API)
            self._archive.open(handle.log_key)
        self._archive.append(handle.log_key, log)
        self._archive.close(handle.log_key)

    async def stop(self, handle: RuntimeHandle, reason: str) -> None:
        self._stop_reasons[handle.name] = reason
        await asyncio.to_thread(self._delete, handle.name)

    async def logs(self, handle: RuntimeHandle, offset: int = 0) -> bytes:
        if self._archive is not None and self._archive.is_closed(handle.log_key):
            return self._archive.read(handle.log_key, offset)
        return await asyncio.to_thread(self._log, handle.name, offset)

    async def follow_logs(self, handle: RuntimeHandle, offset: int = 0) -> AsyncIterator[bytes]:
        """From the pod once its container has started (waiting up to the pod-wait limit)."""
        deadline = asyncio.get_running_loop().time() + self._pod_wait
        while True:
            response = await asyncio.to_thread(self._open_log_stream, handle.name)
            if response is not None:
                break
            if asyncio.get_running_loop().time() > deadline:
                return
            await asyncio.sleep(_POD_POLL_SECONDS)
        try:
            while chunk := await asyncio.to_thread(response.read1, _READ):  # what has come
                skipped = min(offset, len(chunk))
                offset -= skipped
                if chunk[skipped:]:
                    yield chunk[skipped:]
        finally:
            response.release_conn()

    def close(self) -> None:
        self.watcher.close()

    # Blocking calls, run in threads.

    def _read(self, name: str) -> client.V1Job | None:
        try:
            job: client.V1Job = self._batch.read_namespaced_job(name, self.namespace)
        except ApiException as error:
            if error.status == _NOT_FOUND:
                return None
            raise
        return job

    def _delete(self, name: str) -> None:
        options = client.V1DeleteOptions(propagation_policy="Background")
        try:
            self._batch.delete_namespaced_job(name, self.namespace, body=options)
        except ApiException as error:
            if error.status != _NOT_FOUND:
                raise

    def _pods(self, name: str) -> list[client.V1Pod]:
        selector = f"batch.kubernetes.io/job-name={name}"
        pods: list[client.V1Pod] = self._core.list_namespaced_pod(
            self.namespace, label_selector=selector
        ).items
        return pods

    def _pod_name(self, name: str) -> str | None:
        pods = self._pods(name)
        return str(pods[0].metadata.name) if pods else None

    def _open_log_stream(self, name: str) -> Any:
        pod = self._pod_name(name)
        if pod is None:
            return None
        try:
            return self._core.read_namespaced_pod_log(
                pod,
                self.namespace,
                container=manifests.AGENT,
                follow=True,
                _preload_content=False,
            )
        except ApiException as error:
            if error.status in (400, _NOT_FOUND):  # its container has not started yet
                return None
            raise

    def _log(self, name: str, offset: int) -> bytes:
        pod = self._pod_name(name)
        if pod is None:
            return b""
        try:
            response = self._core.read_namespaced_pod_log(
                pod, self.namespace, container=manifests.AGENT, _preload_content=False
            )
        except ApiException as error:
            if error.status in (400, _NOT_FOUND):  # not started yet, or already gone
                return b""
            raise
        data: bytes = response.data
        return data[offset:]
