"""Fixtures for the WorkOS tests: a fresh stand-in on a loopback port, a client for it, and an
OpenID provider's discovery document to point connections at."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from sandbox.common.calls import Call
from sandbox.common.server import ServedApp
from sandbox.workos import WorkosStandIn, build_workos_standin
from ssoprov.brokers.workos.client import WorkosClient
from ssoprov.retry import RetryPolicy

FAST_POLICY = RetryPolicy(attempts=4, budget_seconds=8.0, base_delay=0.01, max_delay=0.05)
"""Retries that cost milliseconds, except where the service asks for a wait."""


@dataclass
class WorkosSandbox:
    stand_in: WorkosStandIn
    url: str
    api_key: str

    def http(self, api_key: str | None = None) -> httpx.Client:
        """A plain HTTP client with `Bearer <api key>`."""
        key = self.api_key if api_key is None else api_key
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {key}"}, timeout=10)

    def calls(self, settle: float = 0.2) -> list[Call]:
        """The call log once no call has been added for `settle` seconds: the stand-in records a
        call just after answering it, so a client can be faster than the log."""
        deadline = time.monotonic() + 5
        seen = self.stand_in.calls.all()
        while time.monotonic() < deadline:
            time.sleep(settle)
            now = self.stand_in.calls.all()
            if len(now) == len(seen):
                return now
            seen = now
        return seen

    def env(self) -> dict[str, str]:
        """What a `pulumi` run needs to reach this stand-in."""
        return {"WORKOS_API_KEY": self.api_key, "WORKOS_BASE_URL": self.url}


@pytest.fixture
def workos_sandbox() -> Iterator[WorkosSandbox]:
    api_key = f"sk_test_{secrets.token_hex(16)}"
    stand_in = build_workos_standin(api_keys=[api_key])
    with ServedApp(stand_in.app) as served:
        yield WorkosSandbox(stand_in, served.url, api_key)


@pytest.fixture
def workos_client(workos_sandbox: WorkosSandbox) -> WorkosClient:
    """The real client (and SDK) pointed at the stand-in, with FAST_POLICY."""
    return WorkosClient(workos_sandbox.api_key, workos_sandbox.url, policy=FAST_POLICY)


@pytest.fixture
def discovery_url() -> Iterator[str]:
    """A generic OpenID provider's discovery endpoint on loopback; its issuer matches its URL."""

    async def document(request: Request) -> JSONResponse:
        issuer = str(request.base_url).rstrip("/")
        return JSONResponse(
            {
                "issuer": issuer,
                "authorization_endpoint": f"{issuer}/authorize",
                "token_endpoint": f"{issuer}/token",
                "jwks_uri": f"{issuer}/jwks",
                "userinfo_endpoint": f"{issuer}/userinfo",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
            }
        )

    app = Starlette(routes=[Route("/.well-known/openid-configuration", document)])
    with ServedApp(app) as served:
        yield f"{served.url}/.well-known/openid-configuration"
