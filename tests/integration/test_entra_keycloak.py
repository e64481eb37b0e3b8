"""An Entra organization end to end: what the spec says reaches the broker through real sign-ins."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from sandbox.common.oidc_issuer import SANDBOX_USER_PASSWORD
from sandbox.environment import LocalSandbox
from sandbox.graph.seed import CONTOSO
from ssoprov.cli import main
from ssoprov.verify_login import LoginReport, verify_login
from tests.integration.keycloak_view import assert_endpoints_match_discovery, connection_view, role_mappers
from tests.integration.organizations import entra_organization, stack_config
from tests.integration.rotation import rotate_while_signing_in
from tests.support.projects import StackProject


def sign_in(sandbox: LocalSandbox, realm: str, login: str) -> LoginReport:
    return verify_login(sandbox.keycloak_url, realm, "acme", login=login, password=SANDBOX_USER_PASSWORD)


def test_mapped_default_and_unassigned_users(
    sandbox: LocalSandbox, realm: str, stack_project: Callable[..., StackProject]
) -> None:
    project = stack_project(
        "acme", stack_config(entra_organization(sandbox, realm)), env=sandbox.engine_env()
    )
    project.stack.up(show_secrets=False)

    view = connection_view(sandbox, realm, "acme")
    assert_endpoints_match_discovery(view, project.stack.outputs()["discoveryUrl"].value)
    groups = {name: CONTOSO.group(name).id for name in ("Engineering", "Admins")}
    assert role_mappers(view) == {
        groups["Engineering"]: "developer",
        groups["Admins"]: "admin",
        "default": "member",
    }
    alice = sign_in(sandbox, realm, "alice@contoso.example")
    assert alice.signed_in, alice.detail
    assert {"developer", "admin"} <= set(alice.roles)
    frank = sign_in(sandbox, realm, "frank@contoso.example")
    assert frank.signed_in, frank.detail
    assert "member" in frank.roles and not {"developer", "admin"} & set(frank.roles)
    erin = sign_in(sandbox, realm, "erin@contoso.example")
    assert not erin.signed_in
    assert "AADSTS50105" in erin.detail


def test_dropping_the_email_claim_in_the_spec_drops_it_at_the_broker(
    sandbox: LocalSandbox, realm: str, stack_project: Callable[..., StackProject]
) -> None:
    organization = entra_organization(sandbox, realm)
    project = stack_project("acme", stack_config(organization), env=sandbox.engine_env())
    project.stack.up(show_secrets=False)
    before = sign_in(sandbox, realm, "alice@contoso.example")
    assert before.email == "alice@contoso.example"

    organization["identityProvider"]["optionalClaims"] = ["given_name", "family_name"]
    project.write_config(stack_config(organization))
    changes = project.stack.up(show_secrets=False).summary.resource_changes

    assert changes.get("update") == 1 and "create" not in changes and "delete" not in changes
    # Keycloak keeps what it stored for a returning user; a user signing in afresh shows the loss.
    returning = sign_in(sandbox, realm, "alice@contoso.example")
    assert returning.signed_in, returning.detail
    first_time = sign_in(sandbox, realm, "frank@contoso.example")
    assert not first_time.signed_in
    assert "token lacks email" in first_time.detail
    assert "given_name" not in first_time.detail and "family_name" not in first_time.detail


def test_rotation_never_breaks_sign_in(
    sandbox: LocalSandbox, realm: str, stack_project: Callable[..., StackProject]
) -> None:
    project = stack_project(
        "acme", stack_config(entra_organization(sandbox, realm)), env=sandbox.engine_env()
    )
    project.stack.up(show_secrets=False)

    rotate_while_signing_in(
        project, sandbox, realm, login="alice@contoso.example", secret_resource="acme-entra-client-secret"
    )


def test_verify_login_command_reports_roles_and_refusals(
    sandbox: LocalSandbox,
    realm: str,
    stack_project: Callable[..., StackProject],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    project = stack_project(
        "acme", stack_config(entra_organization(sandbox, realm)), env=sandbox.engine_env()
    )
    project.stack.up(show_secrets=False)
    monkeypatch.setenv("SSOPROV_VERIFY_PASSWORD", SANDBOX_USER_PASSWORD)

    assert main(["verify-login", str(project.stack_file), "--user", "alice@contoso.example"]) == 0
    signed_in = capsys.readouterr().out
    assert main(["verify-login", str(project.stack_file), "--user", "erin@contoso.example"]) == 1
    refused = capsys.readouterr().out

    assert "alice@contoso.example: signed in; realm roles:" in signed_in and "developer" in signed_in
    assert "email: alice@contoso.example" in signed_in
    assert "erin@contoso.example: not signed in:" in refused and "AADSTS50105" in refused
