"""An Okta organization end to end: Okta app + Keycloak connection, proven by real sign-ins."""

from __future__ import annotations

from collections.abc import Callable

from sandbox.common.oidc_issuer import SANDBOX_USER_PASSWORD
from sandbox.environment import LocalSandbox
from ssoprov.verify_login import LoginReport, verify_login
from tests.integration.keycloak_view import assert_endpoints_match_discovery, connection_view, role_mappers
from tests.integration.organizations import okta_organization, stack_config
from tests.integration.rotation import rotate_while_signing_in
from tests.support.projects import StackProject


def sign_in(sandbox: LocalSandbox, realm: str, login: str, alias: str = "globex") -> LoginReport:
    return verify_login(sandbox.keycloak_url, realm, alias, login=login, password=SANDBOX_USER_PASSWORD)


def test_mapped_default_and_unassigned_users(
    sandbox: LocalSandbox, realm: str, stack_project: Callable[..., StackProject]
) -> None:
    project = stack_project(
        "globex", stack_config(okta_organization(sandbox, realm)), env=sandbox.engine_env()
    )

    project.stack.up(show_secrets=False)

    view = connection_view(sandbox, realm, "globex")
    assert_endpoints_match_discovery(view, project.stack.outputs()["discoveryUrl"].value)
    assert view.provider["config"]["clientId"] == project.stack.outputs()["clientId"].value
    assert role_mappers(view) == {"Engineering": "developer", "Admins": "admin", "default": "member"}
    alice = sign_in(sandbox, realm, "alice@acme.example")
    assert alice.signed_in, alice.detail
    assert {"developer", "admin"} <= set(alice.roles)
    assert alice.email == "alice@acme.example"
    carol = sign_in(sandbox, realm, "carol@acme.example")
    assert carol.signed_in, carol.detail
    assert "member" in carol.roles and "developer" not in carol.roles
    dave = sign_in(sandbox, realm, "dave@acme.example")
    assert not dave.signed_in
    assert "not assigned" in dave.detail

    assert set(project.stack.up(show_secrets=False).summary.resource_changes) == {"same"}


def test_rotation_updates_the_broker_between_new_and_old_secret_and_never_breaks_sign_in(
    sandbox: LocalSandbox, realm: str, stack_project: Callable[..., StackProject]
) -> None:
    project = stack_project(
        "globex", stack_config(okta_organization(sandbox, realm)), env=sandbox.engine_env()
    )
    project.stack.up(show_secrets=False)

    rotate_while_signing_in(
        project, sandbox, realm, login="alice@acme.example", secret_resource="globex-okta-client-secret"
    )
