"""Admin credentials from the environment (`client.from_environment`): which grant, and the error."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from ssoprov.brokers.keycloak.client import from_environment
from ssoprov.errors import ProvisionerError

BASE = "http://127.0.0.1:1"


def granted_form(environ: dict[str, str]) -> dict[str, str]:
    """The token request the client built from `environ` makes (answered here, never sent)."""
    forms: list[tuple[str, dict[str, str]]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/protocol/openid-connect/token"):
            forms.append((request.url.path, dict(httpx.QueryParams(request.content.decode()))))
            return httpx.Response(200, json={"access_token": "t", "expires_in": 60})
        return httpx.Response(200, json=[])

    async def main() -> None:
        async with from_environment(BASE, environ, transport=httpx.MockTransport(answer)) as client:
            await client.list_realm_roles("sso")

    asyncio.run(main())
    [(path, form)] = forms
    return {"path": path, **form}


def test_admin_user_or_service_account() -> None:
    user = granted_form({"KEYCLOAK_ADMIN_USERNAME": "ops", "KEYCLOAK_ADMIN_PASSWORD": "pw"})
    assert user == {
        "path": "/realms/master/protocol/openid-connect/token",
        "client_id": "admin-cli",
        "grant_type": "password",
        "username": "ops",
        "password": "pw",
    }
    service = granted_form(
        {"KEYCLOAK_CLIENT_ID": "ssoprov", "KEYCLOAK_CLIENT_SECRET": "cs", "KEYCLOAK_AUTH_REALM": "sso"}
    )
    assert service == {
        "path": "/realms/sso/protocol/openid-connect/token",
        "client_id": "ssoprov",
        "client_secret": "cs",
        "grant_type": "client_credentials",
    }


def test_no_credentials_names_the_variables() -> None:
    with pytest.raises(ProvisionerError) as missing:
        from_environment(BASE, {"KEYCLOAK_ADMIN_USERNAME": "ops"})  # no password: incomplete
    message = str(missing.value)
    assert f"no admin credentials for {BASE}" in message
    assert "KEYCLOAK_ADMIN_USERNAME and KEYCLOAK_ADMIN_PASSWORD" in message
    assert "KEYCLOAK_CLIENT_ID and KEYCLOAK_CLIENT_SECRET" in message
