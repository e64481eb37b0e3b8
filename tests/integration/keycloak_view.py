"""What Keycloak holds for a connection, read through the admin API (for assertions)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx

from sandbox.environment import LocalSandbox
from ssoprov.brokers.keycloak.client import from_environment


@dataclass(frozen=True)
class ConnectionView:
    provider: dict[str, Any]
    mappers: list[dict[str, Any]]


def connection_view(sandbox: LocalSandbox, realm: str, alias: str) -> ConnectionView:
    async def read() -> ConnectionView:
        async with from_environment(sandbox.keycloak_url, sandbox.engine_env()) as admin:
            provider = await admin.get_identity_provider(realm, alias)
            mappers = await admin.list_mappers(realm, alias)
            return ConnectionView(provider, mappers)

    return asyncio.run(read())


def assert_endpoints_match_discovery(view: ConnectionView, discovery_url: str) -> None:
    document = httpx.get(discovery_url).json()
    config = view.provider["config"]
    assert config["authorizationUrl"] == document["authorization_endpoint"]
    assert config["tokenUrl"] == document["token_endpoint"]
    assert config["jwksUrl"] == document["jwks_uri"]
    assert config["issuer"] == document["issuer"]
    assert config["clientSecret"] == "**********"  # stored, never shown


def role_mappers(view: ConnectionView) -> dict[str, str]:
    """claim (or SAML attribute) value, or 'default' -> role, for each mapper that grants a role."""
    found = {}
    for mapper in view.mappers:
        config = mapper["config"]
        if "role" in config:
            found[config.get("claim.value") or config.get("attribute.value") or "default"] = config["role"]
    return found
