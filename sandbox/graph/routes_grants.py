"""`/oauth2PermissionGrants`: delegated permissions consented for a client, tenant-wide or per user."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.graph.odata import (
    collection_response,
    entity_response,
    graph_route,
    no_content,
    parse_query,
    read_json,
)
from sandbox.graph.store import GraphTenant

_FILTERABLE = ("clientId", "resourceId", "consentType", "principalId")
"""Graph supports `$filter` (eq) on these; `scope` is not filterable."""
_PREFIX = "/v1.0/oauth2PermissionGrants"
_CONTEXT = "oauth2PermissionGrants"


def grant_routes(store: GraphTenant) -> list[Route]:
    async def list_grants(request: Request) -> Response:
        query = parse_query(request, "oAuth2PermissionGrant", _FILTERABLE)
        items = [grant for grant in store.list_grants() if query.matches(grant)]
        return collection_response(request, items, query, _CONTEXT)

    async def create_grant(request: Request) -> Response:
        grant = store.create_grant(await read_json(request))
        return entity_response(request, grant, _CONTEXT + "/$entity", status=201)

    async def get_grant(request: Request) -> Response:
        return entity_response(
            request, store.get_grant(request.path_params["grant_id"]), _CONTEXT + "/$entity"
        )

    async def update_grant(request: Request) -> Response:
        store.update_grant(request.path_params["grant_id"], await read_json(request))
        return no_content(request)

    async def delete_grant(request: Request) -> Response:
        store.delete_grant(request.path_params["grant_id"])
        return no_content(request)

    tokens = lambda: store.read_only_tokens  # noqa: E731
    return [
        graph_route(_PREFIX, {"GET": list_grants, "POST": create_grant}, tokens),
        graph_route(
            _PREFIX + "/{grant_id}", {"GET": get_grant, "PATCH": update_grant, "DELETE": delete_grant}, tokens
        ),
    ]
