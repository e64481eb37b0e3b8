"""KeycloakRealmRoles' provider against the session's Keycloak: the roles ensured in one call, side by
side, one Keycloak call per role; never deleted; re-ensured after an out-of-band delete."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sandbox.keycloak import KeycloakServer
from ssoprov.brokers.keycloak.realm_roles import _KeycloakRealmRolesProvider
from ssoprov.errors import ProvisionerError
from tests.brokers.conftest import AdminHttp

TOKEN = "POST /realms/master/protocol/openid-connect/token"

pytestmark = pytest.mark.usefixtures("keycloak_admin_env")


@pytest.fixture
def realm(admin_http: AdminHttp) -> Iterator[str]:
    name = f"roles-{secrets.token_hex(3)}"
    admin_http.call("POST", "", json={"realm": name, "enabled": True})
    admin_http.call("POST", f"/{name}/roles", json={"name": "existing"})
    yield name
    admin_http.call("DELETE", f"/{name}")


def inputs(
    keycloak: KeycloakServer, realm: str, names: list[str], *, create_missing: bool = True
) -> dict[str, Any]:
    return {"url": keycloak.url, "realm": realm, "names": names, "create_missing": create_missing}


def role_calls(http_calls: list[str]) -> list[str]:
    """The calls on roles, sorted (they run side by side, in any order)."""
    return sorted(call for call in http_calls if call != TOKEN)


@pytest.fixture
def in_flight(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many requests were in flight when each one started; each is held 0.2 s, so requests sent
    one after another never overlap."""
    counts: list[int] = []
    running = 0
    send = httpx.AsyncClient.send

    async def slow_send(self: httpx.AsyncClient, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        nonlocal running
        running += 1
        counts.append(running)
        try:
            await asyncio.sleep(0.2)
            return await send(self, request, **kwargs)
        finally:
            running -= 1

    monkeypatch.setattr(httpx.AsyncClient, "send", slow_send)
    return counts


def test_one_post_per_role_creates_the_missing_ones_and_delete_leaves_them_all(
    keycloak: KeycloakServer, admin_http: AdminHttp, realm: str, http_calls: list[str]
) -> None:
    provider = _KeycloakRealmRolesProvider()
    names = ["Compañía Admin", "existing", "member"]  # any text: the path segment is encoded
    created = provider.create(inputs(keycloak, realm, names))

    assert http_calls[0] == TOKEN and role_calls(http_calls) == [f"POST /admin/realms/{realm}/roles"] * 3
    assert created.id == realm
    assert created.outs["names"] == names
    assert created.outs["created"] == {
        "Compañía Admin": True,
        "existing": False,
        "member": True,
    }  # 409: exists
    assert "description" not in admin_http.get(f"/{realm}/roles/existing")  # not overwritten
    made = admin_http.get(f"/{realm}/roles/Compañía Admin")
    assert made["description"].startswith("Granted by SSO identity provider mappers")

    http_calls.clear()
    assert provider.read(created.id, created.outs).outs == created.outs
    assert role_calls(http_calls) == sorted(f"GET /admin/realms/{realm}/roles/{name}" for name in names)

    http_calls.clear()
    provider.delete(created.id, created.outs)
    assert http_calls == []  # shared: never deleted
    assert set(names) <= {role["name"] for role in admin_http.get(f"/{realm}/roles")}


def test_the_roles_requests_of_one_call_run_side_by_side(
    keycloak: KeycloakServer, realm: str, in_flight: list[int]
) -> None:
    """Pulumi runs at most four provider calls at once: one call per organization, its role
    requests concurrent, instead of one call per role."""
    provider = _KeycloakRealmRolesProvider()
    names = ["auditor", "engineer", "existing", "member"]
    created = provider.create(inputs(keycloak, realm, names))
    assert in_flight[0] == 1 and max(in_flight[1:]) == len(names)  # the token, then every POST

    in_flight.clear()
    provider.read(created.id, created.outs)
    assert max(in_flight) == len(names)

    in_flight.clear()
    provider.create(inputs(keycloak, realm, names, create_missing=False))
    assert max(in_flight) == len(names)


def test_missing_roles_without_create_roles_fail_naming_each_and_the_fix(
    keycloak: KeycloakServer, admin_http: AdminHttp, realm: str, http_calls: list[str]
) -> None:
    provider = _KeycloakRealmRolesProvider()
    checked = provider.create(inputs(keycloak, realm, ["existing"], create_missing=False))
    assert role_calls(http_calls) == [f"GET /admin/realms/{realm}/roles/existing"]
    assert checked.outs["created"] == {"existing": False}

    http_calls.clear()
    with pytest.raises(ProvisionerError) as missing:
        provider.create(inputs(keycloak, realm, ["auditor", "billing", "existing"], create_missing=False))
    message = str(missing.value)
    assert f"realm roles that role mappings grant in realm {realm} at {keycloak.url}" in message
    assert "missing 'auditor', 'billing'. Fix:" in message and "'existing'" not in message
    assert "ssoprov:organization.broker.createRoles: true" in message
    assert len(role_calls(http_calls)) == 3
    assert not [call for call in http_calls if call.startswith("POST /admin")]  # nothing created


def test_a_role_deleted_out_of_band_is_dropped_by_read_and_ensured_again_by_the_update(
    keycloak: KeycloakServer, admin_http: AdminHttp, realm: str, http_calls: list[str]
) -> None:
    provider = _KeycloakRealmRolesProvider()
    wanted = inputs(keycloak, realm, ["engineer", "existing", "member"])
    created = provider.create(wanted).outs
    admin_http.call("DELETE", f"/{realm}/roles/engineer")

    refreshed = provider.read(realm, created).outs
    assert refreshed["names"] == ["existing", "member"]
    assert refreshed["created"] == {"existing": False, "member": True}
    diff = provider.diff(realm, refreshed, wanted)
    assert (diff.changes, diff.replaces) == (True, [])  # an update, which the next `up` makes

    http_calls.clear()
    updated = provider.update(realm, refreshed, wanted).outs
    assert role_calls(http_calls) == [f"POST /admin/realms/{realm}/roles"]  # the missing one only
    assert updated["names"] == wanted["names"]
    assert updated["created"] == {"engineer": True, "existing": False, "member": True}
    assert admin_http.get(f"/{realm}/roles/engineer")["name"] == "engineer"
    assert not provider.diff(realm, updated, wanted).changes


def test_an_update_ensures_added_roles_and_leaves_removed_ones(
    keycloak: KeycloakServer, admin_http: AdminHttp, realm: str, http_calls: list[str]
) -> None:
    provider = _KeycloakRealmRolesProvider()
    olds = provider.create(inputs(keycloak, realm, ["engineer", "member"])).outs

    http_calls.clear()
    news = inputs(keycloak, realm, ["accountant", "member"])
    updated = provider.update(realm, olds, news).outs
    assert role_calls(http_calls) == [f"POST /admin/realms/{realm}/roles"]  # accountant only
    assert updated["created"] == {"accountant": True, "member": True}
    assert {"accountant", "engineer", "member"} <= {
        role["name"] for role in admin_http.get(f"/{realm}/roles")
    }

    http_calls.clear()
    checked_only = provider.update(realm, updated, {**news, "create_missing": False}).outs
    assert http_calls == []  # nothing added: only recorded
    assert checked_only["create_missing"] is False and checked_only["created"] == updated["created"]

    moved = provider.diff(realm, updated, {**news, "realm": "elsewhere"})
    assert (moved.replaces, moved.delete_before_replace) == (["realm"], False)
