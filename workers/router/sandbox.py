"""RouteEvaluator on a pool of sandbox processes (`sandbox_worker.py`).

A user's jq holds the GIL and some programs cannot be stopped from a thread, or abort the
process they run in: so they run in processes of their own, with a wall-clock deadline per
evaluation (past it the process is killed and replaced), an address-space limit and a CPU
budget. A killed or crashed process becomes an error Evaluation, never an exception.
Matching on type and source and rendering the target happen here: they are ours.
"""

from __future__ import annotations

import json
import os
import queue
import tempfile
import threading
from collections.abc import Sequence
from typing import Any

from domain.routing.matching import MissingKey, render_target, source_matches, type_matches
from domain.routing.spec import Evaluation, EvaluationError, RouteSpec
from workers.router.sandbox_process import SandboxDied, SandboxProcess


class SandboxEvaluator:
    def __init__(
        self,
        *,
        timeout_ms: int = 1000,
        memory_mb: int = 512,
        workers: int = 2,
        prestart: bool = True,
    ) -> None:
        self.timeout = timeout_ms / 1000
        self._memory_mb = memory_mb
        self._cwd = tempfile.mkdtemp(prefix="signalyard-sandbox-")
        self._idle: queue.LifoQueue[SandboxProcess | None] = queue.LifoQueue()
        self._size = workers
        for _ in range(workers):
            if prestart:
                self._replace()
            else:
                self._idle.put(None)  # started on first use

    def warm(self) -> None:
        """Every process of the pool started (blocks until then): for a process that wants
        its first evaluations to pay no start."""
        held = [self._idle.get() for _ in range(self._size)]
        try:
            held = [p if p is not None and p.alive else self._new_process() for p in held]
        finally:
            for process in held:
                self._idle.put(process)

    def _new_process(self) -> SandboxProcess:
        cpu_seconds = max(1, int(self.timeout) + 1)
        return SandboxProcess(self._memory_mb, cpu_seconds, self._cwd)

    def _replace(self) -> None:
        """A new process for the pool, started in the background: the next evaluation
        finds it warm instead of paying for its start (None: started on first use)."""

        def start() -> None:
            try:
                self._idle.put(self._new_process())
            except (OSError, SandboxDied):
                self._idle.put(None)

        threading.Thread(target=start, name="route-sandbox-start", daemon=True).start()

    def _call(self, request: dict[str, Any]) -> dict[str, Any]:
        process = self._idle.get()
        try:
            if process is None or not process.alive:
                process = self._new_process()
            answer = process.call(request, self.timeout)
        except SandboxDied as died:
            self._replace()
            field = died.stage if died.stage in ("filter", "transform") else "transform"
            return {"error": {"field": field, "message": died.reason}}
        except BaseException:
            process.kill()  # mid-answer: its next line would belong to this request
            self._replace()
            raise
        self._idle.put(process)
        return answer

    def check(self, filter: str | None, transform: str | None) -> list[tuple[str, str]]:
        answer = self._call({"op": "check", "filter": filter, "transform": transform})
        if "error" in answer:
            return [(answer["error"]["field"], answer["error"]["message"])]
        return [(field, message) for field, message in answer["errors"]]

    def evaluate(self, spec: RouteSpec, event: dict[str, Any]) -> Evaluation:
        event_id = event.get("id") if isinstance(event, dict) else None
        if not isinstance(event, dict) or not (
            type_matches(spec.event_type, event.get("type"))
            and source_matches(spec.source, event.get("source"))
        ):
            return Evaluation(matched=False, event_id=_text(event_id))
        try:
            wire = json.loads(json.dumps(event, default=str))
        except (TypeError, ValueError) as exc:
            return _failed(EvaluationError("event", f"not JSON: {exc}"), event_id)
        answer = self._call(
            {
                "op": "evaluate",
                "key": spec.cache_key,
                "filter": spec.filter,
                "transform": spec.transform,
                "event": wire,
            }
        )
        return _evaluation(spec, wire, answer)

    def evaluate_many(self, spec: RouteSpec, events: Sequence[dict[str, Any]]) -> list[Evaluation]:
        return [self.evaluate(spec, event) for event in events]

    def close(self) -> None:
        while True:
            try:
                process = self._idle.get_nowait()
            except queue.Empty:
                break
            if process is not None:
                process.kill()
        try:
            os.rmdir(self._cwd)
        except OSError:
            pass


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _failed(error: EvaluationError, event_id: Any, **known: Any) -> Evaluation:
    return Evaluation(matched=True, error=error, event_id=_text(event_id), **known)


def _evaluation(spec: RouteSpec, event: dict[str, Any], answer: dict[str, Any]) -> Evaluation:
    event_id = event.get("id")
    filter_result = answer.get("filter_result")
    if "error" in answer:
        error = EvaluationError(answer["error"]["field"], answer["error"]["message"])
        return _failed(error, event_id, filter_result=filter_result)
    if filter_result is False:
        return Evaluation(matched=True, filter_result=False, event_id=_text(event_id))
    try:
        target = render_target(spec.target_wf_id, event)
    except MissingKey as missing:
        error = EvaluationError("target_wf_id", str(missing))
        return _failed(error, event_id, filter_result=filter_result, output=answer.get("output"))
    return Evaluation(
        matched=True,
        filter_result=filter_result,
        output=answer.get("output"),
        target=target,
        event_id=_text(event_id),
    )
