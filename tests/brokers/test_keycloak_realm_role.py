"""KeycloakRealmRole's provider against the session's Keycloak: ensured, and never deleted."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from sandbox.keycloak import KeycloakServer
from ssoprov.brokers.keycloak.realm_role import _KeycloakRealmRoleProvider
from ssoprov.errors import ProvisionerError
from tests.brokers.conftest import AdminHttp

TOKEN = "POST /realms/master/protocol/openid-connect/token"

pytestmark = pytest.mark.usefixtures("keycloak_admin_env")


@pytest.fixture(scope="module")
def realm(admin_http: AdminHttp) -> Iterator[str]:
    name = f"roles-{secrets.token_hex(3)}"
    admin_http.call("POST", "", json={"realm": name, "enabled": True})
    admin_http.call("POST", f"/{name}/roles", json={"name": "existing"})
    yield name
    admin_http.call("DELETE", f"/{name}")


def inputs(keycloak: KeycloakServer, realm: str, name: str, *, create_missing: bool = True) -> dict[str, Any]:
    return {"url": keycloak.url, "realm": realm, "name": name, "create_missing": create_missing}


def test_an_existing_role_is_left_as_it_is_and_outlives_the_resource(
    keycloak: KeycloakServer, admin_http: AdminHttp, realm: str, http_calls: list[str]
) -> None:
    provider = _KeycloakRealmRoleProvider()
    created = provider.create(inputs(keycloak, realm, "existing"))
    assert http_calls == [TOKEN, f"POST /admin/realms/{realm}/roles"]  # answered 409: it exists
    assert (created.id, created.outs["created"]) == (f"{realm}/existing", False)
    assert "description" not in admin_http.get(f"/{realm}/roles/existing")  # not overwritten

    http_calls.clear()
    checked = provider.create(inputs(keycloak, realm, "existing", create_missing=False))
    assert [call for call in http_calls if call != TOKEN] == [f"GET /admin/realms/{realm}/roles/existing"]
    assert checked.outs["created"] is False

    http_calls.clear()
    provider.delete(created.id, created.outs)
    assert http_calls == []  # shared: never deleted
    assert admin_http.get(f"/{realm}/roles/existing")["name"] == "existing"


def test_a_missing_role_is_created_and_still_not_deleted(
    keycloak: KeycloakServer, admin_http: AdminHttp, realm: str, http_calls: list[str]
) -> None:
    provider = _KeycloakRealmRoleProvider()
    name = "Compañía Admin"  # any text: the path segment is encoded
    created = provider.create(inputs(keycloak, realm, name))
    assert http_calls[0] == TOKEN and [call.split()[0] for call in http_calls[1:]] == ["POST"]
    assert created.outs["created"] is True
    assert provider.read(created.id, created.outs).outs == created.outs
    provider.delete(created.id, created.outs)
    role = admin_http.get(f"/{realm}/roles/{name}")
    assert role["description"].startswith("Granted by SSO identity provider mappers")

    # Deleted out of band: refresh drops it, so the next run creates it again.
    admin_http.call("DELETE", f"/{realm}/roles/{name}")
    assert provider.read(created.id, created.outs).id is None


def test_a_missing_role_without_create_roles_fails_with_the_fix(
    keycloak: KeycloakServer, admin_http: AdminHttp, realm: str, http_calls: list[str]
) -> None:
    with pytest.raises(ProvisionerError) as missing:
        _KeycloakRealmRoleProvider().create(inputs(keycloak, realm, "auditor", create_missing=False))
    message = str(missing.value)
    assert f"realm role 'auditor' does not exist in realm {realm}" in message
    assert "ssoprov:organization.broker.createRoles: true" in message
    assert not [call for call in http_calls if call.startswith("POST /admin")]  # nothing created
