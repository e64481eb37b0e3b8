"""Entra organizations as enterprise tenants run them, proved by real sign-ins through Keycloak:
admin consent where users may not consent, roles from app roles instead of group IDs, and a
user in more groups than a token carries (group overage)."""

from __future__ import annotations

import asyncio
import secrets
import threading
from collections.abc import Callable, Iterator

import pytest

from sandbox.common.oidc_issuer import SANDBOX_USER_PASSWORD
from sandbox.environment import LocalSandbox
from sandbox.graph import build_graph_standin
from sandbox.keycloak import KeycloakServer
from ssoprov.cli import main
from ssoprov.entra import naming
from ssoprov.verify_login import LoginReport, prepare_realm, verify_login
from tests.integration.organizations import entra_organization, stack_config
from tests.integration.steps import StepLog
from tests.support.crowded_tenant import CROWDED_USER, crowded_contoso
from tests.support.graph_lag import GRAPH_REPLICATION_LAG_SECONDS
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


def test_app_roles_carry_the_broker_roles_and_a_mapping_change_moves_the_assignment(
    sandbox: LocalSandbox, realm: str, stack_project: Callable[..., StackProject]
) -> None:
    organization = entra_organization(sandbox, realm)
    organization["identityProvider"] |= {
        "roleSource": "appRoles",
        "groupsClaim": "None",
        "assignments": {"groups": [], "users": ["frank@contoso.example"]},
    }
    project = stack_project("acme", stack_config(organization), env=sandbox.engine_env())
    project.stack.up(show_secrets=False)
    # Every read rebuilds its inputs exactly: a refresh records nothing, and the next up is a no-op.
    refreshed = project.stack.refresh(show_secrets=False).summary.resource_changes
    assert set(refreshed) == {"same"}, refreshed
    assert set(project.stack.up(show_secrets=False).summary.resource_changes) == {"same"}

    alice = sign_in(sandbox, realm, "alice@contoso.example")  # Engineering and Admins
    assert alice.signed_in, alice.detail
    assert {"developer", "admin"} <= set(alice.roles)
    frank = sign_in(sandbox, realm, "frank@contoso.example")  # assigned himself, to no role
    assert frank.signed_in, frank.detail
    assert "member" in frank.roles and not {"developer", "admin"} & set(frank.roles)
    erin = sign_in(sandbox, realm, "erin@contoso.example")  # assigned to nothing
    assert not erin.signed_in and "AADSTS50105" in erin.detail

    # Engineering moves from developer to engineer while Bob (Engineering only) keeps signing in.
    organization["roleMappings"][0]["role"] = "engineer"
    project.write_config(stack_config(organization))
    results: list[LoginReport] = []
    stop = threading.Event()

    def keep_signing_in() -> None:
        while not stop.is_set():
            results.append(sign_in(sandbox, realm, "bob@contoso.example"))

    steps = StepLog()
    signer = threading.Thread(target=keep_signing_in)
    signer.start()
    try:
        project.stack.up(show_secrets=False, on_event=steps)
    finally:
        stop.set()
        signer.join()
    assert results and all(r.signed_in for r in results), [r.detail for r in results if not r.signed_in]
    # The new assignment exists before the old one goes; the old role goes only after its assignment.
    engineering = naming.group_assignment_name("acme", "Engineering")
    assert steps.index("create-replacement", engineering) < steps.index("delete-replaced", engineering)
    developer = naming.app_role_name("acme", "developer")
    assert steps.index("delete-replaced", engineering) < steps.index("delete", developer)
    assert "engineer" in sign_in(sandbox, realm, "bob@contoso.example").roles
    # Keycloak keeps a realm role a returning user once got from a mapper that no longer names it;
    # a user signing in afresh shows what the token carries now.
    carol = sign_in(sandbox, realm, "carol@contoso.example")  # Engineering (and Leadership, unmapped)
    assert "engineer" in carol.roles and "developer" not in carol.roles
    store = sandbox.graph.store
    app = store.find_application("Acme Corporation")
    assert app is not None
    roles = {role["value"]: role["id"] for role in app["appRoles"]}
    assert sorted(roles) == ["admin", "engineer"]  # developer went, after its assignment
    principal = store.get_service_principal_by_app_id(app["appId"])
    assert {a["principalDisplayName"]: a["appRoleId"] for a in store.assignments_of(principal["id"])} == {
        "Engineering": roles["engineer"],
        "Admins": roles["admin"],
        "Frank Fischer": "00000000-0000-0000-0000-000000000000",
    }


@pytest.fixture
def crowded_sandbox(keycloak: KeycloakServer) -> Iterator[LocalSandbox]:
    graph = build_graph_standin(crowded_contoso(), replication_lag_seconds=GRAPH_REPLICATION_LAG_SECONDS)
    with LocalSandbox(keycloak=keycloak, graph=graph) as running:
        yield running


def test_group_overage_is_named_under_security_groups_and_absent_with_assigned_groups_or_app_roles(
    crowded_sandbox: LocalSandbox,
    stack_project: Callable[..., StackProject],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sandbox = crowded_sandbox
    realm = f"customers-{secrets.token_hex(3)}"
    asyncio.run(prepare_realm(sandbox.keycloak_url, realm, sandbox.engine_env()))
    for name, value in sandbox.engine_env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SSOPROV_VERIFY_PASSWORD", SANDBOX_USER_PASSWORD)
    organization = entra_organization(sandbox, realm)
    organization["identityProvider"]["groupsClaim"] = "SecurityGroup"
    project = stack_project("acme", stack_config(organization), env=sandbox.engine_env())
    up = project.stack.up(show_secrets=False)
    assert "more than 200 gets none (Entra's group overage)" in up.stdout  # the engine shows the warning

    def verify(login: str) -> tuple[int, str]:
        code = main(["verify-login", str(project.stack_file), "--user", login])
        return code, capsys.readouterr().out

    # Grace (Engineering, and 250 project groups) signs in, but her token has no groups claim.
    code, out = verify(CROWDED_USER)
    assert code == 1, out
    assert f"{CROWDED_USER}: signed in; realm roles:" in out and "developer" not in out
    assert "Entra's group overage: the user is in 251 groups" in out
    assert "Fix: set identityProvider.roleSource to appRoles" in out
    code, out = verify("alice@contoso.example")  # 4 groups: no overage, her roles as mapped
    assert code == 0 and "developer" in out and "overage" not in out, out

    for change in ({"groupsClaim": "ApplicationGroup"}, {"groupsClaim": "None", "roleSource": "appRoles"}):
        organization["identityProvider"] |= change
        project.write_config(stack_config(organization))
        project.stack.up(show_secrets=False)
        code, out = verify(CROWDED_USER)
        assert code == 0 and "developer" in out and "overage" not in out, (change, out)
