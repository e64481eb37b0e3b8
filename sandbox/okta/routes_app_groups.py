"""Group assignments of an app: `/api/v1/apps/{appId}/groups[/{groupId}]`.

PUT assigns (and re-PUT updates the priority or profile), GET reads one or lists them by priority
(paginated, default 20 a page, at most 200; `q` a prefix of the group's name), DELETE removes one
with 204.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.okta import errors
from sandbox.okta.render import assignment_json, json_answer, org_base, paginate, read_json
from sandbox.okta.store import OktaStore


def app_group_routes(store: OktaStore) -> list[Route]:
    async def list_assignments(request: Request) -> Response:
        """`q` keeps the groups whose name starts with it (case-insensitive), as Okta documents."""
        found = store.app_assignments(request.path_params["app_id"])
        q = request.query_params.get("q")
        if q is not None:
            names = {g.id: g.name.lower() for g in store.groups()}
            found = [a for a in found if names.get(a.group_id, "").startswith(q.lower())]
        page, links = paginate(
            request, found, default_limit=20, max_limit=200, cursor_of=lambda a: a.group_id
        )
        base = org_base(request)
        return json_answer([assignment_json(a, base) for a in page], links=links)

    async def assign(request: Request) -> Response:
        body = await read_json(request) or {}
        if not isinstance(body, dict):
            raise errors.malformed_body()
        priority = body.get("priority")
        if priority is not None and (
            not isinstance(priority, int) or isinstance(priority, bool) or priority < 0
        ):
            raise errors.validation_failed("priority", "priority: must be a non-negative integer.")
        profile = body.get("profile")
        if profile is not None and not isinstance(profile, dict):
            raise errors.validation_failed("profile", "profile: must be an object.")
        assignment = store.assign_group(
            request.path_params["app_id"], request.path_params["group_id"], priority, profile
        )
        return json_answer(assignment_json(assignment, org_base(request)))

    async def read(request: Request) -> Response:
        assignment = store.get_assignment(request.path_params["app_id"], request.path_params["group_id"])
        return json_answer(assignment_json(assignment, org_base(request)))

    async def unassign(request: Request) -> Response:
        store.unassign_group(request.path_params["app_id"], request.path_params["group_id"])
        return Response(status_code=204)

    return [
        Route("/api/v1/apps/{app_id}/groups", list_assignments, methods=["GET"]),
        Route("/api/v1/apps/{app_id}/groups/{group_id}", assign, methods=["PUT"]),
        Route("/api/v1/apps/{app_id}/groups/{group_id}", read, methods=["GET"]),
        Route("/api/v1/apps/{app_id}/groups/{group_id}", unassign, methods=["DELETE"]),
    ]
