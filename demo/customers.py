"""What the demo needs besides the stack files: sign-in checks per organization, and the
generic-OIDC customer's own IdP app (its IT team would have made it; here the Okta stand-in
plays that IdP)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sandbox.environment import LocalSandbox
from sandbox.okta.store import GroupsClaim


@dataclass(frozen=True)
class SignInCheck:
    login: str
    groups: str
    """The user's groups at the IdP, for the table."""
    roles: tuple[str, ...] | None
    """The broker roles the user must receive; None: the sign-in must be refused."""


SIGN_INS: dict[str, list[SignInCheck]] = {
    "acme-entra": [
        SignInCheck("alice@contoso.example", "Engineering, Admins", ("developer", "admin")),
        SignInCheck("frank@contoso.example", "Sales (assigned as a user)", ("member",)),
        SignInCheck("erin@contoso.example", "Sales (not assigned)", None),
    ],
    "globex-okta": [
        SignInCheck("alice@acme.example", "Engineering, Admins", ("developer", "admin")),
        SignInCheck("carol@acme.example", "Sales", ("member",)),
        SignInCheck("dave@acme.example", "Engineering-Contractors (not assigned)", None),
    ],
    "initech-oidc": [
        SignInCheck("bob@acme.example", "Engineering", ("developer",)),
        SignInCheck("erin@acme.example", "Sales", ("member",)),
    ],
}

GENERIC_OIDC_CLIENT_ID = "initech-sso"


def register_generic_oidc_client(
    sandbox: LocalSandbox, redirect_uri: str, groups_claim: str = "groups"
) -> str:
    """Create the app the customer's IT team would hand over, its ID tokens listing the user's
    groups in the claim `groups_claim`; returns its client secret."""
    store = sandbox.okta.store
    secret = secrets.token_urlsafe(32)
    app, _ = store.create_app(
        label="Initech SSO (made by Initech IT)",
        client_id=GENERIC_OIDC_CLIENT_ID,
        auth_method="client_secret_basic",
        pkce_required=False,
        auto_key_rotation=True,
        oauth_settings={
            "application_type": "web",
            "grant_types": ["authorization_code"],
            "response_types": ["code"],
            "redirect_uris": [redirect_uri],
        },
        client_secret=secret,
        profile=None,
        activate=True,
    )
    groups = {group.name: group.id for group in store.groups()}
    for name in ("Engineering", "Sales"):
        store.assign_group(app.id, groups[name], None, None)
    store.set_groups_claim(app.id, GroupsClaim("GROUPS", "REGEX", "ORG_URL", groups_claim, ".*"))
    return secret
