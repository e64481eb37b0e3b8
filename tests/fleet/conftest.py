"""Fixtures for the fleet tests: a sealed OIDC client secret, a generic OpenID provider, the WorkOS and
Okta stand-ins, and a throwaway fleet project to run `ssoprov` in."""

from __future__ import annotations

import secrets
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from sandbox.common.server import ServedApp
from sandbox.okta.app import OktaStandIn, build_okta_standin
from sandbox.workos import WorkosStandIn, build_workos_standin
from tests.fleet.fleet import FleetProject, SealedSecret, seal_secret

OIDC_CLIENT_SECRET = "fleet-oidc-secret-5c1e93"


@pytest.fixture(scope="session")
def sealed(pulumi_cli: str, tmp_path_factory: pytest.TempPathFactory) -> SealedSecret:
    return seal_secret(tmp_path_factory.mktemp("seal"), secrets.token_urlsafe(18), OIDC_CLIENT_SECRET)


def openid_provider(answer_after_seconds: float = 0) -> Starlette:
    """A generic OpenID provider's discovery endpoint; its issuer matches its URL. With a delay, its
    one worker thread sleeps before each answer: a provider that keeps a run waiting."""

    async def document(request: Request) -> JSONResponse:
        time.sleep(answer_after_seconds)
        issuer = str(request.base_url).rstrip("/")
        return JSONResponse(
            {
                "issuer": issuer,
                "authorization_endpoint": f"{issuer}/authorize",
                "token_endpoint": f"{issuer}/token",
                "jwks_uri": f"{issuer}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
            }
        )

    return Starlette(routes=[Route("/.well-known/openid-configuration", document)])


@pytest.fixture(scope="session")
def discovery_url() -> Iterator[str]:
    with ServedApp(openid_provider()) as served:
        yield f"{served.url}/.well-known/openid-configuration"


@pytest.fixture
def dead_discovery_url() -> str:
    """A discovery URL on a loopback port nothing listens on (connection refused at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/.well-known/openid-configuration"


@dataclass
class SaaSStandIns:
    workos: WorkosStandIn
    workos_url: str
    workos_api_key: str
    okta: OktaStandIn
    okta_url: str
    okta_api_token: str

    def env(self) -> dict[str, str]:
        return {
            "WORKOS_API_KEY": self.workos_api_key,
            "WORKOS_BASE_URL": self.workos_url,
            "OKTA_API_TOKEN": self.okta_api_token,
        }


@pytest.fixture
def saas() -> Iterator[SaaSStandIns]:
    """Fresh WorkOS and Okta stand-ins (no Keycloak needed)."""
    api_key, token = f"sk_test_{secrets.token_hex(12)}", "00" + secrets.token_urlsafe(30)
    workos, okta = build_workos_standin(api_keys=[api_key]), build_okta_standin(api_token=token)
    with ServedApp(workos.app) as workos_served, ServedApp(okta.app) as okta_served:
        yield SaaSStandIns(workos, workos_served.url, api_key, okta, okta_served.url, token)


@pytest.fixture
def fleet_project(sealed: SealedSecret, tmp_path: Path) -> Callable[[dict[str, str]], FleetProject]:
    def make(env: dict[str, str]) -> FleetProject:
        return FleetProject.create(tmp_path / "fleet", sealed, env)

    return make
