"""Groups: `/api/v1/groups` listing with `q`, `search` and `filter`, one group, and its members.

`q` is what Okta documents it to be, a prefix match on the group name (case-insensitive), so
`q=Engineering` finds "Engineering-Contractors" too; and a query "can't be paged": it answers at
most 300 groups (its default limit, which the stand-in also keeps as its ceiling) with no next
link. `search` takes Okta's filter expressions (`sandbox.okta.search`) on `profile.name`,
`profile.description`, `type` and `id`, and pages like every other list, one `Link` header each
for self and next. `filter` narrows any of these by id or type (`eq` only).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.okta.render import group_json, json_answer, org_base, paginate, self_link, user_json
from sandbox.okta.search import parse_search
from sandbox.okta.store import Group, OktaStore

QUERY_LIMIT = 300
"""A `q` answer holds at most this many groups and cannot be paged (Okta Groups API)."""
SEARCHABLE = frozenset({"profile.name", "profile.description", "type", "id"})
FILTERABLE = frozenset({"type", "id"})
"""What `filter` compares here (with `eq`): Okta also documents lastUpdated and
lastMembershipUpdated with gt/lt, which the stand-in does not emulate and refuses (E0000031)."""


def group_routes(store: OktaStore) -> list[Route]:
    async def list_groups(request: Request) -> Response:
        found = store.groups()
        expression = request.query_params.get("filter")
        if expression is not None:
            matches_filter = parse_search(expression, FILTERABLE, operators=frozenset({"eq"}))
            found = [g for g in found if matches_filter(_searchable(g))]
        base = org_base(request)
        search = request.query_params.get("search")
        q = request.query_params.get("q")
        if search is None and q is not None:
            prefix = q.lower()
            limit = min(_int(request.query_params.get("limit"), QUERY_LIMIT), QUERY_LIMIT)
            matches = [g for g in found if g.name.lower().startswith(prefix)][:limit]
            return json_answer([group_json(g, base) for g in matches], links=[self_link(request, limit)])
        if search is not None:
            matches = parse_search(search, SEARCHABLE)
            found = [g for g in found if matches(_searchable(g))]
        page, links = paginate(request, found, default_limit=10000, max_limit=10000)
        return json_answer([group_json(g, base) for g in page], links=links)

    async def read(request: Request) -> Response:
        return json_answer(group_json(store.get_group(request.path_params["group_id"]), org_base(request)))

    async def members(request: Request) -> Response:
        users = store.group_members(request.path_params["group_id"])
        page, links = paginate(request, users, default_limit=1000, max_limit=1000)
        base = org_base(request)
        return json_answer([user_json(u, base) for u in page], links=links)

    return [
        Route("/api/v1/groups", list_groups, methods=["GET"]),
        Route("/api/v1/groups/{group_id}", read, methods=["GET"]),
        Route("/api/v1/groups/{group_id}/users", members, methods=["GET"]),
    ]


def _searchable(group: Group) -> dict[str, str]:
    return {
        "profile.name": group.name,
        "profile.description": group.description,
        "type": group.type,
        "id": group.id,
    }


def _int(value: str | None, default: int) -> int:
    try:
        return max(1, int(value)) if value is not None else default
    except ValueError:
        return default
