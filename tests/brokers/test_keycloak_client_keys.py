"""Realm keys and private_key_jwt identity providers, against the session's real Keycloak.

The Entra stand-in plays the customer's IdP: it trusts only the certificates registered on its
app, and reads the `x5t` header to find one, so a brokered sign-in through it shows what the
admin API cannot: which realm key Keycloak signs its client assertions with, and that it sends
the thumbprint Entra needs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sandbox.common.server import ServedApp
from sandbox.graph import GraphStandIn, build_graph_standin
from sandbox.graph.key_credentials import key_credentials
from sandbox.graph.seed import CONTOSO
from sandbox.keycloak import KeycloakServer
from ssoprov.brokers.keycloak.client import KeycloakAdminClient
from ssoprov.verify_login import verify_login
from tests.brokers.conftest import AdminHttp
from tests.brokers.keycloak_realms import create_broker_realm

ALIAS = "contoso-entra"
TOP_PRIORITY = "50000"
PROFILE = ("email", "given_name", "family_name")


def run(keycloak: KeycloakServer, body: Any) -> Any:
    async def main() -> Any:
        async with KeycloakAdminClient(
            keycloak.url, username=keycloak.admin_username, password=keycloak.admin_password
        ) as client:
            return await body(client)

    return asyncio.run(main())


@pytest.fixture
def entra() -> Iterator[tuple[GraphStandIn, str]]:
    stand_in = build_graph_standin()
    with ServedApp(stand_in.app) as served:
        yield stand_in, served.url


def entra_app(stand_in: GraphStandIn, redirect_uri: str, certificates: list[str]) -> str:
    """An app assigned to Engineering that trusts `certificates` (base64 DER); its client id."""
    store = stand_in.store
    app = store.create_application(
        {
            "displayName": "Acme SSO",
            "signInAudience": "AzureADMyOrg",
            "web": {"redirectUris": [redirect_uri]},
            "optionalClaims": {"idToken": [{"name": c, "essential": False} for c in PROFILE]},
        }
    )
    entries = [{"type": "AsymmetricX509Cert", "usage": "Verify", "key": cert} for cert in certificates]
    store.update_application(app["id"], {"keyCredentials": key_credentials(entries)})
    principal = store.create_service_principal({"appId": app["appId"], "appRoleAssignmentRequired": True})
    store.create_assignment(
        principal["id"],
        {
            "principalId": CONTOSO.group("Engineering").id,
            "resourceId": principal["id"],
            "appRoleId": "00000000-0000-0000-0000-000000000000",
        },
    )
    return app["appId"]


def idp_representation(entra_url: str, client_id: str, config: dict[str, str]) -> dict[str, Any]:
    discovery = httpx.get(f"{entra_url}/{CONTOSO.tenant_id}/v2.0/.well-known/openid-configuration").json()
    return {
        "alias": ALIAS,
        "providerId": "oidc",
        "enabled": True,
        "config": {
            "clientId": client_id,
            "authorizationUrl": discovery["authorization_endpoint"],
            "tokenUrl": discovery["token_endpoint"],
            "issuer": discovery["issuer"],
            "jwksUrl": discovery["jwks_uri"],
            "useJwksUrl": "true",
            "validateSignature": "true",
            "defaultScope": "openid profile email",
            "syncMode": "FORCE",
            **config,
        },
    }


KEY_JWT = {
    "clientAuthMethod": "private_key_jwt",
    "clientAssertionSigningAlg": "RS256",
    "jwtX509HeadersEnabled": "true",
}


def add_key(keycloak: KeycloakServer, realm: str, name: str, priority: str) -> dict[str, Any]:
    """A new rsa-generated RS256 key provider; the realm's view of its key."""

    async def body(client: KeycloakAdminClient) -> dict[str, Any]:
        component = await client.create_key_provider(
            realm, name, "rsa-generated", {"priority": priority, "algorithm": "RS256", "keySize": "2048"}
        )
        [key] = [k for k in await client.realm_keys(realm) if k.get("providerId") == component]
        return key

    return run(keycloak, body)


def sign_in(keycloak: KeycloakServer, realm: str) -> Any:
    return verify_login(
        keycloak.url, realm, ALIAS, login="alice@contoso.example", password="sandbox-password"
    )


def test_a_private_key_jwt_provider_signs_in_with_the_realm_s_top_key_and_its_x5t(
    keycloak: KeycloakServer, admin_http: AdminHttp, entra: tuple[GraphStandIn, str]
) -> None:
    stand_in, entra_url = entra
    realm = create_broker_realm(admin_http)
    key = add_key(keycloak, realm, "ssoprov-client-assertion", TOP_PRIORITY)
    assert key["status"] == "ACTIVE" and key["algorithm"] == "RS256" and key["certificate"]
    redirect = f"{keycloak.url}/realms/{realm}/broker/{ALIAS}/endpoint"
    client_id = entra_app(stand_in, redirect, [key["certificate"]])
    run(
        keycloak,
        lambda c: c.create_identity_provider(realm, idp_representation(entra_url, client_id, KEY_JWT)),
    )

    trusted = sign_in(keycloak, realm)

    assert trusted.signed_in, trusted.detail
    # A key above it, which the IdP does not trust, takes over the signing: sign-in fails.
    usurper = add_key(keycloak, realm, "untrusted", str(int(TOP_PRIORITY) + 1))
    assert not sign_in(keycloak, realm).signed_in
    # Disabled, it leaves the realm's published keys, and ours signs again.
    run(keycloak, lambda c: c.update_key_provider(realm, usurper["providerId"], {"enabled": "false"}))
    published = httpx.get(f"{keycloak.url}/realms/{realm}/protocol/openid-connect/certs").json()["keys"]
    assert usurper["kid"] not in {k["kid"] for k in published} and key["kid"] in {k["kid"] for k in published}
    assert sign_in(keycloak, realm).signed_in


def test_switching_a_provider_from_secret_to_key_erases_the_stored_secret(
    keycloak: KeycloakServer, admin_http: AdminHttp, entra: tuple[GraphStandIn, str]
) -> None:
    stand_in, entra_url = entra
    realm = create_broker_realm(admin_http)
    key = add_key(keycloak, realm, "ssoprov-client-assertion", TOP_PRIORITY)
    redirect = f"{keycloak.url}/realms/{realm}/broker/{ALIAS}/endpoint"
    client_id = entra_app(stand_in, redirect, [key["certificate"]])
    secret = stand_in.store.add_password(
        stand_in.store.application_object_id(client_id),
        {"displayName": "old", "endDateTime": "2099-01-01T00:00:00Z"},
    )["secretText"]
    with_secret = {"clientAuthMethod": "client_secret_post", "clientSecret": secret}
    run(
        keycloak,
        lambda c: c.create_identity_provider(realm, idp_representation(entra_url, client_id, with_secret)),
    )
    assert sign_in(keycloak, realm).signed_in

    async def switch(client: KeycloakAdminClient) -> dict[str, Any]:
        current = await client.get_identity_provider(realm, ALIAS)
        current["config"].update(KEY_JWT)
        await client.update_identity_provider(realm, ALIAS, current)
        return await client.get_identity_provider(realm, ALIAS)

    switched = run(keycloak, switch)

    assert "clientSecret" not in switched["config"], "Keycloak still holds the client secret"
    assert switched["config"]["clientAuthMethod"] == "private_key_jwt"
    assert sign_in(keycloak, realm).signed_in
