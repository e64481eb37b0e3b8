"""Adopting an Okta connection made by hand (the OIDC app with groups assigned one by one, its
groups claim, the secret Okta made with it, the Keycloak provider and mappers), with a user signing
in throughout: adopt, then the first rotation, then a role-mapping change. No sign-in may fail.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from pulumi import automation as auto

from sandbox.common.oidc_issuer import SANDBOX_USER_PASSWORD
from sandbox.environment import LocalSandbox
from ssoprov.adoption.command import KeycloakSource, OktaSource, adopt
from ssoprov.okta.okta_client import okta_client_from_env
from ssoprov.spec.loading import validate_stack_files
from ssoprov.verify_login import verify_login
from tests.integration.adoption import adoption_project, create_by_hand, endpoints_from, keycloak_view
from tests.integration.signin_loop import signing_in

ALIAS = "globex-okta-sso"


async def make_connection_by_hand(sandbox: LocalSandbox, realm: str) -> str:
    """The Okta OIDC guide's steps through the management API, then the Keycloak console's."""
    okta = okta_client_from_env(org_url=sandbox.okta_url)
    callback = f"{sandbox.keycloak_url}/realms/{realm}/broker/{ALIAS}/endpoint"
    # Okta's admin console makes new apps with issuer mode DYNAMIC (ssoprov's own are ORG_URL).
    app = await okta.create_oidc_web_app("Globex login (by IT)", [callback], issuer_mode="DYNAMIC")
    for name in ("Sales", "Engineering", "Admins"):
        group = await okta.find_group_by_name(name)
        await okta.assign_group(app.id, group.id, group_name=name)
    await okta.set_groups_claim(app.id, "groups", "regex", ".*")
    provider = {
        "alias": ALIAS,
        "displayName": "Globex",
        "providerId": "oidc",
        "enabled": True,
        "trustEmail": True,
        "firstBrokerLoginFlowAlias": "first broker login",
        "config": {
            **await endpoints_from(sandbox, realm, f"{sandbox.okta_url}/.well-known/openid-configuration"),
            "clientId": app.client_id,
            "clientSecret": app.client_secret,
            "clientAuthMethod": "client_secret_basic",
            "syncMode": "FORCE",
            "defaultScope": "openid email profile",
        },
    }
    role = "oidc-role-idp-mapper"
    mappers = [
        (
            "Admins are admins",
            role,
            {"claim": "groups", "claim.value": "Admins", "role": "admin", "syncMode": "INHERIT"},
        ),
        (
            "eng",
            role,
            {"claim": "groups", "claim.value": "Engineering", "role": "developer", "syncMode": "INHERIT"},
        ),
        ("base member", "oidc-hardcoded-role-idp-mapper", {"role": "member", "syncMode": "INHERIT"}),
    ]
    await create_by_hand(sandbox, realm, provider, mappers, ["developer", "admin", "member"])
    return app.client_id


def test_adopt_okta_in_keycloak_then_rotate_and_remap_with_no_sign_in_interrupted(
    sandbox: LocalSandbox, realm: str, pulumi_cli: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project, engine = adoption_project(tmp_path, sandbox, monkeypatch)
    client_id = asyncio.run(make_connection_by_hand(sandbox, realm))
    okta = okta_client_from_env(org_url=sandbox.okta_url)
    hand_made = asyncio.run(okta.list_secrets(client_id))
    before = asyncio.run(keycloak_view(sandbox, realm, ALIAS))

    with signing_in(sandbox.keycloak_url, realm, ALIAS, "carol@acme.example") as sign_ins:
        report = adopt(
            project,
            engine,
            "globex",
            KeycloakSource(sandbox.keycloak_url, realm, ALIAS),
            OktaSource(sandbox.okta_url, client_id),
        )
        assert report.extras == [], report.extras
        assert asyncio.run(keycloak_view(sandbox, realm, ALIAS)) == before
        assert asyncio.run(okta.list_secrets(client_id)) == hand_made
        stack_file = project.stack_file("globex")
        assert validate_stack_files([stack_file]) == []
        organization = yaml.safe_load(stack_file.read_text())["config"]["ssoprov:organization"]
        idp = organization["identityProvider"]
        assert sorted(idp["groups"]) == ["Admins", "Engineering", "Sales"]
        assert idp["groupsClaim"] == {"name": "groups", "filterType": "regex", "value": ".*"}
        assert organization["adoption"]["appName"] == "Globex login (by IT)"
        assert organization["adoption"]["issuerMode"] == "DYNAMIC"  # kept as made: nothing rewritten
        assert organization["adoption"]["secretId"] == hand_made[0].id

        # The first rotation, forced: ours is made, the broker gets it, then the hand-made one goes.
        stack = engine.stack("globex")
        stack.workspace.env_vars["SSOPROV_AS_OF"] = (datetime.now(UTC) + timedelta(days=400)).isoformat()
        try:
            stack.up(show_secrets=False)
        finally:
            del stack.workspace.env_vars["SSOPROV_AS_OF"]
        secrets = asyncio.run(okta.list_secrets(client_id))
        assert [s.id for s in secrets] != [hand_made[0].id] and len(secrets) == 1, secrets

        stack_file.write_text(stack_file.read_text().replace("role: developer", "role: engineer"))
        stack.up(show_secrets=False)

    failed = [r.detail for r in sign_ins if not r.signed_in]
    assert sign_ins and failed == [], failed
    bob = verify_login(  # in Engineering; never signed in before
        sandbox.keycloak_url, realm, ALIAS, login="bob@acme.example", password=SANDBOX_USER_PASSWORD
    )
    assert "engineer" in bob.roles, bob.roles
    with pytest.raises(auto.CommandError, match="protected"):
        stack.destroy()
