"""The dispatcher's client of the dispatcher-facing API (`/v1/dispatch`), authenticated by
its credential. Every write carries an Idempotency-Key derived from what it says (claim or
report, task, attempt), so a retry after a lost response replays the first answer instead of
meeting its own write as a conflict. Transport errors and 5xx are retried with backoff for
`retry_seconds`; a 409 is the task's answer (another claimer won, or the attempt is no
longer current) and is returned as False, never retried.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from uuid import UUID

import httpx

log = logging.getLogger(__name__)
REFUSED = frozenset({404, 409})
REGISTER_PATIENCE = 300.0  # seconds


class DispatchApiError(Exception):
    """The API answered something a dispatcher cannot act on (401, 422...)."""


class DispatchApi:
    def __init__(
        self, base_url: str, token: str, *, timeout: float = 10.0, retry_seconds: float = 60.0
    ) -> None:
        self.client = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + "/v1/dispatch",
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
            trust_env=False,  # the control plane is reached directly, never via a proxy
        )
        self.retry_seconds = retry_seconds

    async def register(
        self,
        runtime: str,
        bus_config: dict[str, Any],
        dispatch_mode: str = "pull",
        endpoint_url: str | None = None,
    ) -> tuple[UUID, str]:
        body = {
            "runtime": runtime,
            "bus_config": bus_config,
            "dispatch_mode": dispatch_mode,
            "endpoint_url": endpoint_url,
        }
        # At start the API may still be coming up beside us (`signalyard dev`): wait longer.
        answer = await self._post("/register", body, key=None, patience=REGISTER_PATIENCE)
        data = answer.json()
        return UUID(data["dispatcher_id"]), str(data["name"])

    async def heartbeat(self) -> None:
        await self._post("/heartbeat", None, key=None, retry=False)

    async def claim(self, task_id: UUID, attempt: int) -> bool:
        """True when this dispatcher won the attempt."""
        return await self._decide(f"/tasks/{task_id}:claim", {"attempt": attempt}, "claim")

    async def report(
        self, what: str, task_id: UUID, attempt: int, detail: dict[str, Any] | None = None
    ) -> bool:
        """start, succeed, fail, time_out, confirm_cancelled; False when refused (409)."""
        body: dict[str, Any] = {"attempt": attempt}
        if detail is not None:
            body["detail"] = detail
        verb = what.replace("_", "-")
        return await self._decide(f"/tasks/{task_id}:{verb}", body, what)

    async def _decide(self, path: str, body: dict[str, Any], what: str) -> bool:
        key = f"{what}:{path}:{body['attempt']}"
        answer = await self._post(path, body, key=key, refused_ok=True)
        if answer.status_code in REFUSED:
            log.info("%s refused: %s", path, answer.text[:300])
            return False
        return True

    async def _post(
        self,
        path: str,
        body: dict[str, Any] | None,
        *,
        key: str | None,
        retry: bool = True,
        refused_ok: bool = False,
        patience: float | None = None,
    ) -> httpx.Response:
        headers = {"Idempotency-Key": key} if key else {}
        loop = asyncio.get_running_loop()
        patience = patience if patience is not None else self.retry_seconds
        deadline = loop.time() + (patience if retry else 0)
        delay, tries = 0.1, 0
        while True:
            try:
                answer = await self.client.post(path, json=body, headers=headers)
            except httpx.TransportError as exc:
                problem = f"{type(exc).__name__}: {exc}"
            else:
                if answer.status_code < 300 or (refused_ok and answer.status_code in REFUSED):
                    return answer
                if answer.status_code < 500 and answer.status_code != 429:
                    raise DispatchApiError(f"POST {path}: {answer.status_code} {answer.text[:300]}")
                problem = f"HTTP {answer.status_code}"
            if loop.time() + delay > deadline:
                raise DispatchApiError(f"POST {path}: {problem}")
            tries += 1
            if tries == 1 or tries % 15 == 0:  # not every round: it may take a while
                log.warning("POST %s: %s; retrying (try %d)", path, problem, tries)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)

    async def close(self) -> None:
        await self.client.aclose()
