"""An attempt's output (stdout and stderr, interleaved as written), read from a byte offset,
or followed while the attempt runs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response, StreamingResponse

from api.deps import AsciiInt, ReadConnDep, ServicesDep, ViewerDep
from api.edge import EdgeRoute
from api.routes.task_queries import project_id_of
from api.routes.tasks import TASK
from domain.core.errors import NotConfigured, NotFound
from domain.tasks.logs import log_key
from projections.tasks.views import tasks

router = APIRouter(prefix="/v1", tags=["tasks"], route_class=EdgeRoute)
MEDIA = "text/plain; charset=utf-8"
READ_LIMIT = 1024 * 1024  # per answer; the next offset says where to go on
FOLLOW_SECONDS = 300.0  # a follow ends by then: the client goes on from its offset
LIVE = ("dispatched", "running")
TEXT = {200: {"description": "the attempt's output", "content": {"text/plain": {}}}}


async def _for_at_most(chunks: AsyncIterator[bytes], seconds: float) -> AsyncIterator[bytes]:
    """The chunks until the log ends or `seconds` pass (a dead writer never closes it)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    while (left := end - loop.time()) > 0:
        try:
            yield await asyncio.wait_for(anext(chunks), left)
        except (StopAsyncIteration, TimeoutError):
            return


@router.get(TASK + "/logs", response_class=Response, responses=TEXT)  # type: ignore[arg-type]
async def task_logs(
    org: str,
    team: str,
    ws: str,
    project: str,
    task: str,
    conn: ReadConnDep,
    viewer: ViewerDep,
    services: ServicesDep,
    attempt: Annotated[AsciiInt | None, Query(ge=1, description="default: the current")] = None,
    offset: Annotated[AsciiInt, Query(ge=0, description="the first byte to read")] = 0,
    follow: Annotated[bool, Query(description="stream while the attempt runs")] = False,
) -> Response:
    """An attempt's output from `offset`; with `follow`, streamed until the attempt ends."""
    project_id = await project_id_of(conn, viewer, org, team, ws, project)
    row = await tasks.get_task(conn, project_id, task)
    number = attempt or row["attempt"]
    if number > row["attempt"]:
        raise NotFound(f"task {task!r} has no attempt {number} yet")
    logs = services.task_logs
    if logs is None:
        raise NotConfigured("this API process cannot read attempt logs")
    key = log_key(row["organization_id"], project_id, row["guid"], number)
    headers = {"X-Signalyard-Attempt": str(number), "X-Signalyard-Log-Size": str(logs.size(key))}
    if follow and number == row["attempt"] and row["status"] in LIVE:
        chunks = _for_at_most(logs.follow(key, offset), FOLLOW_SECONDS)
        return StreamingResponse(chunks, media_type=MEDIA, headers=headers)
    body = logs.read(key, offset, READ_LIMIT)
    headers["X-Signalyard-Next-Offset"] = str(offset + len(body))
    return Response(body, media_type=MEDIA, headers=headers)
