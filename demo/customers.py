"""What the demo needs besides the stack files: sign-in checks per organization, and the
generic-OIDC customer's own IdP app (its IT team would have made it; here the Okta stand-in
plays that IdP)."""

from __future__ import annotations

import asyncio
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

from sandbox.environment import DEMO_PORTS, LocalSandbox
from sandbox.okta.store import GroupsClaim
from ssoprov.spec.loading import load_stack_file
from ssoprov.verify_login import prepare_realm

REPO = Path(__file__).resolve().parents[1]
ORGANIZATIONS = ("acme-entra", "hooli-entra", "globex-okta", "vandelay-okta-saml", "initech-oidc")
"""The example stacks in stacks/, one per IdP kind, a secretless one and a SAML one, all brokered by
the sandbox's Keycloak."""
GENERIC_OIDC_ORGANIZATION = "initech-oidc"


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
    "vandelay-okta-saml": [
        SignInCheck("alice@acme.example", "Engineering, Admins", ("developer", "admin")),
        SignInCheck("carol@acme.example", "Sales", ("member",)),
        SignInCheck("dave@acme.example", "Engineering-Contractors (not assigned)", None),
    ],
    "hooli-entra": [
        SignInCheck("bob@contoso.example", "Engineering", ("developer",)),
        SignInCheck("dave@contoso.example", "Admins", ("admin",)),
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


def copy_example_project(target: Path, sandbox: LocalSandbox) -> None:
    """The project (Pulumi.yaml, program, example stacks) in `target`, so that running it leaves
    the repository's stack files as they are (a passphrase stack gets an `encryptionsalt`).

    The stack files name the demo's fixed ports; they are pointed at `sandbox`'s, which are the
    same in the demo and free ones in tests."""
    moved = {
        f"http://127.0.0.1:{DEMO_PORTS.keycloak}": sandbox.keycloak_url,
        f"http://127.0.0.1:{DEMO_PORTS.okta}": sandbox.okta_url,
    }
    (target / "stacks").mkdir(parents=True)
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(REPO / name, target / name)
    for organization in ORGANIZATIONS:
        source = REPO / "stacks" / f"Pulumi.{organization}.yaml"
        text = source.read_text()
        # The shipped generic-OIDC stack holds a placeholder for the secret its IT team hands over.
        text = text.replace("  ssoprov:oidcClientSecret:\n    secure: to-be-set-by-the-demo\n", "")
        for demo_url, url in moved.items():
            text = text.replace(demo_url, url)
        (target / "stacks" / source.name).write_text(text)


@dataclass(frozen=True)
class Examples:
    realms: dict[str, str]
    """Each example organization's Keycloak realm."""
    oidc_client_secret: str
    """What the generic-OIDC customer's IT team hands over: the stack's `ssoprov:oidcClientSecret`."""


def set_up_examples(sandbox: LocalSandbox, project: Path) -> Examples:
    """Everything the example stacks need before `pulumi up`: the project copied to `project`,
    the realm in Keycloak, and the generic-OIDC customer's own app at its IdP."""
    realms = {organization: realm_of(organization) for organization in ORGANIZATIONS}
    for realm in sorted(set(realms.values())):
        asyncio.run(prepare_realm(sandbox.keycloak_url, realm, sandbox.engine_env()))
    copy_example_project(project, sandbox)
    realm = realms[GENERIC_OIDC_ORGANIZATION]
    redirect = f"{sandbox.keycloak_url}/realms/{realm}/broker/{GENERIC_OIDC_ORGANIZATION}/endpoint"
    return Examples(realms=realms, oidc_client_secret=register_generic_oidc_client(sandbox, redirect))


def realm_of(organization: str) -> str:
    spec, _, _ = load_stack_file(REPO / "stacks" / f"Pulumi.{organization}.yaml")
    assert spec is not None and spec.broker.kind == "keycloak", "the shipped example stacks are valid"
    return spec.broker.realm
