"""Adopting a generic OIDC connection an admin made by hand in Keycloak, with a user signing in
throughout: `ssoprov adopt`, then a secret handed over by the customer, then a role-mapping change,
then destroy (refused until the spec allows it). No sign-in may fail at any point.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml
from pulumi import automation as auto

from demo.customers import GENERIC_OIDC_CLIENT_ID, register_generic_oidc_client
from sandbox.common.oidc_issuer import SANDBOX_USER_PASSWORD
from sandbox.environment import LocalSandbox
from ssoprov.adoption.command import KeycloakSource, adopt
from ssoprov.errors import ProvisionerError
from ssoprov.spec.loading import validate_stack_files
from ssoprov.verify_login import verify_login
from tests.integration.adoption import (
    adoption_project,
    create_by_hand,
    endpoints_from,
    keycloak_view,
    run_adopt,
    selected_stack,
)
from tests.integration.signin_loop import signing_in

ALIAS = "initech-corp-sso"
EXTRA_MAPPER = "department attribute"


async def make_connection_by_hand(sandbox: LocalSandbox, realm: str, secret: str) -> None:
    """The provider, then mappers in the admin's own order and names, one of a shape we never make."""
    discovery = f"{sandbox.okta_url}/.well-known/openid-configuration"
    provider = {
        "alias": ALIAS,
        "displayName": "Initech (set up by hand)",
        "providerId": "oidc",
        "enabled": True,
        "trustEmail": True,
        "firstBrokerLoginFlowAlias": "first broker login",
        "config": {
            **await endpoints_from(sandbox, realm, discovery),
            "clientId": GENERIC_OIDC_CLIENT_ID,
            "clientSecret": secret,
            "clientAuthMethod": "client_secret_basic",
            "syncMode": "FORCE",
            "defaultScope": "openid email profile",
        },
    }
    mappers = [
        ("everyone is staff", "oidc-hardcoded-role-idp-mapper", {"role": "member", "syncMode": "INHERIT"}),
        (
            EXTRA_MAPPER,
            "oidc-user-attribute-idp-mapper",
            {"claim": "department", "user.attribute": "department", "syncMode": "INHERIT"},
        ),
        (
            "eng devs",
            "oidc-role-idp-mapper",
            {"claim": "groups", "claim.value": "Engineering", "role": "developer", "syncMode": "INHERIT"},
        ),
    ]
    await create_by_hand(sandbox, realm, provider, mappers, ["developer", "member", "admin"])


def test_adopt_generic_oidc_in_keycloak_with_no_sign_in_interrupted(
    sandbox: LocalSandbox, realm: str, pulumi_cli: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project, engine = adoption_project(tmp_path, sandbox, monkeypatch)
    redirect_uri = f"{sandbox.keycloak_url}/realms/{realm}/broker/{ALIAS}/endpoint"
    hand_made_secret = register_generic_oidc_client(sandbox, redirect_uri)
    asyncio.run(make_connection_by_hand(sandbox, realm, hand_made_secret))
    before = asyncio.run(keycloak_view(sandbox, realm, ALIAS))

    # `ssoprov adopt --list`, as a user runs it: what no stack manages yet.
    listing = ("--list", "--keycloak-url", sandbox.keycloak_url, "--realm", realm)
    listed = run_adopt(project.root, tmp_path / "state", engine.env, *listing)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.split()[0] == ALIAS and f"1 connection in realm {realm}" in listed.stdout
    source = KeycloakSource(sandbox.keycloak_url, realm, ALIAS)

    with signing_in(sandbox.keycloak_url, realm, ALIAS, "bob@acme.example") as sign_ins:
        report = adopt(project, engine, "initech", source)

        # Adopting wrote nothing in Keycloak; the stack file is valid and reads as the connection.
        assert asyncio.run(keycloak_view(sandbox, realm, ALIAS)) == before
        selected = selected_stack(engine)
        assert "no stack selected" in selected, selected  # a bare `pulumi up` is not aimed at it
        stack_file = project.stack_file("initech")
        assert validate_stack_files([stack_file]) == []
        organization = yaml.safe_load(stack_file.read_text())["config"]["ssoprov:organization"]
        assert organization["roleMappings"] == [{"group": "Engineering", "role": "developer"}]
        assert organization["defaultRole"] == "member"
        assert organization["adoption"]["mapperNames"] == {"Engineering": "eng devs"}
        assert report.adopted >= 4  # the identity provider, two mappers, two roles (and the stack)
        assert any(EXTRA_MAPPER in extra for extra in report.extras), report.extras
        listed = run_adopt(project.root, tmp_path / "state", engine.env, *listing)
        assert listed.returncode == 0 and listed.stdout.startswith(f"0 connections in realm {realm}"), listed
        with pytest.raises(ProvisionerError, match=r"already managed by stacks/Pulumi\.initech\.yaml"):
            adopt(project, engine, "initech-again", source)

        # The customer hands over a new secret; the broker gets it, then the old one is revoked.
        stack = engine.stack("initech")
        store = sandbox.okta.store
        app = next(app for app in store.apps() if app.client_id == GENERIC_OIDC_CLIENT_ID)
        old_ids = [secret.id for secret in store.secrets(app.id)]
        new_secret = store.create_secret(app.id, None)
        stack.set_config("ssoprov:oidcClientSecret", auto.ConfigValue(new_secret.value, secret=True))
        rotated = stack.up(show_secrets=False)
        assert rotated.summary.resource_changes.get("update") == 1, rotated.summary.resource_changes
        for secret_id in old_ids:
            store.deactivate_secret(app.id, secret_id)
            store.delete_secret(app.id, secret_id)

        # A role-mapping change in the spec, applied in place by `up`.
        text = stack_file.read_text()
        stack_file.write_text(text.replace("role: developer", "role: admin"))
        stack.up(show_secrets=False)

    assert sign_ins, "no sign-in ran"
    failed = [r.detail for r in sign_ins if not r.signed_in]
    assert failed == [], failed
    # A first sign-in after the change gets the new role (Keycloak never takes back a role an
    # earlier mapper config granted to a returning user: bob keeps developer, as in any stack).
    alice = verify_login(
        sandbox.keycloak_url, realm, ALIAS, login="alice@acme.example", password=SANDBOX_USER_PASSWORD
    )
    assert "admin" in alice.roles and "developer" not in alice.roles, alice.roles
    provider, mappers = asyncio.run(keycloak_view(sandbox, realm, ALIAS))
    assert {m["name"] for m in mappers} == {m["name"] for m in before[1]}  # extras and names kept
    assert provider["internalId"] == before[0]["internalId"]

    # Destroy is refused while adopted objects are protected, and works once the spec allows it.
    with pytest.raises(auto.CommandError, match="protected"):
        stack.destroy()
    assert asyncio.run(keycloak_view(sandbox, realm, ALIAS))[0]["internalId"] == before[0]["internalId"]
    stack_file.write_text(stack_file.read_text().replace("allowDestroy: false", "allowDestroy: true"))
    stack.up(show_secrets=False)
    stack.destroy()
