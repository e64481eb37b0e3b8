"""The real program on the real Pulumi CLI: a generic-OIDC organization brokered by the WorkOS stand-in."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pulumi import automation as auto

from sandbox.common.oidc_issuer import SANDBOX_USER_PASSWORD
from sandbox.common.server import ServedApp
from sandbox.okta.app import build_okta_standin
from sandbox.workos import INITECH
from sandbox.workos.signin import CALLBACK_PATH
from ssoprov.cli import main
from tests.integration.steps import StepLog
from tests.support.projects import StackProject
from tests.support.workos_app import APP_REDIRECT_URI
from tests.workos.conftest import WorkosSandbox

REDIRECT = "https://auth.example.com/sso/oidc/callback"
FIRST_SECRET = "first-oidc-secret-9d41be"
SECOND_SECRET = "second-oidc-secret-27ac03"
DELETION_SECONDS = 300.0
"""How long WorkOS takes to delete a connection here: far longer than a `pulumi refresh` or the start
of the next `pulumi up` on any machine, so those meet the connection still `deleting`; once that is
checked, `finish_deletions_within` cuts the rest short."""
REPLACEMENT_DELETION_SECONDS = 10.0
"""A deletion the replacing `up` waits out in full."""
FINISHING_SECONDS = 3.0
"""What is left of a deletion once checked: the next `up` still has to wait for it."""


def organization_config(discovery_url: str, *, acknowledged: bool = False, mappings: bool = False) -> dict:
    spec: dict = {
        "name": "initech-oidc",
        "displayName": "Initech",
        "identityProvider": {"kind": "oidc", "clientId": "initech-sso", "discoveryUrl": discovery_url},
        "broker": {
            "kind": "workos",
            "organizationId": INITECH.id,
            "redirectUri": REDIRECT,
            "manualStepsAcknowledged": acknowledged,
        },
    }
    if mappings:
        spec["roleMappings"] = [{"group": "Engineering", "role": "developer"}]
        spec["defaultRole"] = "member"
    return {"ssoprov:organization": spec}


def set_secret(project: StackProject, value: str) -> None:
    project.stack.set_config("ssoprov:oidcClientSecret", auto.ConfigValue(value, secret=True))


def connection_resources(project: StackProject) -> list[dict]:
    resources = project.stack.export_stack().deployment.get("resources", [])
    return [r for r in resources if r["urn"].endswith("::initech-oidc-workos-connection")]


def assert_never_leaked(texts: list[str], workos: WorkosSandbox, project: StackProject) -> None:
    for text in [*texts, project.state_text()]:
        for secret in (FIRST_SECRET, SECOND_SECRET, workos.api_key):
            assert secret not in text


def test_up_update_refresh_recreate_destroy(
    stack_project: Callable[..., StackProject], workos_sandbox: WorkosSandbox, discovery_url: str
) -> None:
    project = stack_project("initech-oidc", organization_config(discovery_url), env=workos_sandbox.env())
    set_secret(project, FIRST_SECRET)
    store = workos_sandbox.stand_in.store
    store.deletion_seconds = DELETION_SECONDS
    outputs: list[str] = []

    first = project.stack.up(show_secrets=False)
    outputs += [first.stdout, first.stderr]
    assert first.summary.resource_changes == {"create": 3}
    [connection] = store.connections_of(INITECH.id)
    assert (connection.connection_type, connection.name, connection.external_id) == (
        "GenericOIDC",
        "Initech",
        "initech-oidc",
    )
    assert connection.oidc.discovery_endpoint == discovery_url
    assert (connection.oidc.client_id, connection.oidc.redirect_uri) == ("initech-sso", REDIRECT)
    assert connection.oidc.client_secret == FIRST_SECRET
    assert first.outputs["connectionId"].value == connection.id
    assert first.outputs["manualSteps"].value == []
    [resource] = connection_resources(project)
    assert resource["outputs"]["client_secret"]["4dabf18193072939515e22adb298388d"] == (
        "1b47061264138c4ac30d75fd1eb44270"
    )  # the engine's secret signature: the value is stored encrypted

    second = project.stack.up(show_secrets=False)
    outputs += [second.stdout, second.stderr]
    assert second.summary.resource_changes == {"same": 3}

    set_secret(project, SECOND_SECRET)
    rotated = project.stack.up(show_secrets=False)
    outputs += [rotated.stdout, rotated.stderr]
    assert rotated.summary.resource_changes == {"update": 1, "same": 2}
    assert [c.id for c in store.connections_of(INITECH.id)] == [connection.id]
    assert store.connection(connection.id).oidc.client_secret == SECOND_SECRET

    store.delete_connection(connection.id)  # in the dashboard: WorkOS deletes it asynchronously
    refreshed = project.stack.refresh(show_secrets=False)
    outputs += [refreshed.stdout, refreshed.stderr]
    assert store.connection(connection.id).state == "deleting"
    assert connection_resources(project) == []  # a connection being deleted reads as gone
    store.finish_deletions_within(FINISHING_SECONDS)
    recreated = project.stack.up(show_secrets=False)
    outputs += [recreated.stdout, recreated.stderr]
    assert recreated.summary.resource_changes.get("create") == 1
    [new_connection] = store.connections_of(INITECH.id)  # the old one's deletion was waited for
    assert new_connection.id != connection.id and new_connection.oidc.client_secret == SECOND_SECRET
    assert recreated.outputs["connectionId"].value == new_connection.id

    destroyed = project.stack.destroy(show_secrets=False)
    outputs += [destroyed.stdout, destroyed.stderr]
    assert [c.state for c in store.connections_of(INITECH.id)] == ["deleting"]
    assert project.stack.export_stack().deployment.get("resources", []) == []
    assert_never_leaked(outputs, workos_sandbox, project)


def test_role_mappings_need_acknowledgement_then_become_manual_steps(
    stack_project: Callable[..., StackProject], workos_sandbox: WorkosSandbox, discovery_url: str
) -> None:
    config = organization_config(discovery_url, mappings=True)
    project = stack_project("initech-oidc", config, env=workos_sandbox.env())
    set_secret(project, FIRST_SECRET)

    with pytest.raises(auto.CommandError) as refused:
        project.stack.up(show_secrets=False)
    message = str(refused.value)
    assert "stacks/Pulumi.initech-oidc.yaml: ssoprov:organization.broker.manualStepsAcknowledged" in message
    assert "WorkOS offers no API for the IdP-group-to-role mappings" in message
    assert "set broker.manualStepsAcknowledged: true" in message
    assert workos_sandbox.calls() == []
    assert workos_sandbox.stand_in.store.connections_of(INITECH.id) == []

    project.write_config(organization_config(discovery_url, acknowledged=True, mappings=True))
    applied = project.stack.up(show_secrets=False)
    steps = applied.outputs["manualSteps"].value
    [connection] = workos_sandbox.stand_in.store.connections_of(INITECH.id)
    assert len(steps) == 2
    assert "'Engineering'" in steps[0] and "'developer'" in steps[0] and connection.id in steps[0]
    assert "'member' the default role" in steps[1]
    assert applied.outputs["roles"].value == {"Engineering": "developer"}
    assert_never_leaked([message, applied.stdout, applied.stderr, *steps], workos_sandbox, project)


def okta_config(okta_url: str, workos_url: str) -> dict:
    """An Okta organization whose app sends sign-ins back to the stand-in's WorkOS callback."""
    config = organization_config("https://unused.example/.well-known/openid-configuration")
    organization = config["ssoprov:organization"]
    organization["identityProvider"] = {"kind": "okta", "orgUrl": okta_url, "groups": ["Engineering"]}
    organization["broker"]["redirectUri"] = workos_url + CALLBACK_PATH
    return config


def test_a_new_identity_provider_replaces_the_connection_after_the_old_one_is_deleted(
    stack_project: Callable[..., StackProject],
    workos_sandbox: WorkosSandbox,
    discovery_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """GenericOIDC -> OktaOIDC cannot change in place: the old connection is deleted first (both
    claim the stack's external_id), and the new one waits until WorkOS has finished deleting it;
    `ssoprov verify-login` signs in through the new one (the stack's recorded connection). Then
    destroy and an immediate up converge the same way."""
    okta = build_okta_standin()
    store = workos_sandbox.stand_in.store
    store.deletion_seconds = REPLACEMENT_DELETION_SECONDS
    with ServedApp(okta.app) as okta_served:
        env = {**workos_sandbox.env(), "OKTA_API_TOKEN": okta.auth.api_token}
        project = stack_project("initech-oidc", organization_config(discovery_url), env=env)
        set_secret(project, FIRST_SECRET)
        project.stack.up(show_secrets=False)
        [generic] = store.connections_of(INITECH.id)
        # The generic provider's discovery document names no method: OpenID Connect's default.
        assert generic.oidc.token_authentication_method == "client_secret_basic"

        project.write_config(okta_config(okta_served.url, workos_sandbox.url))
        steps = StepLog()
        replaced = project.stack.up(show_secrets=False, on_event=steps)
        assert replaced.summary.resource_changes.get("replace") == 1
        assert steps.index("delete-replaced", "initech-oidc-workos-connection") < steps.index(
            "create-replacement", "initech-oidc-workos-connection"
        )
        [connection] = store.connections_of(INITECH.id)  # the old one is gone, not just deleting
        [app] = okta.store.apps()
        assert (connection.connection_type, connection.external_id) == ("OktaOIDC", "initech-oidc")
        assert connection.oidc.client_id == app.client_id
        # The method the Okta app is registered with, which Okta's token endpoint insists on.
        assert connection.oidc.token_authentication_method == app.token_endpoint_auth_method
        assert app.token_endpoint_auth_method == "client_secret_basic"

        store.redirect_uris.add(APP_REDIRECT_URI)
        monkeypatch.setenv("WORKOS_CLIENT_ID", workos_sandbox.stand_in.client_id)
        monkeypatch.setenv("SSOPROV_VERIFY_PASSWORD", SANDBOX_USER_PASSWORD)
        for key, value in workos_sandbox.env().items():
            monkeypatch.setenv(key, value)
        verify = ["verify-login", str(project.stack_file), "--redirect-uri", APP_REDIRECT_URI]
        verify += ["--backend", project.engine.backend_url, "--user"]
        assert main([*verify, "alice@acme.example"]) == 0
        signed_in = capsys.readouterr().out
        assert main([*verify, "dave@acme.example"]) == 1
        refused = capsys.readouterr().out
        assert signed_in.startswith("alice@acme.example: signed in; WorkOS roles: member\n")
        assert "  email: alice@acme.example" in signed_in
        assert refused == (
            "dave@acme.example: not signed in: the identity provider refused: "
            "User is not assigned to the client application.\n"
        )

        # Longer than the Okta app's deletion after the connection's and the next up's start.
        store.deletion_seconds = DELETION_SECONDS
        project.stack.destroy(show_secrets=False)
        assert [c.state for c in store.connections_of(INITECH.id)] == ["deleting"]
        store.finish_deletions_within(FINISHING_SECONDS)
        again = project.stack.up(show_secrets=False)
        [recreated] = store.connections_of(INITECH.id)
        assert recreated.id != connection.id and recreated.state == "active"
        assert again.outputs["connectionId"].value == recreated.id
        assert set(project.stack.up(show_secrets=False).summary.resource_changes) == {"same"}
        project.stack.destroy(show_secrets=False)
