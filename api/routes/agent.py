"""The agent-facing API, reads: an attempt's token (SIGNALYARD_AGENT_TOKEN) reads its own
task's attempt, brief, pinned skill bundles and config contents — nothing else. No path
names a task or an org: the token does."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from api.deps import AttemptDep, ServicesDep
from api.edge import EdgeRoute
from api.problems import ApiProblem
from domain.tasks.agent_work import AgentWork
from schemas import agent as wire

router = APIRouter(prefix="/v1", tags=["agent"], route_class=EdgeRoute)
ATTEMPT = "/agent/attempt"
Ref = Annotated[str, Path(min_length=1, max_length=100, description="its slug or guid")]
PROBLEM_CONTENT = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
# Every agent route: an attempt that is over is a 409 naming the task's status or attempt.
OVER: dict[int | str, dict[str, Any]] = {
    409: {
        "description": "the attempt is over (current_status or current_attempt)",
        "content": PROBLEM_CONTENT,
    }
}


def agents(services: ServicesDep) -> AgentWork:
    if services.agents is None:
        raise ApiProblem(404, "Not found", "this API serves no agent routes")
    return services.agents


def _binary(media: str, what: str) -> dict[int | str, dict[str, Any]]:
    content = {media: {"schema": {"type": "string", "format": "binary"}}}
    return {200: {"description": what, "content": content}, **OVER}


@router.get(ATTEMPT, response_model=wire.AgentAttempt, responses=OVER)
def read_attempt(grant: AttemptDep, services: ServicesDep) -> dict[str, Any]:
    """The token's attempt as its task now stands: input, deadline, pinned skills, configs."""
    work = agents(services)
    task = work.task(grant)
    return {
        "task_id": task.id,
        "organization_id": task.organization_id,
        "project_id": task.project_id,
        "attempt": task.attempt,
        "status": task.status,
        "cancel_requested": task.cancel_requested,
        "agent_image": task.agent_image,
        "input": task.input,
        "timeout_seconds": task.timeout_seconds,
        "deadline_at": task.deadline_at,
        "progress": task.progress,
        **work.pins(grant),
    }


@router.get(
    ATTEMPT + "/brief", response_class=Response, responses=_binary("text/markdown", "the brief")
)
async def get_brief(grant: AttemptDep, services: ServicesDep) -> Response:
    """The task's brief (Markdown, as submitted)."""
    brief = await run_in_threadpool(agents(services).brief, grant)
    return Response(brief, media_type="text/markdown; charset=utf-8")


@router.get(
    ATTEMPT + "/skills/{skill}/bundle",
    response_class=Response,
    responses=_binary("application/zip", "the pinned version's bundle"),
)
async def get_skill_bundle(skill: Ref, grant: AttemptDep, services: ServicesDep) -> Response:
    """A skill the task pinned, as the zip of the pinned version (others: 404)."""
    pinned = await run_in_threadpool(agents(services).skill, grant, skill)
    filename = f"{pinned.name}-v{pinned.version}.zip"
    return Response(
        pinned.content,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get(ATTEMPT + "/configs/{config}", response_model=wire.PinnedConfig, responses=OVER)
def get_config(config: Ref, grant: AttemptDep, services: ServicesDep) -> dict[str, Any]:
    """A config the task pinned, with its content at the pinned version (others: 404)."""
    pinned = agents(services).config(grant, config)
    return {
        "name": pinned.name,
        "guid": pinned.guid,
        "version": pinned.version,
        "content": pinned.content,
    }
