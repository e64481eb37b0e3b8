"""Okta's sign-in side for the stand-in org: the org authorization server and its claim rules.

ID tokens carry what the provisioned app makes the real org send:
- `email` with the email scope, `name`, `preferred_username`, `given_name`, `family_name`
  with the profile scope;
- the legacy groups claim as configured on the app (its name and its filter: REGEX must match
  the whole group name and is case-sensitive; STARTS_WITH, EQUALS, CONTAINS ignore case, as
  Okta's OpenAPI documents groupFilterType), over all the user's groups;
- sign-in refused (access_denied) for a user in no group assigned to the app, and for an app
  that is not ACTIVE;
- the token endpoint takes the app's client only by the method it is registered with
  (`token_endpoint_auth_method`): client_secret_post for a client_secret_basic app, or the
  reverse, is refused with invalid_client;
- a `private_key_jwt` app authenticates with a client assertion signed by one of its ACTIVE client
  JWKs (`/credentials/jwks`), chosen by the header's `kid`; a refusal is invalid_client, described
  in words modelled on Okta's (its exact wording for each case is not published).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from starlette.requests import Request
from starlette.responses import Response

from sandbox.common.client_assertion import AssertionRefused, Refusal
from sandbox.common.oidc_issuer import SANDBOX_USER_PASSWORD, IssuerPaths, OidcIssuer, SignInRefused
from sandbox.okta.edge import AUTHORIZE_PATH, KEYS_PATH, TOKEN_PATH
from sandbox.okta.errors import OktaError
from sandbox.okta.store import App, GroupsClaim, OktaStore

ORG_AUTHORIZATION_SERVER = IssuerPaths(issuer="", authorize=AUTHORIZE_PATH, token=TOKEN_PATH, jwks=KEYS_PATH)


def group_passes(claim: GroupsClaim, group_name: str) -> bool:
    return filter_passes(claim.group_filter_type, claim.value, group_name)


def filter_passes(filter_type: str, value: str, group_name: str) -> bool:
    """Okta's group filters (the OIDC groups claim and the SAML GROUP attribute statement)."""
    match filter_type:
        case "REGEX":
            return re.fullmatch(value, group_name) is not None
        case "STARTS_WITH":
            return group_name.lower().startswith(value.lower())
        case "EQUALS":
            return group_name.lower() == value.lower()
        case "CONTAINS":
            return value.lower() in group_name.lower()
    return False


def assigned(store: OktaStore, app_id: str, user_id: str) -> bool:
    """Whether the user is in a group assigned to the app (the stand-in assigns by group only)."""
    groups = {assignment.group_id for assignment in store.app_assignments(app_id)}
    return bool(groups & {group.id for group in store.user_groups(user_id)})


class OktaSignIn:
    """The SignInPolicy of one stand-in org."""

    def __init__(self, store: OktaStore) -> None:
        self._store = store

    def _app(self, client_id: str) -> App | None:
        return next((app for app in self._store.oidc_apps() if app.client_id == client_id), None)

    def redirect_uris(self, client_id: str) -> list[str] | None:
        app = self._app(client_id)
        return None if app is None else list(app.oauth_settings.get("redirect_uris") or [])

    def check_client_secret(self, client_id: str, secret: str) -> bool:
        app = self._app(client_id)
        return app is not None and any(
            s.status == "ACTIVE" and s.value == secret for s in self._store.secrets(app.id)
        )

    def token_endpoint_auth_methods(self, client_id: str) -> list[str]:
        """Only the method the app is registered with (`token_endpoint_auth_method`)."""
        app = self._app(client_id)
        return [] if app is None else [app.token_endpoint_auth_method]

    def assertion_keys(self, client_id: str, header: dict[str, Any]) -> Sequence[PublicKeyTypes]:
        """The app's ACTIVE keys with the header's `kid` (all ACTIVE ones when it names none)."""
        app = self._app(client_id)
        if app is None:
            return []
        kid = header.get("kid")
        return [
            key.public_key()
            for key in self._store.jwks(app.id)
            if key.status == "ACTIVE" and (kid is None or key.kid == kid)
        ]

    def assertion_refusal(self, refused: AssertionRefused) -> str:
        return OKTA_ASSERTION_ERRORS[refused.reason]

    def authenticate(self, login: str, password: str) -> str | None:
        if password != SANDBOX_USER_PASSWORD:
            return None
        try:
            return self._store.find_user(login).id
        except OktaError:
            return None

    def id_token_claims(self, client_id: str, user_id: str, scopes: list[str]) -> dict[str, Any]:
        app = self._app(client_id)
        if app is None or app.status != "ACTIVE":
            raise SignInRefused("access_denied", "The client application is not active.")
        user = self._store.find_user(user_id)
        groups = self._store.user_groups(user.id)
        if not assigned(self._store, app.id, user.id):
            raise SignInRefused("access_denied", "User is not assigned to the client application.")
        claims: dict[str, Any] = {"sub": user.id, "idp": app.id}
        if "profile" in scopes:
            claims |= {
                "name": f"{user.first_name} {user.last_name}",
                "preferred_username": user.login,
                "given_name": user.first_name,
                "family_name": user.last_name,
            }
        if "email" in scopes:
            claims |= {"email": user.email, "email_verified": True}
        claim = self._store.groups_claim(app.id)
        if claim is not None:
            claims[claim.name] = sorted(group.name for group in groups if group_passes(claim, group.name))
        return claims


OKTA_ASSERTION_ERRORS = {
    Refusal.UNKNOWN_KEY: "The client_assertion signature is invalid.",
    Refusal.BAD_SIGNATURE: "The client_assertion signature is invalid.",
    Refusal.OUT_OF_TIME: "The client_assertion token is expired.",
    Refusal.WRONG_CLIENT: "The issuer (iss) and subject (sub) of the client_assertion must be the client_id.",
    Refusal.WRONG_AUDIENCE: "The audience (aud) claim of the client_assertion is invalid.",
    Refusal.MALFORMED: "The client_assertion token is malformed.",
    Refusal.REPLAYED: "The client_assertion token has already been used.",
}


def okta_sign_in(store: OktaStore, other_grants: Callable[[Request], Awaitable[Response]]) -> OidcIssuer:
    """The org authorization server; `other_grants` answers the service apps' client_credentials."""
    return OidcIssuer(OktaSignIn(store), ORG_AUTHORIZATION_SERVER, other_grants=other_grants)
