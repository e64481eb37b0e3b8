"""KeycloakAdminClient against the session's real Keycloak.

An "upstream" realm in the same server plays the customer's IdP (a confidential client
with a known secret, a user in a group, a groups claim); the broker realm under test gets
an OIDC identity provider pointing at it. Brokered logins then show what the admin API
hides: whether the stored client secret is right, and whether the mappers grant roles.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import httpx
import jwt
import pytest

from sandbox.keycloak import KeycloakServer
from ssoprov.brokers.keycloak import client as client_module
from ssoprov.brokers.keycloak.client import MASKED_SECRET, AdminTokenStore, KeycloakAdminClient
from ssoprov.errors import ApiError, NotFoundError
from ssoprov.verify_login import VERIFY_CLIENT_ID, VERIFY_REDIRECT_URI, LoginReport, verify_login
from tests.brokers.conftest import AdminHttp
from tests.brokers.keycloak_realms import add_user

T = TypeVar("T")


@dataclass(frozen=True)
class Upstream:
    realm: str
    client_id: str
    client_secret: str
    client_uuid: str
    username: str
    password: str
    discovery: dict[str, Any]
    discovery_url: str


def run(keycloak: KeycloakServer, body: Callable[[KeycloakAdminClient], Awaitable[T]]) -> T:
    """Run `body` with a client logged in as the server's admin, in a fresh event loop."""

    async def main() -> T:
        async with KeycloakAdminClient(
            keycloak.url, username=keycloak.admin_username, password=keycloak.admin_password
        ) as client:
            return await body(client)

    return asyncio.run(main())


@pytest.fixture(scope="module")
def upstream(keycloak: KeycloakServer, admin_http: AdminHttp) -> Iterator[Upstream]:
    realm = f"upstream-{secrets.token_hex(3)}"
    admin_http.call("POST", "", json={"realm": realm, "enabled": True})
    group = admin_http.call("POST", f"/{realm}/groups", json={"name": "engineering"})
    group_id = group.headers["Location"].rsplit("/", 1)[-1]
    password = secrets.token_urlsafe(12)
    user_id = add_user(admin_http, realm, "alice", "alice@acme.example", password)
    admin_http.call("PUT", f"/{realm}/users/{user_id}/groups/{group_id}")
    client_secret = secrets.token_urlsafe(24)
    client = admin_http.call(
        "POST",
        f"/{realm}/clients",
        json={
            "clientId": "acme-sso",
            "secret": client_secret,
            "publicClient": False,
            "standardFlowEnabled": True,
            "redirectUris": [],
            "protocolMappers": [
                {
                    "name": "groups",
                    "protocol": "openid-connect",
                    "protocolMapper": "oidc-group-membership-mapper",
                    "config": {
                        "claim.name": "groups",
                        "full.path": "false",
                        "id.token.claim": "true",
                        "access.token.claim": "true",
                        "userinfo.token.claim": "true",
                    },
                }
            ],
        },
    )
    discovery_url = f"{keycloak.url}/realms/{realm}/.well-known/openid-configuration"
    yield Upstream(
        realm=realm,
        client_id="acme-sso",
        client_secret=client_secret,
        client_uuid=client.headers["Location"].rsplit("/", 1)[-1],
        username="alice",
        password=password,
        discovery=httpx.get(discovery_url).json(),
        discovery_url=discovery_url,
    )
    admin_http.call("DELETE", f"/{realm}")


@pytest.fixture
def sso_realm(admin_http: AdminHttp) -> Iterator[str]:
    """A fresh broker realm with verify_login's public client (as `prepare_realm` makes it)."""
    realm = f"sso-{secrets.token_hex(3)}"
    admin_http.call("POST", "", json={"realm": realm, "enabled": True})
    admin_http.call(
        "POST",
        f"/{realm}/clients",
        json={
            "clientId": VERIFY_CLIENT_ID,
            "publicClient": True,
            "standardFlowEnabled": True,
            "redirectUris": [VERIFY_REDIRECT_URI],
        },
    )
    yield realm
    admin_http.call("DELETE", f"/{realm}")


def oidc_provider(upstream: Upstream, alias: str, *, secret: str | None) -> dict[str, Any]:
    config = {
        "clientId": upstream.client_id,
        "authorizationUrl": upstream.discovery["authorization_endpoint"],
        "tokenUrl": upstream.discovery["token_endpoint"],
        "userInfoUrl": upstream.discovery["userinfo_endpoint"],
        "issuer": upstream.discovery["issuer"],
        "jwksUrl": upstream.discovery["jwks_uri"],
        "useJwksUrl": "true",
        "validateSignature": "true",
        "clientAuthMethod": "client_secret_post",
        "defaultScope": "openid profile email",
        "syncMode": "FORCE",
        "pkceEnabled": "false",
    }
    if secret is not None:
        config["clientSecret"] = secret
    return {
        "alias": alias,
        "displayName": "Acme (Entra ID)",
        "providerId": "oidc",
        "enabled": True,
        "trustEmail": True,
        "config": config,
    }


def allow_callback(admin_http: AdminHttp, upstream: Upstream, redirect_uri: str) -> None:
    """Make the upstream client accept exactly `redirect_uri`, as the customer's IdP app would."""
    path = f"/{upstream.realm}/clients/{upstream.client_uuid}"
    client = admin_http.get(path)
    client["redirectUris"] = [redirect_uri]
    admin_http.call("PUT", path, json=client)


def session(access_token: str) -> str:
    """The Keycloak session an access token belongs to: kept by a refresh, new with each login."""
    return jwt.decode(access_token, options={"verify_signature": False})["sid"]


def login(keycloak: KeycloakServer, upstream: Upstream, realm: str, alias: str) -> LoginReport:
    return verify_login(keycloak.url, realm, alias, login=upstream.username, password=upstream.password)


def test_ensure_realm_creates_it_once(keycloak: KeycloakServer, admin_http: AdminHttp) -> None:
    realm = f"sso-{secrets.token_hex(3)}"

    async def body(client: KeycloakAdminClient) -> tuple[bool, bool]:
        first = await client.ensure_realm(realm, display_name="Acme SSO")
        second = await client.ensure_realm(realm)
        return first, second

    assert run(keycloak, body) == (True, False)
    assert admin_http.get(f"/{realm}")["displayName"] == "Acme SSO"
    run(keycloak, lambda client: client.delete_realm(realm))
    with pytest.raises(NotFoundError):
        run(keycloak, lambda client: client.delete_realm(realm))


def test_identity_provider_keeps_its_secret_through_updates(
    keycloak: KeycloakServer, admin_http: AdminHttp, upstream: Upstream, sso_realm: str, caplog: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    alias = "acme-entra"

    async def create_and_read(client: KeycloakAdminClient) -> dict[str, Any]:
        allow_callback(admin_http, upstream, client.broker_redirect_uri(sso_realm, alias))
        await client.create_identity_provider(
            sso_realm, oidc_provider(upstream, alias, secret=upstream.client_secret)
        )
        return await client.get_identity_provider(sso_realm, alias)

    stored = run(keycloak, create_and_read)
    assert stored["alias"] == alias and stored["providerId"] == "oidc"
    assert stored["config"]["clientSecret"] == MASKED_SECRET
    assert stored["config"]["tokenUrl"] == upstream.discovery["token_endpoint"]
    # The login reaches the app only if Keycloak redeemed the upstream code with the right secret,
    # and only if the upstream client allowed broker_redirect_uri: so that URI is the real callback.
    first = login(keycloak, upstream, sso_realm, alias)
    assert first.signed_in, first.detail

    # An update carrying the masked GET representation keeps the stored secret.
    stored["displayName"] = "Acme, renamed"
    run(keycloak, lambda client: client.update_identity_provider(sso_realm, alias, stored))
    assert run(keycloak, lambda client: client.get_identity_provider(sso_realm, alias))["displayName"] == (
        "Acme, renamed"
    )
    assert login(keycloak, upstream, sso_realm, alias).signed_in

    # Control: a wrong secret makes the same login fail, so the check above does test the secret.
    wrong = oidc_provider(upstream, alias, secret="not-the-secret")
    run(keycloak, lambda client: client.update_identity_provider(sso_realm, alias, wrong))
    failed = login(keycloak, upstream, sso_realm, alias)
    assert not failed.signed_in, failed.detail

    # A new secret is stored; an update without any secret (absent key) then keeps it.
    right = oidc_provider(upstream, alias, secret=upstream.client_secret)
    run(keycloak, lambda client: client.update_identity_provider(sso_realm, alias, right))
    assert login(keycloak, upstream, sso_realm, alias).signed_in
    without = oidc_provider(upstream, alias, secret=None)
    run(keycloak, lambda client: client.update_identity_provider(sso_realm, alias, without))
    assert login(keycloak, upstream, sso_realm, alias).signed_in

    # Why the client never sends an update without the mask: Keycloak's PUT replaces the
    # config, and a raw PUT without clientSecret erases the stored secret.
    path = f"/{sso_realm}/identity-provider/instances/{alias}"
    admin_http.call("PUT", path, json=without)
    assert "clientSecret" not in admin_http.get(path)["config"]
    assert not login(keycloak, upstream, sso_realm, alias).signed_in

    run(keycloak, lambda client: client.delete_identity_provider(sso_realm, alias))
    with pytest.raises(NotFoundError) as gone:
        run(keycloak, lambda client: client.get_identity_provider(sso_realm, alias))
    assert f"reading identity provider {alias} in realm {sso_realm}: HTTP 404" in str(gone.value)

    assert upstream.client_secret not in caplog.text
    assert keycloak.admin_password not in caplog.text


def test_mappers_grant_roles_from_the_groups_claim(
    keycloak: KeycloakServer, admin_http: AdminHttp, upstream: Upstream, sso_realm: str
) -> None:
    alias = "acme-okta"

    async def arrange(client: KeycloakAdminClient) -> list[dict[str, Any]]:
        allow_callback(admin_http, upstream, client.broker_redirect_uri(sso_realm, alias))
        await client.create_identity_provider(
            sso_realm, oidc_provider(upstream, alias, secret=upstream.client_secret)
        )
        await client.ensure_realm_role(sso_realm, "engineer")
        await client.ensure_realm_role(sso_realm, "member")
        await client.ensure_realm_role(sso_realm, "finance")
        await client.create_mapper(
            sso_realm,
            alias,
            {
                "name": "engineering -> engineer",
                "identityProviderMapper": "oidc-role-idp-mapper",
                "config": {
                    "claim": "groups",
                    "claim.value": "engineering",
                    "role": "engineer",
                    "syncMode": "INHERIT",
                },
            },
        )
        finance_id = await client.create_mapper(
            sso_realm,
            alias,
            {
                "name": "finance -> finance",
                "identityProviderMapper": "oidc-role-idp-mapper",
                "config": {
                    "claim": "groups",
                    "claim.value": "finance",
                    "role": "finance",
                    "syncMode": "INHERIT",
                },
            },
        )
        await client.create_mapper(
            sso_realm,
            alias,
            {
                "name": "everyone -> member",
                "identityProviderMapper": "oidc-hardcoded-role-idp-mapper",
                "config": {"role": "member", "syncMode": "INHERIT"},
            },
        )
        mapper = await client.get_mapper(sso_realm, alias, finance_id)
        assert mapper["identityProviderAlias"] == alias
        mapper["name"] = "finance -> finance (renamed)"
        await client.update_mapper(sso_realm, alias, finance_id, mapper)
        return await client.list_mappers(sso_realm, alias)

    mappers = run(keycloak, arrange)
    by_name = {mapper["name"]: mapper for mapper in mappers}
    assert set(by_name) == {"engineering -> engineer", "finance -> finance (renamed)", "everyone -> member"}
    assert by_name["engineering -> engineer"]["identityProviderMapper"] == "oidc-role-idp-mapper"
    assert by_name["engineering -> engineer"]["config"]["claim.value"] == "engineering"
    assert by_name["everyone -> member"]["identityProviderMapper"] == "oidc-hardcoded-role-idp-mapper"

    outcome = login(keycloak, upstream, sso_realm, alias)
    assert outcome.signed_in, outcome.detail
    [user] = admin_http.get(f"/{sso_realm}/users", params={"username": upstream.username, "exact": "true"})
    roles = {role["name"] for role in admin_http.get(f"/{sso_realm}/users/{user['id']}/role-mappings/realm")}
    assert {"engineer", "member"} <= roles  # alice is in engineering upstream
    assert "finance" not in roles

    async def delete_all(client: KeycloakAdminClient) -> list[dict[str, Any]]:
        for mapper in mappers:
            await client.delete_mapper(sso_realm, alias, mapper["id"])
        return await client.list_mappers(sso_realm, alias)

    assert run(keycloak, delete_all) == []
    with pytest.raises(NotFoundError):
        run(keycloak, lambda client: client.delete_mapper(sso_realm, alias, mappers[0]["id"]))


def test_import_config_reads_a_discovery_document(
    keycloak: KeycloakServer, upstream: Upstream, sso_realm: str
) -> None:
    config = run(keycloak, lambda client: client.import_config(sso_realm, upstream.discovery_url))
    assert config["authorizationUrl"] == upstream.discovery["authorization_endpoint"]
    assert config["tokenUrl"] == upstream.discovery["token_endpoint"]
    assert config["jwksUrl"] == upstream.discovery["jwks_uri"]
    assert config["issuer"] == upstream.discovery["issuer"]
    assert run(keycloak, lambda client: client.list_identity_providers(sso_realm)) == []  # created nothing


def test_listing_identity_providers_follows_keycloaks_pages(
    keycloak: KeycloakServer, admin_http: AdminHttp, sso_realm: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    aliases = [f"org-{n}" for n in range(5)]
    for alias in aliases:
        config = {"clientId": alias, "clientSecret": "unused", "authorizationUrl": "https://idp.example/a"}
        config["tokenUrl"] = "https://idp.example/t"
        admin_http.call(
            "POST",
            f"/{sso_realm}/identity-provider/instances",
            json={"alias": alias, "providerId": "oidc", "config": config},
        )
    monkeypatch.setattr(client_module, "IDP_PAGE_SIZE", 2)  # Keycloak's own default is 100
    listed = run(keycloak, lambda client: client.list_identity_providers(sso_realm))
    assert sorted(provider["alias"] for provider in listed) == aliases


def test_roles_are_ensured_once(keycloak: KeycloakServer, sso_realm: str) -> None:
    async def body(client: KeycloakAdminClient) -> None:
        first = await client.ensure_realm_role(sso_realm, "auditor", description="Reads audit logs")
        again = await client.ensure_realm_role(sso_realm, "auditor")
        assert first["id"] == again["id"] and again["description"] == "Reads audit logs"
        assert "auditor" in {role["name"] for role in await client.list_realm_roles(sso_realm)}
        viewer = await client.ensure_client_role(sso_realm, VERIFY_CLIENT_ID, "viewer")
        assert viewer["clientRole"] is True
        assert (await client.ensure_client_role(sso_realm, VERIFY_CLIENT_ID, "viewer"))["id"] == viewer["id"]
        with pytest.raises(NotFoundError, match=f"finding client no-such-app in realm {sso_realm}"):
            await client.ensure_client_role(sso_realm, "no-such-app", "viewer")

    run(keycloak, body)


def test_errors_say_what_was_done_to_what(
    keycloak: KeycloakServer, upstream: Upstream, sso_realm: str
) -> None:
    provider = oidc_provider(upstream, "dup", secret=upstream.client_secret)

    async def body(client: KeycloakAdminClient) -> None:
        await client.create_identity_provider(sso_realm, provider)
        with pytest.raises(ApiError) as duplicate:
            await client.create_identity_provider(sso_realm, provider)
        assert duplicate.value.status == 409
        assert f"creating identity provider dup in realm {sso_realm}: HTTP 409" in str(duplicate.value)
        assert upstream.client_secret not in str(duplicate.value)
        with pytest.raises(ValueError, match="alias cannot be changed"):
            await client.update_identity_provider(sso_realm, "other", provider)
        with pytest.raises(ValueError, match="creating needs the real secret"):
            await client.create_identity_provider(
                sso_realm, oidc_provider(upstream, "m", secret=MASKED_SECRET)
            )
        with pytest.raises(
            NotFoundError, match="listing identity providers in realm no-such-realm: HTTP 404"
        ):
            await client.list_identity_providers("no-such-realm")

    run(keycloak, body)


def test_admin_tokens_are_shared_refreshed_and_renewed(
    keycloak: KeycloakServer,
    sso_realm: str,
    admin_tokens: AdminTokenStore,
    http_calls: list[str],
    caplog: Any,
) -> None:
    """Clients in separate event loops, as Pulumi provider calls are, with one admin token."""
    caplog.set_level(logging.DEBUG)
    token_request = "POST /realms/master/protocol/openid-connect/token"
    roles = f"GET /admin/realms/{sso_realm}/roles"

    def list_roles(client: KeycloakAdminClient) -> Awaitable[list[dict[str, Any]]]:
        return client.list_realm_roles(sso_realm)

    run(keycloak, list_roles)
    run(keycloak, list_roles)
    assert http_calls == [token_request, roles, roles]  # two clients, one grant
    [(sign_in, first)] = admin_tokens._tokens.items()

    admin_tokens.put(sign_in, replace(first, access_expires_at=0.0))  # expired: refreshed
    run(keycloak, list_roles)
    refreshed = admin_tokens.get(sign_in)
    assert refreshed is not None and refreshed.access != first.access
    assert session(refreshed.access) == session(first.access)  # a refresh, not a new login

    # Looks valid here, refused by Keycloak: one new login, which the next client uses too.
    admin_tokens.put(sign_in, replace(refreshed, access="revoked-or-garbage"))
    http_calls.clear()
    run(keycloak, list_roles)
    run(keycloak, list_roles)
    assert http_calls == [roles, token_request, roles, roles]
    renewed = admin_tokens.get(sign_in)
    assert renewed is not None and session(renewed.access) != session(first.access)

    for token in (first, refreshed, renewed):
        assert token.access not in caplog.text
        assert token.refresh and token.refresh not in caplog.text

    async def wrong_password() -> None:
        async with KeycloakAdminClient(
            keycloak.url, username=keycloak.admin_username, password="wrong-pw"
        ) as client:
            await client.list_realm_roles(sso_realm)

    with pytest.raises(ApiError) as denied:  # the admin's token is not another password's
        asyncio.run(wrong_password())
    assert (denied.value.status, denied.value.code) == (400, "invalid_grant")  # Keycloak's answer
    assert f"getting an admin token for user {keycloak.admin_username} in realm master" in str(denied.value)
    assert "wrong-pw" not in str(denied.value)
