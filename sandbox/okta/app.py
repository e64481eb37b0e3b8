"""Assemble the Okta management API stand-in: store, edge (rate limit + auth), routes, faults.

    stand_in = build_okta_standin()
    with ServedApp(stand_in.app) as served:
        ...  # point the okta SDK at served.url with token stand_in.auth.api_token
        stand_in.store.snapshot()

Injected faults answer the way Okta does: a throttle is 429 E0000047 with
`X-Rate-Limit-Remaining: 0` and `X-Rate-Limit-Reset` at the end of the asked wait; a server
error is an Okta-shaped 500 (E0000009) or 503 (E0000010).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount

from sandbox.common.service import StandIn
from sandbox.okta import errors
from sandbox.okta.edge import OktaAuth, OktaEdge, RateLimiter
from sandbox.okta.errors import OktaError, random_token
from sandbox.okta.routes_app_groups import app_group_routes
from sandbox.okta.routes_apps import app_routes
from sandbox.okta.routes_claims import claim_routes
from sandbox.okta.routes_groups import group_routes
from sandbox.okta.routes_jwks import jwks_routes
from sandbox.okta.routes_oauth import service_app_token
from sandbox.okta.routes_secrets import secret_routes
from sandbox.okta.routes_users import user_routes
from sandbox.okta.saml_signin import okta_saml_idp, saml_key_routes
from sandbox.okta.seed import DEFAULT_SEED, OrgSeed, seed_org
from sandbox.okta.signin import okta_sign_in
from sandbox.okta.store import OktaStore

DEFAULT_API_TOKEN = "00sandbox-okta-api-token"
"""The SSWS token the stand-in accepts unless told otherwise; a sandbox value, not a secret."""


class OktaStandIn(StandIn):
    """A StandIn whose org (`store`), callers (`auth`) and rate limit (`limiter`) tests can reach."""

    def __init__(self, store: OktaStore, auth: OktaAuth, limiter: RateLimiter) -> None:
        self.store = store
        self.auth = auth
        self.limiter = limiter
        self.saml_idp = okta_saml_idp(store)
        """The SAML sign-in; tests of an SP's checks set its `tampering`."""
        api = Starlette(
            routes=[
                *okta_sign_in(store, service_app_token(auth)).routes(),
                *self.saml_idp.routes(),
                *saml_key_routes(store),
                *app_routes(store),
                *app_group_routes(store),
                *secret_routes(store),
                *jwks_routes(store),
                *claim_routes(store),
                *group_routes(store),
                *user_routes(store),
            ],
            middleware=[Middleware(OktaEdge, auth=auth, limiter=limiter)],
            exception_handlers={OktaError: _okta_error, HTTPException: _http_error},
        )
        super().__init__([Mount("", app=api)], self._render_okta_fault)

    def _render_okta_fault(self, kind: str, detail: float | int) -> Response:
        state = self.limiter.peek("GET", "/api/v1")
        headers = {**state.headers(), "X-Okta-Request-Id": random_token(27)}
        if kind == "throttle":
            headers["X-Rate-Limit-Remaining"] = "0"
            headers["X-Rate-Limit-Reset"] = str(math.ceil(time.time() + float(detail)))
            return errors.too_many_requests().response(headers)
        return errors.server_error(int(detail)).response(headers)


def build_okta_standin(
    seed: OrgSeed | None = DEFAULT_SEED,
    *,
    api_token: str = DEFAULT_API_TOKEN,
    rate_limits: Mapping[str, int] | None = None,
    rate_limit_window_seconds: float = 1.0,
    app_quota: int | None = None,
) -> OktaStandIn:
    """A fresh org seeded with `seed` (None: empty), accepting `SSWS <api_token>`, holding at most
    `app_quota` apps (None: no limit; `store.app_quota` changes it later).

    Rate limits are Okta's per-endpoint buckets (`edge.ENDPOINT_LIMITS`, or `rate_limits` by
    bucket) over windows of `rate_limit_window_seconds`: a second by default rather than Okta's
    minute, so that a sandbox fleet is throttled the way a real org would be, only 60 times faster."""
    store = OktaStore(app_quota)
    if seed is not None:
        seed_org(store, seed)
    limiter = RateLimiter(rate_limits, rate_limit_window_seconds)
    return OktaStandIn(store, OktaAuth(api_token), limiter)


async def _okta_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, OktaError)
    return exc.response()


async def _http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own 404/405 (no such route / method) in Okta's words."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        return errors.method_not_allowed().response()
    if exc.status_code == 404:
        return errors.path_not_found().response()
    return OktaError(exc.status_code, "E0000009", "Internal Server Error").response()
