"""The one fake boundary of the Kubernetes runtime: a small HTTP server that answers the
calls the runtime makes in the Kubernetes API's own JSON shapes (Job, Secret, Pod, lists,
watch streams, Status), and records every request.

No cluster can run on these machines; everything up to the HTTP request (the official
client, its serialisation, its watch decoding) is the real thing. The test drives what
a cluster would do: job status changes, pods and their logs, a compaction (410 Gone).
"""

from __future__ import annotations

import copy
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

_JOBS = re.compile(r"^/apis/batch/v1/namespaces/([^/]+)/jobs(?:/([^/]+))?$")
_SECRETS = re.compile(r"^/api/v1/namespaces/([^/]+)/secrets(?:/([^/]+))?$")
_PODS = re.compile(r"^/api/v1/namespaces/([^/]+)/pods$")
_POD_LOG = re.compile(r"^/api/v1/namespaces/([^/]+)/pods/([^/]+)/log$")


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    content_type: str | None
    status: int = 0


def _status(code: int, reason: str, message: str) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure" if code >= 400 else "Success",
        "message": message,
        "reason": reason,
        "code": code,
    }


def _matches(obj: dict[str, Any], selector: str | None) -> bool:
    labels = obj["metadata"].get("labels") or {}
    for term in filter(None, (selector or "").split(",")):
        key, _, value = term.partition("=")
        if labels.get(key) != value:
            return False
    return True


class KubeApi:
    def __init__(self) -> None:
        self.lock = threading.Condition()
        self.version = 100
        self.jobs: dict[str, dict[str, Any]] = {}
        self.secrets: dict[str, dict[str, Any]] = {}
        self.pods: dict[str, dict[str, Any]] = {}
        self.logs: dict[str, bytes] = {}
        self.log_done: set[str] = set()
        self.events: list[tuple[int, str, dict[str, Any]]] = []
        self.compacted_before = 0
        self.watch_generation = 0  # bumped to end the watches that are open
        self.requests: list[Recorded] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        with self.lock:
            self.watch_generation += 1
            self.lock.notify_all()
        self.server.shutdown()
        self.server.server_close()

    # What a cluster would do, driven by the test.

    def _bump(self, kind: str, job: dict[str, Any]) -> None:
        self.version += 1
        job["metadata"]["resourceVersion"] = str(self.version)
        self.events.append((self.version, kind, copy.deepcopy(job)))
        self.lock.notify_all()

    def set_job_status(self, name: str, status: dict[str, Any]) -> None:
        with self.lock:
            self.jobs[name]["status"] = status
            self._bump("MODIFIED", self.jobs[name])

    def change_while_disconnected(self, name: str, status: dict[str, Any]) -> None:
        """End every open watch, change the Job, and compact history past the change: a
        watcher coming back with its last resourceVersion gets 410 Gone and must relist."""
        with self.lock:
            self.watch_generation += 1
            self.jobs[name]["status"] = status
            self._bump("MODIFIED", self.jobs[name])
            self.compacted_before = self.version + 1

    def add_pod(
        self, job: str, log: bytes = b"", exit_code: int | None = None, reason: str = ""
    ) -> str:
        name = f"{job}-{uuid.uuid4().hex[:5]}"
        state: dict[str, Any] = {"running": {"startedAt": "2026-01-01T00:00:00Z"}}
        if exit_code is not None:
            state = {"terminated": {"exitCode": exit_code, "reason": reason or "Error"}}
        with self.lock:
            self.pods[name] = {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {
                    "name": name,
                    "namespace": self.jobs[job]["metadata"]["namespace"],
                    "labels": {"batch.kubernetes.io/job-name": job},
                },
                "status": {
                    "phase": "Running" if exit_code is None else "Failed",
                    "containerStatuses": [
                        {"name": "agent", "image": "x", "imageID": "", "ready": True,
                         "restartCount": 0, "state": state}
                    ],
                },
            }  # fmt: skip
            self.logs[name] = log
        return name

    def append_log(self, pod: str, chunk: bytes, done: bool = False) -> None:
        with self.lock:
            self.logs[pod] += chunk
            if done:
                self.log_done.add(pod)
            self.lock.notify_all()

    def calls(self, method: str, pattern: str = "") -> list[Recorded]:
        with self.lock:
            return [r for r in self.requests if r.method == method and pattern in r.path]

    # The HTTP side.

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # else each answer waits out a delayed ACK

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                url = urlparse(self.path)
                query = {k: v[-1] for k, v in parse_qs(url.query).items()}
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                record = Recorded(
                    self.command,
                    url.path,
                    query,
                    json.loads(raw) if raw else None,
                    self.headers.get("Content-Type"),
                )
                with api.lock:
                    api.requests.append(record)
                api._route(self, record)

            do_GET = do_POST = do_PATCH = do_DELETE = _handle

            def send_json(self, code: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def start_stream(self, content_type: str) -> None:
                """Chunked, as the API server streams: a client reads each chunk at once."""
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Transfer-Encoding", "chunked")
                self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True

            def send_chunk(self, data: bytes) -> None:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()

        return Handler

    def _route(self, http: Any, record: Recorded) -> None:
        code, body = 404, _status(404, "NotFound", f"{record.path} is not served here")
        if m := _JOBS.match(record.path):
            namespace, name = m.groups()
            if record.method == "GET" and name is None and record.query.get("watch") == "true":
                record.status = self._watch(http, record)
                return
            code, body = self._jobs(record, namespace, name)
        elif m := _SECRETS.match(record.path):
            code, body = self._secrets(record, m.group(1))
        elif (m := _PODS.match(record.path)) and record.method == "GET":
            with self.lock:
                items = [
                    p for p in self.pods.values() if _matches(p, record.query.get("labelSelector"))
                ]
            code, body = (
                200,
                {"apiVersion": "v1", "kind": "PodList", "metadata": {}, "items": items},
            )
        elif (m := _POD_LOG.match(record.path)) and record.method == "GET":
            pod = m.group(2)
            if pod not in self.logs:
                code, body = 404, _status(404, "NotFound", f'pods "{pod}" not found')
            elif record.query.get("follow") == "true":
                record.status = 200
                self._follow_log(http, pod)
                return
            else:
                data = self.logs[pod]
                record.status = 200
                http.send_response(200)
                http.send_header("Content-Type", "text/plain")
                http.send_header("Content-Length", str(len(data)))
                http.end_headers()
                http.wfile.write(data)
                return
        record.status = code
        http.send_json(code, body)

    def _jobs(self, record: Recorded, namespace: str, name: str | None) -> tuple[int, Any]:
        with self.lock:
            if record.method == "POST":
                job = copy.deepcopy(record.body)
                job["metadata"].update(
                    namespace=namespace,
                    uid=str(uuid.uuid4()),
                    creationTimestamp="2026-01-01T00:00:00Z",
                )
                if job["metadata"]["name"] in self.jobs:
                    return 409, _status(409, "AlreadyExists", "job exists")
                job["status"] = {}
                self.jobs[job["metadata"]["name"]] = job
                self._bump("ADDED", job)
                return 201, job
            if name is None:
                items = [
                    j for j in self.jobs.values() if _matches(j, record.query.get("labelSelector"))
                ]
                meta = {"resourceVersion": str(self.version)}
                return 200, {
                    "apiVersion": "batch/v1",
                    "kind": "JobList",
                    "metadata": meta,
                    "items": items,
                }
            job = self.jobs.get(name)
            if job is None:
                return 404, _status(404, "NotFound", f'jobs.batch "{name}" not found')
            if record.method == "GET":
                return 200, job
            if record.method == "PATCH":
                _merge(job, record.body)
                self._bump("MODIFIED", job)
                return 200, job
            if record.method == "DELETE":  # the garbage collector's work, done at once
                del self.jobs[name]
                uid = job["metadata"]["uid"]
                for secret in [s for s, obj in self.secrets.items() if _owned_by(obj, uid)]:
                    del self.secrets[secret]
                for pod in [
                    p
                    for p, obj in self.pods.items()
                    if _matches(obj, f"batch.kubernetes.io/job-name={name}")
                ]:
                    del self.pods[pod]
                self._bump("DELETED", job)
                return 200, _status(200, "", "")
        return 405, _status(405, "MethodNotAllowed", record.method)

    def _secrets(self, record: Recorded, namespace: str) -> tuple[int, Any]:
        if record.method != "POST":
            return 405, _status(405, "MethodNotAllowed", record.method)
        secret = copy.deepcopy(record.body)
        secret["metadata"].update(namespace=namespace, uid=str(uuid.uuid4()))
        with self.lock:
            if secret["metadata"]["name"] in self.secrets:
                return 409, _status(409, "AlreadyExists", "secret exists")
            self.secrets[secret["metadata"]["name"]] = secret
        return 201, secret

    def _watch(self, http: Any, record: Recorded) -> int:
        since = int(record.query.get("resourceVersion") or 0)
        deadline = time.monotonic() + float(record.query.get("timeoutSeconds") or 30)
        selector = record.query.get("labelSelector")
        http.start_stream("application/json")
        with self.lock:
            if since < self.compacted_before:
                gone = _status(
                    410, "Expired", f"too old resource version: {since} ({self.version})"
                )
                http.send_chunk(json.dumps({"type": "ERROR", "object": gone}).encode() + b"\n")
                http.send_chunk(b"")
                return 410
            generation = self.watch_generation
            while time.monotonic() < deadline and generation == self.watch_generation:
                for version, kind, obj in self.events:
                    if version > since and _matches(obj, selector):
                        http.send_chunk(json.dumps({"type": kind, "object": obj}).encode() + b"\n")
                        since = version
                self.lock.wait(timeout=max(0.0, min(0.2, deadline - time.monotonic())))
        http.send_chunk(b"")
        return 200

    def _follow_log(self, http: Any, pod: str) -> None:
        http.start_stream("text/plain")
        sent = 0
        with self.lock:
            while True:
                data = self.logs.get(pod, b"")
                if len(data) > sent:
                    http.send_chunk(data[sent:])
                    sent = len(data)
                if pod in self.log_done or pod not in self.logs:
                    http.send_chunk(b"")
                    return
                self.lock.wait(timeout=0.2)


def _merge(target: dict[str, Any], patch: dict[str, Any]) -> None:
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = value


def _owned_by(obj: dict[str, Any], uid: str) -> bool:
    return any(ref.get("uid") == uid for ref in obj["metadata"].get("ownerReferences") or [])
