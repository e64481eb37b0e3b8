"""Users: `/api/v1/users/{id-or-login}` and the groups a user belongs to."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.okta.render import group_json, json_answer, org_base, user_json
from sandbox.okta.store import OktaStore


def user_routes(store: OktaStore) -> list[Route]:
    async def read(request: Request) -> Response:
        user = store.find_user(request.path_params["user"])
        return json_answer(user_json(user, org_base(request)))

    async def groups(request: Request) -> Response:
        user = store.find_user(request.path_params["user"])
        base = org_base(request)
        return json_answer([group_json(g, base) for g in store.user_groups(user.id)])

    return [
        Route("/api/v1/users/{user}", read, methods=["GET"]),
        Route("/api/v1/users/{user}/groups", groups, methods=["GET"]),
    ]
