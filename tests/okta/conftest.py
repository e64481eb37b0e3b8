"""Fixtures for the Okta tests: a fresh stand-in org on a loopback port, and clients for it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from sandbox.common.server import ServedApp
from sandbox.okta.app import OktaStandIn, build_okta_standin
from ssoprov.okta.okta_client import OktaClient, OktaCredentials
from ssoprov.retry import RetryPolicy
from tests.okta.contract import SPEC_PATH, Exchange, OktaContract

SERVICE_APP = "0oaDpopServiceApp001"
"""A service app's client id, for private_key_jwt tests."""
SCOPES = {"okta.apps.manage", "okta.groups.read", "okta.users.read"}

FAST_POLICY = RetryPolicy(attempts=4, budget_seconds=8.0, base_delay=0.01, max_delay=0.05)
"""Retries that cost milliseconds, except where the service asks for a wait."""

WEB_APP = {
    "name": "oidc_client",
    "label": "Acme SSO",
    "signOnMode": "OPENID_CONNECT",
    "credentials": {"oauthClient": {"token_endpoint_auth_method": "client_secret_basic"}},
    "settings": {
        "oauthClient": {
            "application_type": "web",
            "grant_types": ["authorization_code"],
            "response_types": ["code"],
            "redirect_uris": ["https://broker.example/callback"],
        }
    },
}
"""An OIDC web app as POST /api/v1/apps takes it."""


@dataclass
class OktaSandbox:
    stand_in: OktaStandIn
    url: str

    @property
    def token(self) -> str:
        return self.stand_in.auth.api_token

    def http(self, authorization: str | None = None) -> httpx.Client:
        """A plain HTTP client with `SSWS <token>` unless told otherwise."""
        header = authorization if authorization is not None else f"SSWS {self.token}"
        return httpx.Client(base_url=self.url, headers={"Authorization": header}, timeout=10)

    def faults(self, **settings: object) -> None:
        with self.http() as http:
            http.put("/_sandbox/faults", json=settings).raise_for_status()


@pytest.fixture
def okta_sandbox() -> Iterator[OktaSandbox]:
    stand_in = build_okta_standin()
    with ServedApp(stand_in.app) as served:
        yield OktaSandbox(stand_in, served.url)


@pytest.fixture
def okta_env(okta_sandbox: OktaSandbox, monkeypatch: pytest.MonkeyPatch) -> OktaSandbox:
    """The stand-in, with its API token in the environment the providers read."""
    monkeypatch.setenv("OKTA_API_TOKEN", okta_sandbox.token)
    return okta_sandbox


@pytest.fixture
def okta(okta_sandbox: OktaSandbox) -> OktaClient:
    """The real client (and SDK) pointed at the stand-in with its SSWS token and FAST_POLICY."""
    return OktaClient(OktaCredentials(okta_sandbox.url, api_token=okta_sandbox.token), policy=FAST_POLICY)


@pytest.fixture(scope="session")
def service_key() -> tuple[str, str]:
    """(private PEM, public PEM) of the service app's private_key_jwt key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


@pytest.fixture
def dpop_app(okta_sandbox: OktaSandbox, service_key: tuple[str, str]) -> OktaSandbox:
    okta_sandbox.stand_in.auth.register_service_app(
        SERVICE_APP, service_key[1], SCOPES, dpop_bound_access_tokens=True
    )
    return okta_sandbox


@pytest.fixture(scope="session")
def okta_contract() -> OktaContract | None:
    """Okta's OpenAPI document, or None in a checkout without ../shared (test_contract.py then
    skips, saying so; CI always has it)."""
    return OktaContract.load() if SPEC_PATH.exists() else None


def assert_conforms(contract: OktaContract | None, exchanges: list[Exchange]) -> None:
    """Every answer the stand-in gave validates against Okta's document for its path, method, status."""
    if contract is None:
        return
    problems = [problem for exchange in exchanges for problem in contract.problems(exchange)]
    assert not problems, "the Okta stand-in answered outside Okta's contract:\n" + "\n".join(problems[:20])
    assert any(e.path.startswith("/api/v1/") for e in exchanges)  # the check had answers to check
