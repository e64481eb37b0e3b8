"""Realms in the session's Keycloak for the broker tests: the customer's IdP and the broker realm.

A second realm plays the customer's identity provider (a generic OIDC provider): a confidential
client whose redirect URI is the broker's callback, users in groups, and a "groups" claim that
carries group names without their path. The broker realm holds the identity provider under
test and the public client `ssoprov.verify_login` signs in with; it records admin events, so
a test can count the writes a `pulumi` run made.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from sandbox.keycloak import KeycloakServer
from ssoprov.verify_login import VERIFY_CLIENT_ID, VERIFY_REDIRECT_URI, LoginReport, verify_login
from tests.brokers.conftest import AdminHttp


@dataclass
class CustomerIdp:
    """The customer's OIDC provider, played by a realm of the same Keycloak."""

    admin: AdminHttp
    realm: str
    client_id: str
    client_uuid: str
    client_secret: str
    discovery_url: str
    passwords: dict[str, str] = field(default_factory=dict)
    """username -> password of the realm's users."""

    def allow_redirect(self, redirect_uri: str) -> None:
        """Let the client accept exactly `redirect_uri`, as the customer's IT team would."""
        self._update_client(redirectUris=[redirect_uri])

    def set_client_secret(self, secret: str) -> None:
        """The customer rotates the client secret; the old one stops working at once."""
        self._update_client(secret=secret)
        self.client_secret = secret

    def _update_client(self, **changes: Any) -> None:
        path = f"/{self.realm}/clients/{self.client_uuid}"
        client = self.admin.get(path)
        client.update(changes)
        self.admin.call("PUT", path, json=client)


def create_customer_idp(
    keycloak: KeycloakServer, admin: AdminHttp, members: dict[str, list[str]]
) -> CustomerIdp:
    """A realm with one user per `members` key, in the groups listed (created as needed)."""
    realm = f"customer-{secrets.token_hex(3)}"
    admin.call("POST", "", json={"realm": realm, "enabled": True})
    group_ids: dict[str, str] = {}
    passwords: dict[str, str] = {}
    for username, groups in members.items():
        password = secrets.token_urlsafe(12)
        user_id = add_user(admin, realm, username, f"{username}@customer.example", password)
        passwords[username] = password
        for group in groups:
            if group not in group_ids:
                group_ids[group] = _created_id(admin.call("POST", f"/{realm}/groups", json={"name": group}))
            admin.call("PUT", f"/{realm}/users/{user_id}/groups/{group_ids[group]}")
    client_secret = secrets.token_urlsafe(24)
    client = admin.call(
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
    return CustomerIdp(
        admin=admin,
        realm=realm,
        client_id="acme-sso",
        client_uuid=_created_id(client),
        client_secret=client_secret,
        discovery_url=f"{keycloak.url}/realms/{realm}/.well-known/openid-configuration",
        passwords=passwords,
    )


def add_user(admin: AdminHttp, realm: str, username: str, email: str, password: str) -> str:
    """A local user of `realm` who signs in with `password` (a verified email, a full name); its id."""
    user = admin.call(
        "POST",
        f"/{realm}/users",
        json={
            "username": username,
            "email": email,
            "firstName": username.title(),
            "lastName": "Example",
            "emailVerified": True,
            "enabled": True,
            "credentials": [{"type": "password", "value": password, "temporary": False}],
        },
    )
    return _created_id(user)


def create_broker_realm(admin: AdminHttp) -> str:
    """A realm with verify_login's public client (as `prepare_realm` makes it), recording admin events."""
    realm = f"sso-{secrets.token_hex(3)}"
    admin.call("POST", "", json={"realm": realm, "enabled": True})
    admin.call(
        "POST",
        f"/{realm}/clients",
        json={
            "clientId": VERIFY_CLIENT_ID,
            "publicClient": True,
            "standardFlowEnabled": True,
            "redirectUris": [VERIFY_REDIRECT_URI],
        },
    )
    events = admin.get(f"/{realm}/events/config")
    admin.call("PUT", f"/{realm}/events/config", json={**events, "adminEventsEnabled": True})
    return realm


def admin_writes(admin: AdminHttp, realm: str, since_ms: int) -> list[tuple[str, str]]:
    """(operation, resource type) of the admin writes in `realm` since `since_ms`, in order."""
    events = admin.get(f"/{realm}/admin-events", params={"first": 0, "max": 1000})
    recent = sorted((event for event in events if event["time"] >= since_ms), key=lambda event: event["time"])
    return [(event["operationType"], event["resourceType"]) for event in recent]


def now_ms() -> int:
    """Keycloak's clock in ms (same machine); events at this instant or later count as after."""
    return int(time.time() * 1000)


def login(
    keycloak: KeycloakServer, customer: CustomerIdp, realm: str, alias: str, username: str
) -> LoginReport:
    """`username` signs in to the broker realm through identity provider `alias`.

    It gets there only if Keycloak redeemed the customer's code with the right client secret,
    which is how the tests check what Keycloak never shows: the secret it keeps.
    """
    return verify_login(keycloak.url, realm, alias, login=username, password=customer.passwords[username])


def realm_roles(admin: AdminHttp, realm: str, username: str) -> set[str]:
    """The realm roles the brokered user `username` holds in `realm`."""
    [user] = admin.get(f"/{realm}/users", params={"username": username, "exact": "true"})
    return {role["name"] for role in admin.get(f"/{realm}/users/{user['id']}/role-mappings/realm")}


def _created_id(response: Any) -> str:
    return response.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
