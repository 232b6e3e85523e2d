"""The caller's own organizations: list those it was added to, and leave one."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import ContextDep, PageDep, ReadConnDep, ServicesDep, ViewerDep
from api.edge import EdgeRoute
from api.views import written
from projections.tenancy.views import organizations
from schemas import common
from schemas import tenancy as wire

router = APIRouter(prefix="/v1", tags=["members"], route_class=EdgeRoute)


@router.get("/me/orgs", response_model=common.ListOf[wire.MyOrganization])
async def list_my_organizations(conn: ReadConnDep, viewer: ViewerDep, page: PageDep):
    """List the organizations the caller holds a role in, with those roles."""
    rows, token = await organizations.list_organizations_of(conn, viewer.user_id, page)
    return {"items": rows, "next_page_token": token}


@router.post("/orgs/{org}:leave", response_model=wire.OrgLeft)
def leave_organization(org: str, ctx: ContextDep, services: ServicesDep):
    """Leave an organization: give up its membership and groups (never its last owner)."""
    result = services.tenancy.memberships.leave_organization(ctx, org)
    body = {"organization_id": result.guid, "user_id": ctx.actor_id}
    return written(result, body)
