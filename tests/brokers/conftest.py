"""An admin HTTP helper independent of the client under test (`keycloak` is in tests/conftest.py),
and a fresh admin token store for every test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sandbox.keycloak import KeycloakServer
from ssoprov.brokers.keycloak import client as keycloak_client
from ssoprov.brokers.keycloak.client import AdminTokenStore


class AdminHttp:
    """Plain admin REST calls with a password-grant token, for arranging and checking tests."""

    def __init__(self, server: KeycloakServer) -> None:
        self.base = server.url
        self._server = server
        self._http = httpx.Client(base_url=server.url, timeout=30.0)

    def _headers(self) -> dict[str, str]:
        response = self._http.post(
            "/realms/master/protocol/openid-connect/token",
            data={
                "grant_type": "password",
                "client_id": "admin-cli",
                "username": self._server.admin_username,
                "password": self._server.admin_password,
            },
        )
        response.raise_for_status()
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = self._http.request(method, f"/admin/realms{path}", headers=self._headers(), **kwargs)
        if response.is_error:
            raise AssertionError(f"{method} {path}: HTTP {response.status_code} {response.text[:500]}")
        return response

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.call("GET", path, **kwargs).json()

    def close(self) -> None:
        self._http.close()


@pytest.fixture(autouse=True)
def admin_tokens(monkeypatch: pytest.MonkeyPatch) -> AdminTokenStore:
    """The process-wide admin token store, empty for each test: a test's first call signs in."""
    store = AdminTokenStore()
    monkeypatch.setattr(keycloak_client, "ADMIN_TOKENS", store)
    return store


@pytest.fixture(scope="session")
def admin_http(keycloak: KeycloakServer) -> Iterator[AdminHttp]:
    admin = AdminHttp(keycloak)
    yield admin
    admin.close()


@pytest.fixture
def keycloak_admin_env(keycloak: KeycloakServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The server's admin credentials where the resource providers look for them."""
    monkeypatch.setenv("KEYCLOAK_ADMIN_USERNAME", keycloak.admin_username)
    monkeypatch.setenv("KEYCLOAK_ADMIN_PASSWORD", keycloak.admin_password)


@pytest.fixture
def http_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each request any httpx.AsyncClient sends, as "METHOD /path" (the admin client's, in-process)."""
    calls: list[str] = []
    send = httpx.AsyncClient.send

    async def recording_send(
        self: httpx.AsyncClient, request: httpx.Request, **kwargs: Any
    ) -> httpx.Response:
        calls.append(f"{request.method} {request.url.path}")
        return await send(self, request, **kwargs)

    monkeypatch.setattr(httpx.AsyncClient, "send", recording_send)
    return calls
