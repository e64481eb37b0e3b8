"""The broker reads the groups claim the IdP is configured to send, proven by real sign-ins.

Keycloak's role mappers name the claim they read. If it is not the claim the IdP sends, no
mapped role is ever granted, and with syncMode FORCE a returning user loses the roles an
earlier sign-in granted.
"""

from __future__ import annotations

from collections.abc import Callable

from pulumi import automation as auto

from demo.customers import GENERIC_OIDC_CLIENT_ID, register_generic_oidc_client
from sandbox.common.oidc_issuer import SANDBOX_USER_PASSWORD
from sandbox.environment import LocalSandbox
from ssoprov.verify_login import LoginReport, verify_login
from tests.integration.keycloak_view import connection_view
from tests.integration.organizations import keycloak_broker, okta_organization, stack_config
from tests.support.projects import StackProject

NAMESPACED_CLAIM = "https://initech.example/groups"
"""A claim name with dots, as namespaced custom claims are (Keycloak reads a dot as nesting)."""


def sign_in(sandbox: LocalSandbox, realm: str, alias: str, login: str) -> LoginReport:
    report = verify_login(sandbox.keycloak_url, realm, alias, login=login, password=SANDBOX_USER_PASSWORD)
    assert report.signed_in, report.detail
    return report


def test_okta_claim_renamed_in_the_spec_updates_mappers_in_place_and_returning_users_keep_roles(
    sandbox: LocalSandbox, realm: str, stack_project: Callable[..., StackProject]
) -> None:
    organization = okta_organization(sandbox, realm)
    project = stack_project("globex", stack_config(organization), env=sandbox.engine_env())
    project.stack.up(show_secrets=False)
    assert {"developer", "admin"} <= set(sign_in(sandbox, realm, "globex", "alice@acme.example").roles)
    provider_before = connection_view(sandbox, realm, "globex").provider

    organization["identityProvider"]["groupsClaim"]["name"] = "okta_groups"
    project.write_config(stack_config(organization))
    renamed = project.stack.up(show_secrets=False)

    # A returning user (FORCE sync re-applies mappers at every sign-in) keeps the mapped roles,
    # and a first-time user gets them from the claim under its new name.
    alice = sign_in(sandbox, realm, "globex", "alice@acme.example")
    assert {"developer", "admin", "member"} <= set(alice.roles), alice.roles
    bob = sign_in(sandbox, realm, "globex", "bob@acme.example")
    assert {"developer", "member"} <= set(bob.roles) and "admin" not in bob.roles, bob.roles
    # In place: the Okta groups claim and the two group mappers; the identity provider untouched.
    assert renamed.summary.resource_changes == {"update": 3, "same": 11}
    view = connection_view(sandbox, realm, "globex")
    assert view.provider["internalId"] == provider_before["internalId"]
    claims = {
        m["config"]["claim.value"]: m["config"]["claim"] for m in view.mappers if "claim" in m["config"]
    }
    assert claims == {"Engineering": "okta_groups", "Admins": "okta_groups"}

    assert set(project.stack.up(show_secrets=False).summary.resource_changes) == {"same"}


def test_generic_oidc_groups_claim_named_in_the_spec_grants_mapped_roles(
    sandbox: LocalSandbox, realm: str, stack_project: Callable[..., StackProject]
) -> None:
    # The customer's IdP (played by the Okta stand-in's issuer) lists groups under a namespaced claim.
    redirect_uri = f"{sandbox.keycloak_url}/realms/{realm}/broker/initech/endpoint"
    secret = register_generic_oidc_client(sandbox, redirect_uri, groups_claim=NAMESPACED_CLAIM)
    organization = {
        "name": "initech",
        "displayName": "Initech",
        "identityProvider": {
            "kind": "oidc",
            "clientId": GENERIC_OIDC_CLIENT_ID,
            "discoveryUrl": f"{sandbox.okta_url}/.well-known/openid-configuration",
            "groupsClaim": NAMESPACED_CLAIM,
        },
        "broker": keycloak_broker(sandbox, realm),
        "roleMappings": [{"group": "Engineering", "role": "developer"}],
        "defaultRole": "member",
    }
    project = stack_project("initech", stack_config(organization), env=sandbox.engine_env())
    project.stack.set_config("ssoprov:oidcClientSecret", auto.ConfigValue(secret, secret=True))

    project.stack.up(show_secrets=False)

    for _ in range(2):  # the first sign-in, then a returning user under FORCE sync
        bob = sign_in(sandbox, realm, "initech", "bob@acme.example")
        assert {"developer", "member"} <= set(bob.roles), bob.roles
    erin = sign_in(sandbox, realm, "initech", "erin@acme.example")
    assert "member" in erin.roles and "developer" not in erin.roles, erin.roles
