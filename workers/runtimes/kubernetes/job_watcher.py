"""One watch of every Signalyard Job in the namespace, shared by all attempts: list, then
watch from the list's resourceVersion; when the server says 410 Gone (that version has
been compacted away) list again and carry on from there.

It runs in one thread (the client is blocking) and hands events to the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable

from kubernetes import client, watch
from kubernetes.client.rest import ApiException

MANAGED = "app.kubernetes.io/managed-by=signalyard"
_GONE = 410
_BACKOFF_SECONDS = 1.0
log = logging.getLogger(__name__)

Deliver = Callable[[str, str, client.V1Job | None], None]  # (name, event type, job)


class JobWatcher:
    def __init__(self, batch: client.BatchV1Api, namespace: str, timeout_seconds: int = 60) -> None:
        self._batch = batch
        self._namespace = namespace
        self._timeout = timeout_seconds
        self._closing = threading.Event()
        self._thread: threading.Thread | None = None
        self.lists = 0  # how often it listed (1 + one per resync): visible to tests

    def start(self, loop: asyncio.AbstractEventLoop, deliver: Deliver) -> None:
        if self._thread is None:

            def post(name: str, kind: str, job: client.V1Job | None) -> None:
                try:
                    loop.call_soon_threadsafe(deliver, name, kind, job)
                except RuntimeError:  # the loop is closed: nobody is listening any more
                    self._closing.set()

            self._thread = threading.Thread(target=self._run, args=(post,), daemon=True)
            self._thread.start()

    def close(self) -> None:
        self._closing.set()

    def _run(self, post: Deliver) -> None:
        version: str | None = None
        while not self._closing.is_set():
            try:
                if version is None:
                    version = self._relist(post)
                version = self._follow(post, version)
            except ApiException as error:
                if error.status != _GONE:
                    log.warning("watching Jobs failed (%s); listing again", error.status)
                    time.sleep(_BACKOFF_SECONDS)
                version = None
            except Exception as error:  # the connection dropped: the API server restarts
                if self._closing.is_set():
                    return
                log.warning("watching Jobs failed (%s); listing again", error)
                time.sleep(_BACKOFF_SECONDS)
                version = None

    def _relist(self, post: Deliver) -> str:
        jobs = self._batch.list_namespaced_job(self._namespace, label_selector=MANAGED)
        self.lists += 1
        for job in jobs.items:  # what changed while nobody watched arrives as the current state
            post(job.metadata.name, "SYNC", job)
        post("", "LISTED", None)  # lets subscribers see which of their Jobs are gone
        return str(jobs.metadata.resource_version)

    def _follow(self, post: Deliver, version: str) -> str:
        stream = watch.Watch().stream(
            self._batch.list_namespaced_job,
            self._namespace,
            label_selector=MANAGED,
            resource_version=version,
            timeout_seconds=self._timeout,
        )
        for event in stream:
            job = event["object"]
            version = job.metadata.resource_version or version
            post(job.metadata.name, event["type"], job)
            if self._closing.is_set():
                break
        return version
