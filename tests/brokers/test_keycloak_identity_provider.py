"""KeycloakIdentityProvider's provider against the session's Keycloak, called in-process.

Each operation's admin API calls are recorded (`http_calls`), so the call budget of every
operation is pinned here; `test_keycloak_lifecycle` drives the same provider through the CLI.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from sandbox.keycloak import KeycloakServer
from ssoprov.brokers.keycloak.client import MASKED_SECRET
from ssoprov.brokers.keycloak.identity_provider import (
    OIDC_CONFIG_OPTIONS,
    OPTIONS,
    _KeycloakIdentityProviderProvider,
)
from ssoprov.errors import ProvisionerError
from tests.brokers.conftest import AdminHttp
from tests.brokers.keycloak_realms import CustomerIdp, create_broker_realm, create_customer_idp

TOKEN = "POST /realms/master/protocol/openid-connect/token"
ALIAS = "acme"

pytestmark = pytest.mark.usefixtures("keycloak_admin_env")


@pytest.fixture(scope="module")
def customer(keycloak: KeycloakServer, admin_http: AdminHttp) -> Iterator[CustomerIdp]:
    idp = create_customer_idp(keycloak, admin_http, {"alice": ["engineering"]})
    yield idp
    admin_http.call("DELETE", f"/{idp.realm}")


@pytest.fixture
def realm(admin_http: AdminHttp) -> Iterator[str]:
    name = create_broker_realm(admin_http)
    yield name
    admin_http.call("DELETE", f"/{name}")


def inputs(keycloak: KeycloakServer, realm: str, customer: CustomerIdp, **changes: Any) -> dict[str, Any]:
    props = {
        "url": keycloak.url,
        "realm": realm,
        "alias": ALIAS,
        "provider_id": "oidc",
        "display_name": "Acme Corp",
        "discovery_url": customer.discovery_url,
        "client_id": customer.client_id,
        "client_secret": customer.client_secret,
        "client_auth_method": "client_secret_basic",
        "sync_mode": "FORCE",
        "options": dict(OPTIONS),
        "config_options": dict(OIDC_CONFIG_OPTIONS),
    }
    return props | changes


def test_create_read_update_delete_and_their_calls(
    keycloak: KeycloakServer,
    admin_http: AdminHttp,
    customer: CustomerIdp,
    realm: str,
    http_calls: list[str],
) -> None:
    provider = _KeycloakIdentityProviderProvider()
    instances = f"/admin/realms/{realm}/identity-provider/instances"
    import_config = f"POST /admin/realms/{realm}/identity-provider/import-config"
    props = inputs(keycloak, realm, customer)

    created = provider.create(props)
    assert http_calls == [TOKEN, import_config, f"POST {instances}"]  # later calls reuse the token
    assert created.id == ALIAS
    outs = created.outs
    assert outs["endpoints"] == outs["discovered_endpoints"]
    assert (
        outs["endpoints"]["tokenUrl"]
        == f"{keycloak.url}/realms/{customer.realm}/protocol/openid-connect/token"
    )
    assert "validateSignature" not in outs["endpoints"]  # a setting of config_options, not an endpoint
    stored = admin_http.get(f"/{realm}/identity-provider/instances/{ALIAS}")
    assert stored["config"]["clientSecret"] == MASKED_SECRET
    assert stored["config"].items() >= outs["endpoints"].items()

    http_calls.clear()
    read = provider.read(ALIAS, outs)
    assert http_calls == [f"GET {instances}/{ALIAS}"]
    assert read.outs == outs  # no drift; the secret is kept from state
    assert not provider.diff(ALIAS, read.outs, props).changes

    # A new secret: an in-place update that reads the provider once and writes it once.
    rotated = inputs(keycloak, realm, customer, client_secret="rotated-secret-1f2e")
    diff = provider.diff(ALIAS, outs, rotated)
    assert (diff.changes, diff.replaces) == (True, [])
    http_calls.clear()
    outs = provider.update(ALIAS, outs, rotated).outs
    assert http_calls == [f"GET {instances}/{ALIAS}", f"PUT {instances}/{ALIAS}"]
    assert outs["client_secret"] == "rotated-secret-1f2e"

    # Another discovery document: its endpoints are imported again.
    other = create_customer_idp(keycloak, admin_http, {})
    moved = inputs(
        keycloak, realm, customer, discovery_url=other.discovery_url, client_secret="rotated-secret-1f2e"
    )
    http_calls.clear()
    outs = provider.update(ALIAS, outs, moved).outs
    assert http_calls == [f"GET {instances}/{ALIAS}", import_config, f"PUT {instances}/{ALIAS}"]
    assert outs["endpoints"]["issuer"] == f"{keycloak.url}/realms/{other.realm}"
    assert admin_http.get(f"/{realm}/identity-provider/instances/{ALIAS}")["config"]["issuer"] == (
        f"{keycloak.url}/realms/{other.realm}"
    )
    admin_http.call("DELETE", f"/{other.realm}")

    http_calls.clear()
    provider.delete(ALIAS, outs)
    assert http_calls == [f"DELETE {instances}/{ALIAS}"]
    provider.delete(ALIAS, outs)  # already gone: fine
    assert provider.read(ALIAS, outs).id is None  # gone: dropped from state


def test_refresh_reports_drift_and_update_repairs_it_keeping_the_secret(
    keycloak: KeycloakServer, admin_http: AdminHttp, customer: CustomerIdp, realm: str
) -> None:
    provider = _KeycloakIdentityProviderProvider()
    props = inputs(keycloak, realm, customer)
    outs = provider.create(props).outs
    path = f"/{realm}/identity-provider/instances/{ALIAS}"
    changed = admin_http.get(path)
    changed["config"].update(
        clientId="someone-else", jwksUrl="http://127.0.0.1:9/jwks", defaultScope="openid"
    )
    changed["trustEmail"] = False
    admin_http.call("PUT", path, json=changed)

    drifted = provider.read(ALIAS, outs).outs
    assert drifted["client_id"] == "someone-else"
    assert drifted["endpoints"]["jwksUrl"] == "http://127.0.0.1:9/jwks"
    assert drifted["discovered_endpoints"] == outs["discovered_endpoints"]
    assert drifted["options"]["trustEmail"] is False
    assert drifted["config_options"]["defaultScope"] == "openid"
    assert drifted["client_secret"] == customer.client_secret
    assert provider.diff(ALIAS, drifted, props).changes

    # Only the endpoints drifted: still an update (the recorded endpoints are applied again).
    only_endpoints = dict(outs, endpoints=drifted["endpoints"])
    assert provider.diff(ALIAS, only_endpoints, props).changes

    repaired = provider.update(ALIAS, drifted, props).outs
    assert provider.read(ALIAS, repaired).outs == repaired
    stored = admin_http.get(path)
    assert stored["config"]["jwksUrl"] == outs["endpoints"]["jwksUrl"]
    assert (stored["config"]["clientId"], stored["trustEmail"]) == (customer.client_id, True)


def test_replacement_order() -> None:
    provider = _KeycloakIdentityProviderProvider()
    olds = {"url": "http://kc", "realm": "sso", "alias": "acme", "provider_id": "oidc", "client_secret": "s"}

    renamed = provider.diff(ALIAS, olds, olds | {"alias": "acme-2"})
    assert (renamed.replaces, renamed.delete_before_replace) == (["alias"], False)  # no clash: create first
    retyped = provider.diff(ALIAS, olds, olds | {"provider_id": "microsoft"})
    assert (retyped.replaces, retyped.delete_before_replace) == (["provider_id"], True)  # same alias
    moved = provider.diff(ALIAS, olds, olds | {"realm": "other", "provider_id": "microsoft"})
    assert moved.delete_before_replace is False
    rotated = provider.diff(ALIAS, olds, olds | {"client_secret": "t"})
    assert (rotated.changes, rotated.replaces) == (True, [])


def test_create_says_how_to_fix_a_taken_alias_or_a_missing_realm(
    keycloak: KeycloakServer, customer: CustomerIdp, realm: str
) -> None:
    provider = _KeycloakIdentityProviderProvider()
    provider.create(inputs(keycloak, realm, customer))
    with pytest.raises(ProvisionerError) as taken:
        provider.create(inputs(keycloak, realm, customer))
    message = str(taken.value)
    assert f"creating identity provider {ALIAS} in realm {realm}: HTTP 409" in message
    assert "ssoprov:organization.broker.alias" in message and "Nothing was changed" in message
    assert customer.client_secret not in message

    with pytest.raises(ProvisionerError) as missing:
        provider.create(inputs(keycloak, "no-such-realm", customer))
    assert "HTTP 404" in str(missing.value)
    assert "create realm no-such-realm in Keycloak" in str(missing.value)


def test_microsoft_oauth_uses_keycloaks_microsoft_provider_without_discovery(
    keycloak: KeycloakServer, admin_http: AdminHttp, customer: CustomerIdp, realm: str, http_calls: list[str]
) -> None:
    provider = _KeycloakIdentityProviderProvider()
    props = inputs(
        keycloak,
        realm,
        customer,
        provider_id="microsoft",
        discovery_url=None,
        client_auth_method=None,
        config_options={},
    )
    outs = provider.create(props).outs
    assert http_calls == [TOKEN, f"POST /admin/realms/{realm}/identity-provider/instances"]  # no import
    stored = admin_http.get(f"/{realm}/identity-provider/instances/{ALIAS}")
    assert stored["providerId"] == "microsoft"
    assert set(stored["config"]) == {"clientId", "clientSecret", "syncMode"}
    assert outs["endpoints"] == {}
    read = provider.read(ALIAS, outs)
    assert read.outs == outs
    assert not provider.diff(ALIAS, read.outs, props).changes
