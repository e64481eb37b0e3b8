"""Assemble the Graph stand-in: the routes under `/v1.0`, the seeded tenant, Graph-shaped faults."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Route

from sandbox.common.service import StandIn
from sandbox.graph.odata import GraphError, error_response, render_fault
from sandbox.graph.routes_applications import application_routes
from sandbox.graph.routes_directory import directory_routes
from sandbox.graph.routes_grants import grant_routes
from sandbox.graph.routes_service_principals import service_principal_routes
from sandbox.graph.saml_signin import entra_saml_idp
from sandbox.graph.seed import CONTOSO, TenantSeed
from sandbox.graph.signin import entra_sign_in
from sandbox.graph.store import GraphTenant


class GraphStandIn(StandIn):
    """A Microsoft Graph v1.0 stand-in; `store` is its tenant, for tests to inspect.

    `replication_lag_seconds` is how long new objects take to replicate (see `GraphTenant`);
    change it later through `store.replication_lag_seconds`.
    """

    def __init__(self, seed: TenantSeed = CONTOSO, *, replication_lag_seconds: float = 0.0) -> None:
        self.store = GraphTenant(seed, replication_lag_seconds=replication_lag_seconds)
        routes: list[BaseRoute] = [
            *application_routes(self.store),
            *service_principal_routes(self.store),
            *directory_routes(self.store),
            *grant_routes(self.store),
            *entra_sign_in(self.store).routes(),
            *entra_saml_idp(self.store).routes(),
        ]
        routes.append(_unmatched_route(list(routes)))
        super().__init__(routes, render_fault)

    @property
    def tenant_id(self) -> str:
        return self.store.tenant_id


def build_graph_standin(seed: TenantSeed = CONTOSO, *, replication_lag_seconds: float = 0.0) -> GraphStandIn:
    """A fresh stand-in over a fresh tenant built from `seed`; serve `.app` on a loopback port."""
    return GraphStandIn(seed, replication_lag_seconds=replication_lag_seconds)


def _unmatched_route(known: list[BaseRoute]) -> Route:
    """Graph's answers for a path it does not serve, or a method a path does not allow."""

    async def unmatched(request: Request) -> Response:
        scope = {**request.scope, "method": "GET"}
        for route in known:
            match, _ = route.matches(scope)
            if match is not Match.NONE:
                return error_response(
                    request,
                    GraphError(
                        405,
                        "Request_BadRequest",
                        "Specified HTTP method is not allowed for the request target.",
                    ),
                )
        segment = request.url.path.removeprefix("/v1.0/").split("/")[0] or "/"
        return error_response(
            request, GraphError(400, "BadRequest", f"Resource not found for the segment '{segment}'.")
        )

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    return Route("/{path:path}", unmatched, methods=methods)
