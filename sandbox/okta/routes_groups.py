"""Groups: `/api/v1/groups` listing with `q` and `search`, one group, and its members.

`q` is what Okta documents it to be, a prefix match on the group name (case-insensitive), so
`q=Engineering` finds "Engineering-Contractors" too; callers that mean one group must check the
exact name. `search` takes Okta's filter expressions on `profile.name`, `profile.description`,
`type` and `id` with `eq`, `sw`, `co` and `pr`, joined by `and` / `or`.
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.okta import errors
from sandbox.okta.render import group_json, json_answer, org_base, paginate, user_json
from sandbox.okta.store import Group, OktaStore

_CLAUSE = re.compile(r'^\s*([A-Za-z.]+)\s+(eq|sw|co)\s+"((?:[^"\\]|\\.)*)"\s*$|^\s*([A-Za-z.]+)\s+(pr)\s*$')


def group_routes(store: OktaStore) -> list[Route]:
    async def list_groups(request: Request) -> Response:
        found = store.groups()
        search = request.query_params.get("search")
        q = request.query_params.get("q")
        if search is not None:
            matches = parse_search(search)
            found = [g for g in found if matches(g)]
        elif q is not None:
            found = [g for g in found if g.name.lower().startswith(q.lower())]
        page, link = paginate(request, found, default_limit=10000, max_limit=10000)
        base = org_base(request)
        return json_answer([group_json(g, base) for g in page], headers={"Link": link})

    async def read(request: Request) -> Response:
        return json_answer(group_json(store.get_group(request.path_params["group_id"]), org_base(request)))

    async def members(request: Request) -> Response:
        users = store.group_members(request.path_params["group_id"])
        page, link = paginate(request, users, default_limit=1000, max_limit=1000)
        base = org_base(request)
        return json_answer([user_json(u, base) for u in page], headers={"Link": link})

    return [
        Route("/api/v1/groups", list_groups, methods=["GET"]),
        Route("/api/v1/groups/{group_id}", read, methods=["GET"]),
        Route("/api/v1/groups/{group_id}/users", members, methods=["GET"]),
    ]


def _attribute(group: Group, name: str) -> str | None:
    return {
        "profile.name": group.name,
        "profile.description": group.description,
        "type": group.type,
        "id": group.id,
    }.get(name)


def parse_search(expression: str):
    """A predicate for Okta's `search` expression, or E0000031 when it is not one we understand."""
    alternatives = []
    for alternative in re.split(r"\s+or\s+", expression.strip()):
        clauses = []
        for clause in re.split(r"\s+and\s+", alternative):
            match = _CLAUSE.match(clause)
            if match is None:
                raise errors.invalid_search()
            attr, op, value = (
                match.group(1) or match.group(4),
                match.group(2) or match.group(5),
                match.group(3),
            )
            if attr not in ("profile.name", "profile.description", "type", "id"):
                raise errors.invalid_search()
            clauses.append((attr, op, (value or "").replace('\\"', '"')))
        alternatives.append(clauses)

    def matches(group: Group) -> bool:
        return any(all(_holds(_attribute(group, a), op, v) for a, op, v in alt) for alt in alternatives)

    return matches


def _holds(actual: str | None, op: str, expected: str) -> bool:
    if op == "pr":
        return bool(actual)
    if actual is None:
        return False
    actual, expected = actual.lower(), expected.lower()
    if op == "eq":
        return actual == expected
    if op == "sw":
        return actual.startswith(expected)
    return expected in actual
