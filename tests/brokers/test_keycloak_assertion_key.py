"""The realm's client-assertion key resource against the real Keycloak: one key per realm, shared
by its organizations, and kept when one of them is destroyed."""

from __future__ import annotations

import httpx
import pytest

from sandbox.keycloak import KeycloakServer
from ssoprov.brokers.keycloak.assertion_key import ASSERTION_KEY_NAME, _AssertionKeyProvider
from tests.brokers.conftest import AdminHttp
from tests.brokers.keycloak_realms import create_broker_realm


@pytest.mark.usefixtures("keycloak_admin_env")
def test_organizations_of_a_realm_share_one_key_and_a_destroy_keeps_it(
    keycloak: KeycloakServer, admin_http: AdminHttp
) -> None:
    realm = create_broker_realm(admin_http)
    props = {"url": keycloak.url, "realm": realm}
    provider = _AssertionKeyProvider()

    first = provider.create(dict(props))
    second = provider.create(dict(props))  # another organization of the realm
    provider.delete(first.id, first.outs or {})  # the first organization is destroyed

    assert second.id == first.id and (second.outs or {})["kid"] == (first.outs or {})["kid"]
    providers = admin_http.get(f"/{realm}/components", params={"type": "org.keycloak.keys.KeyProvider"})
    assert [p["id"] for p in providers if p["name"] == ASSERTION_KEY_NAME] == [first.id]
    published = httpx.get(f"{keycloak.url}/realms/{realm}/protocol/openid-connect/certs").json()["keys"]
    jwk = (first.outs or {})["jwk"]
    assert {"kid": jwk["kid"], "n": jwk["n"], "e": jwk["e"]} in [
        {"kid": k["kid"], "n": k.get("n"), "e": k.get("e")} for k in published
    ]
    assert provider.read(first.id, first.outs or {}).id == first.id


@pytest.mark.usefixtures("keycloak_admin_env")
def test_two_keys_made_at_once_are_folded_into_one(keycloak: KeycloakServer, admin_http: AdminHttp) -> None:
    realm = create_broker_realm(admin_http)
    realm_id = admin_http.get(f"/{realm}")["id"]
    for _ in range(2):  # what two organizations' runs racing past the "none yet" check leave
        admin_http.call(
            "POST",
            f"/{realm}/components",
            json={
                "name": ASSERTION_KEY_NAME,
                "providerId": "rsa-generated",
                "providerType": "org.keycloak.keys.KeyProvider",
                "parentId": realm_id,
                "config": {"priority": ["10000"], "algorithm": ["RS256"]},
            },
        )
    found = sorted(
        p["id"]
        for p in admin_http.get(f"/{realm}/components", params={"type": "org.keycloak.keys.KeyProvider"})
        if p["name"] == ASSERTION_KEY_NAME
    )

    created = _AssertionKeyProvider().create({"url": keycloak.url, "realm": realm})

    assert created.id == found[0]
    left = admin_http.get(f"/{realm}/components", params={"type": "org.keycloak.keys.KeyProvider"})
    assert [p["id"] for p in left if p["name"] == ASSERTION_KEY_NAME] == [found[0]]
