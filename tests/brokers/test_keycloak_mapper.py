"""KeycloakIdpMapper's provider against the session's Keycloak, called in-process, calls recorded."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from sandbox.keycloak import KeycloakServer
from ssoprov.brokers.keycloak.mapper import (
    DEFAULT_ROLE_MAPPER,
    ROLE_MAPPER,
    _KeycloakIdpMapperProvider,
    default_role_config,
    role_mapping_config,
)
from tests.brokers.conftest import AdminHttp
from tests.brokers.keycloak_realms import create_broker_realm

TOKEN = "POST /realms/master/protocol/openid-connect/token"
ALIAS = "acme"

pytestmark = pytest.mark.usefixtures("keycloak_admin_env")


@pytest.fixture
def realm(admin_http: AdminHttp) -> Iterator[str]:
    """A broker realm with an identity provider `acme` (its endpoints do not matter here)."""
    name = create_broker_realm(admin_http)
    admin_http.call(
        "POST",
        f"/{name}/identity-provider/instances",
        json={"alias": ALIAS, "providerId": "oidc", "config": {"clientId": "x", "clientSecret": "y"}},
    )
    yield name
    admin_http.call("DELETE", f"/{name}")


def inputs(keycloak: KeycloakServer, realm: str, **changes: Any) -> dict[str, Any]:
    props = {
        "url": keycloak.url,
        "realm": realm,
        "alias": ALIAS,
        "name": "Ingeniería -> engineer",
        "mapper_type": ROLE_MAPPER,
        "config": role_mapping_config("groups", "Ingeniería", "engineer"),
    }
    return props | changes


def test_create_read_update_delete_and_their_calls(
    keycloak: KeycloakServer, admin_http: AdminHttp, realm: str, http_calls: list[str]
) -> None:
    provider = _KeycloakIdpMapperProvider()
    mappers = f"/admin/realms/{realm}/identity-provider/instances/{ALIAS}/mappers"
    props = inputs(keycloak, realm)

    created = provider.create(props)
    assert http_calls == [TOKEN, f"POST {mappers}"]  # later calls reuse the process's admin token
    mapper_id, outs = created.id, created.outs
    stored = admin_http.get(f"/{realm}/identity-provider/instances/{ALIAS}/mappers/{mapper_id}")
    assert (stored["name"], stored["identityProviderMapper"]) == ("Ingeniería -> engineer", ROLE_MAPPER)
    assert stored["config"] == {
        "claim": "groups",
        "claim.value": "Ingeniería",
        "role": "engineer",
        "syncMode": "INHERIT",
    }

    http_calls.clear()
    read = provider.read(mapper_id, outs)
    assert http_calls == [f"GET {mappers}/{mapper_id}"]
    assert read.outs == outs
    assert not provider.diff(mapper_id, read.outs, props).changes

    # The group's role changes: the same mapper, renamed and granting the new role.
    promoted = inputs(
        keycloak, realm, name="Ingeniería -> lead", config=role_mapping_config("groups", "Ingeniería", "lead")
    )
    diff = provider.diff(mapper_id, outs, promoted)
    assert (diff.changes, diff.replaces) == (True, [])
    http_calls.clear()
    outs = provider.update(mapper_id, outs, promoted).outs
    assert http_calls == [f"PUT {mappers}/{mapper_id}"]
    assert admin_http.get(f"/{realm}/identity-provider/instances/{ALIAS}/mappers/{mapper_id}")["config"][
        "role"
    ] == ("lead")

    http_calls.clear()
    provider.delete(mapper_id, outs)
    assert http_calls == [f"DELETE {mappers}/{mapper_id}"]
    provider.delete(mapper_id, outs)  # already gone: fine
    assert provider.read(mapper_id, outs).id is None


def test_refresh_reports_drift(keycloak: KeycloakServer, admin_http: AdminHttp, realm: str) -> None:
    provider = _KeycloakIdpMapperProvider()
    props = inputs(keycloak, realm)
    created = provider.create(props)
    path = f"/{realm}/identity-provider/instances/{ALIAS}/mappers/{created.id}"
    changed = admin_http.get(path)
    changed["config"]["role"] = "admin"
    admin_http.call("PUT", path, json=changed)

    drifted = provider.read(created.id, created.outs).outs
    assert drifted["config"]["role"] == "admin"
    assert provider.diff(created.id, drifted, props).changes
    provider.update(created.id, drifted, props)
    assert admin_http.get(path)["config"]["role"] == "engineer"


def test_create_adopts_the_providers_mapper_of_the_same_name(
    keycloak: KeycloakServer, admin_http: AdminHttp, realm: str, http_calls: list[str]
) -> None:
    """A create whose answer was lost, retried by the next run, must not fail on the name."""
    mappers = f"/{realm}/identity-provider/instances/{ALIAS}/mappers"
    existing = admin_http.call(
        "POST",
        mappers,
        json={
            "name": "default role: member",
            "identityProviderAlias": ALIAS,
            "identityProviderMapper": DEFAULT_ROLE_MAPPER,
            "config": {"role": "someone-elses-idea"},
        },
    )
    existing_id = existing.headers["Location"].rsplit("/", 1)[-1]
    props = inputs(
        keycloak,
        realm,
        name="default role: member",
        mapper_type=DEFAULT_ROLE_MAPPER,
        config=default_role_config("member"),
    )

    created = _KeycloakIdpMapperProvider().create(props)
    assert created.id == existing_id
    path = f"/admin/realms{mappers}"
    assert http_calls == [TOKEN, f"POST {path}", f"GET {path}", f"PUT {path}/{existing_id}"]
    [mapper] = admin_http.get(mappers)
    assert mapper["config"] == {"role": "member", "syncMode": "INHERIT"}


def test_delete_after_the_identity_provider_is_gone(
    keycloak: KeycloakServer, admin_http: AdminHttp, realm: str
) -> None:
    provider = _KeycloakIdpMapperProvider()
    created = provider.create(inputs(keycloak, realm))
    admin_http.call("DELETE", f"/{realm}/identity-provider/instances/{ALIAS}")  # takes its mappers along
    assert provider.read(created.id, created.outs).id is None
    provider.delete(created.id, created.outs)
