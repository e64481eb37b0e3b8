"""`/users` and `/groups`: read-only lookups, memberships for group claims."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.graph.odata import collection_response, graph_route, parse_query, selected_entity_response
from sandbox.graph.store import GraphTenant

_USER_FILTERABLE = (
    "id",
    "userPrincipalName",
    "mail",
    "displayName",
    "givenName",
    "surname",
    "accountEnabled",
)
_GROUP_FILTERABLE = ("id", "displayName", "mail", "mailNickname", "mailEnabled", "securityEnabled")
_MEMBER_FILTERABLE = ("id", "displayName")


def directory_routes(store: GraphTenant) -> list[Route]:
    async def list_users(request: Request) -> Response:
        query = parse_query(request, "user", _USER_FILTERABLE)
        items = [user for user in store.list_users() if query.matches(user)]
        return collection_response(request, items, query, "users")

    async def get_user(request: Request) -> Response:
        query = parse_query(request, "user")
        user = store.get_user(request.path_params["user_id"])
        return selected_entity_response(request, user, "users", query)

    async def member_of(request: Request) -> Response:
        query = parse_query(request, "directoryObject", _MEMBER_FILTERABLE)
        items = [group for group in store.member_of(request.path_params["user_id"]) if query.matches(group)]
        return collection_response(request, items, query, "directoryObjects")

    async def transitive_member_of(request: Request) -> Response:
        query = parse_query(request, "directoryObject", _MEMBER_FILTERABLE)
        items = [g for g in store.transitive_member_of(request.path_params["user_id"]) if query.matches(g)]
        return collection_response(request, items, query, "directoryObjects")

    async def list_groups(request: Request) -> Response:
        query = parse_query(request, "group", _GROUP_FILTERABLE)
        items = [group for group in store.list_groups() if query.matches(group)]
        return collection_response(request, items, query, "groups")

    async def get_group(request: Request) -> Response:
        query = parse_query(request, "group")
        group = store.get_group(request.path_params["group_id"])
        return selected_entity_response(request, group, "groups", query)

    async def group_members(request: Request) -> Response:
        query = parse_query(request, "directoryObject", _MEMBER_FILTERABLE)
        items = [m for m in store.group_members(request.path_params["group_id"]) if query.matches(m)]
        return collection_response(request, items, query, "directoryObjects")

    tokens = lambda: store.read_only_tokens  # noqa: E731
    return [
        graph_route("/v1.0/users", {"GET": list_users}, tokens),
        graph_route("/v1.0/users/{user_id}", {"GET": get_user}, tokens),
        graph_route("/v1.0/users/{user_id}/memberOf", {"GET": member_of}, tokens),
        graph_route("/v1.0/users/{user_id}/transitiveMemberOf", {"GET": transitive_member_of}, tokens),
        graph_route("/v1.0/groups", {"GET": list_groups}, tokens),
        graph_route("/v1.0/groups/{group_id}", {"GET": get_group}, tokens),
        graph_route("/v1.0/groups/{group_id}/members", {"GET": group_members}, tokens),
    ]
