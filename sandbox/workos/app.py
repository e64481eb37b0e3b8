"""Assemble the WorkOS stand-in: API routes, seeded organizations, WorkOS-shaped faults."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from sandbox.common.service import StandIn
from sandbox.workos.routes import api_routes
from sandbox.workos.seed import DEFAULT_ORGANIZATIONS, SeedOrganization
from sandbox.workos.signin import WorkosSignIn
from sandbox.workos.store import DEFAULT_DELETION_SECONDS, WorkosStore
from sandbox.workos.wire import IdempotencyKeys, error_response, new_id, not_found, render_fault

DEFAULT_API_KEY = "sk_test_workos_standin"


class WorkosStandIn(StandIn):
    """A WorkOS API stand-in; `store` holds its organizations and connections for tests."""

    def __init__(
        self, api_keys: Collection[str], organizations: Iterable[SeedOrganization], deletion_seconds: float
    ) -> None:
        self.store = WorkosStore(deletion_seconds)
        for seed in organizations:
            self.store.add_organization(seed.name, list(seed.domains), org_id=seed.id)
        self.api_keys = frozenset(api_keys)
        self.idempotency = IdempotencyKeys()
        self.client_id = new_id("client")
        """The environment's client ID, which apps pass to /sso/authorize and /sso/token."""
        sign_in = WorkosSignIn(self.store, self.client_id, self.api_keys)
        routes: list[BaseRoute] = [
            *api_routes(self.store, self.api_keys, self.idempotency),
            *sign_in.routes(),
        ]
        routes.append(Route("/{path:path}", _unknown_path, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]))
        super().__init__(routes, render_fault)


async def _unknown_path(request: Request) -> Response:
    return error_response(request, not_found("Path", request.url.path))


def build_workos_standin(
    api_keys: Collection[str] = (DEFAULT_API_KEY,),
    organizations: Iterable[SeedOrganization] = DEFAULT_ORGANIZATIONS,
    deletion_seconds: float = DEFAULT_DELETION_SECONDS,
) -> WorkosStandIn:
    """A fresh stand-in accepting `api_keys` as Bearer tokens; serve `.app` on a loopback port.

    A deleted connection stays `deleting` for `deletion_seconds` before it is gone."""
    return WorkosStandIn(api_keys, organizations, deletion_seconds)
