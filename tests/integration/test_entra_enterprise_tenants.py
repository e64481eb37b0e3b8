"""Entra organizations as enterprise tenants run them, proved by real sign-ins through Keycloak:
admin consent where users may not consent."""

from __future__ import annotations

from collections.abc import Callable

from components.verify_login import LoginReport, verify_login
from sandbox.common.oidc_issuer import SANDBOX_USER_PASSWORD
from sandbox.environment import LocalSandbox
from tests.integration.organizations import entra_organization, stack_config
from tests.support.projects import StackProject


def sign_in(sandbox: LocalSandbox, realm: str, login: str) -> LoginReport:
    return verify_login(sandbox.keycloak_url, realm, "acme", login=login, password=SANDBOX_USER_PASSWORD)


def test_admin_consent_lets_users_in_where_they_may_not_consent_and_opting_out_revokes_it(
    sandbox: LocalSandbox, realm: str, stack_project: Callable[..., StackProject]
) -> None:
    store = sandbox.graph.store
    store.user_consent_allowed = False
    organization = entra_organization(sandbox, realm)
    project = stack_project("acme", stack_config(organization), env=sandbox.engine_env())
    project.stack.up(show_secrets=False)

    alice = sign_in(sandbox, realm, "alice@contoso.example")
    assert alice.signed_in, alice.detail
    assert {"developer", "admin"} <= set(alice.roles)

    organization["identityProvider"]["adminConsent"] = False
    project.write_config(stack_config(organization))
    changes = project.stack.up(show_secrets=False).summary.resource_changes
    assert changes.get("delete") == 1 and "create" not in changes and "update" not in changes
    app = store.find_application("Acme Corporation")
    assert app is not None
    principal = store.get_service_principal_by_app_id(app["appId"])
    assert store.grants_of(principal["id"]) == []

    refused = sign_in(sandbox, realm, "frank@contoso.example")
    assert not refused.signed_in
    assert "AADSTS65001" in refused.detail and app["appId"] in refused.detail
