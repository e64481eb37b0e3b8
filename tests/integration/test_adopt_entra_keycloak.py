"""Adopting an Entra ID connection made by hand (app registration, enterprise app with users and
groups assigned one by one, a secret added in the portal, the Keycloak provider and mappers), with
a user signing in throughout: adopt, then the first rotation (ours replaces the hand-made secret,
create-before-delete), then a role-mapping change. No sign-in may fail.
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
from sandbox.graph.seed import CONTOSO
from ssoprov.adoption.command import EntraSource, KeycloakSource, adopt
from ssoprov.entra.component import discovery_url
from ssoprov.entra.graph_client import graph_client_from_env
from ssoprov.fleet.secrets import secret_status
from ssoprov.spec.loading import load_stack_file, validate_stack_files
from ssoprov.verify_login import verify_login
from tests.integration.adoption import (
    adoption_project,
    create_by_hand,
    endpoints_from,
    keycloak_view,
    make_app_by_hand,
)
from tests.integration.signin_loop import signing_in

ALIAS = "contoso-entra"


async def make_connection_by_hand(sandbox: LocalSandbox, realm: str) -> str:
    redirect_uri = f"{sandbox.keycloak_url}/realms/{realm}/broker/{ALIAS}/endpoint"
    client_id, secret, groups = await make_app_by_hand(redirect_uri)
    provider = {
        "alias": ALIAS,
        "displayName": "Sign in with Contoso",
        "providerId": "oidc",
        "enabled": True,
        "trustEmail": True,
        "firstBrokerLoginFlowAlias": "first broker login",
        "config": {
            **await endpoints_from(sandbox, realm, discovery_url(CONTOSO.tenant_id)),
            "clientId": client_id,
            "clientSecret": secret,
            "clientAuthMethod": "client_secret_basic",
            "syncMode": "FORCE",
        },
    }
    mappers = [
        (f"Admins ({groups['Admins'][:8]})", groups["Admins"], "admin"),
        ("engineers", groups["Engineering"], "developer"),
    ]
    await create_by_hand(
        sandbox,
        realm,
        provider,
        [
            (
                name,
                "oidc-role-idp-mapper",
                {"claim": "groups", "claim.value": gid, "role": role, "syncMode": "INHERIT"},
            )
            for name, gid, role in mappers
        ]
        + [("all of Contoso", "oidc-hardcoded-role-idp-mapper", {"role": "member", "syncMode": "INHERIT"})],
        ["developer", "admin", "member"],
    )
    return client_id


def test_adopt_entra_in_keycloak_then_rotate_and_remap_with_no_sign_in_interrupted(
    sandbox: LocalSandbox, realm: str, pulumi_cli: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project, engine = adoption_project(tmp_path, sandbox, monkeypatch)
    client_id = asyncio.run(make_connection_by_hand(sandbox, realm))
    graph = graph_client_from_env(CONTOSO.tenant_id)
    app = asyncio.run(graph.find_application_by_app_id(client_id))
    hand_made = asyncio.run(graph.list_passwords(app["object_id"]))
    before = asyncio.run(keycloak_view(sandbox, realm, ALIAS))

    with signing_in(sandbox.keycloak_url, realm, ALIAS, "frank@contoso.example") as sign_ins:
        report = adopt(
            project,
            engine,
            "contoso",
            KeycloakSource(sandbox.keycloak_url, realm, ALIAS),
            EntraSource(CONTOSO.tenant_id, client_id),
        )
        assert asyncio.run(keycloak_view(sandbox, realm, ALIAS)) == before
        assert asyncio.run(graph.list_passwords(app["object_id"])) == hand_made
        assert [extra.split(": ")[-1] for extra in report.extras] == [
            "kept as made (adoption.idTokenClaims)",
            "kept as granted (adoption.adminConsentScopes)",
        ], report.extras
        stack_file = project.stack_file("contoso")
        assert validate_stack_files([stack_file]) == []
        organization = yaml.safe_load(stack_file.read_text())["config"]["ssoprov:organization"]
        assert organization["identityProvider"]["assignments"] == {
            "groups": ["Engineering", "Admins"],
            "users": ["frank@contoso.example"],
        }
        assert organization["identityProvider"]["extraRedirectUris"] == [
            "https://sso.example.com/legacy/callback"
        ]
        assert organization["roleMappings"] == [
            {"group": "Admins", "role": "admin"},
            {"group": "Engineering", "role": "developer"},
        ]
        assert organization["adoption"]["secretId"] == hand_made[0]["key_id"]
        # The portal's User.Read beside the sign-in scopes: kept as made, nothing rewritten.
        assert organization["adoption"]["graphScopes"] == ["openid", "profile", "email", "User.Read"]
        # So are the upn claim and the portal's admin consent, User.Read included.
        assert organization["identityProvider"]["adminConsent"] is True
        assert [claim["name"] for claim in organization["adoption"]["idTokenClaims"]][-1] == "upn"
        assert organization["adoption"]["adminConsentScopes"] == ["User.Read", "email", "openid", "profile"]

        # `ssoprov secrets` shows the adopted secret with its real expiry.
        stack = engine.stack("contoso")
        spec, _, _ = load_stack_file(stack_file)
        status = secret_status("contoso", spec, stack.export_stack().deployment, datetime.now(UTC))
        assert status.secret_id == hand_made[0]["key_id"] and "adopted" in status.note
        assert (
            status.expires_at is not None
            and status.expires_at.date().isoformat() == hand_made[0]["end_date_time"][:10]
        )

        # The first rotation, forced: ours is minted, the broker gets it, then the hand-made one goes.
        stack.workspace.env_vars["SSOPROV_AS_OF"] = (datetime.now(UTC) + timedelta(days=400)).isoformat()
        try:
            stack.up(show_secrets=False)
        finally:
            del stack.workspace.env_vars["SSOPROV_AS_OF"]
        passwords = asyncio.run(graph.list_passwords(app["object_id"]))
        assert [p["display_name"] for p in passwords] == ["ssoprov: contoso SSO broker"]

        # A role-mapping change in the spec, applied by `up` to the adopted mapper.
        stack_file.write_text(stack_file.read_text().replace("role: developer", "role: engineer"))
        stack.up(show_secrets=False)

    failed = [r.detail for r in sign_ins if not r.signed_in]
    assert sign_ins and failed == [], failed
    bob = verify_login(  # Engineering, and never signed in before
        sandbox.keycloak_url, realm, ALIAS, login="bob@contoso.example", password=SANDBOX_USER_PASSWORD
    )
    assert "engineer" in bob.roles, bob.roles
    assert {m["name"] for m in asyncio.run(keycloak_view(sandbox, realm, ALIAS))[1]} == {
        m["name"] for m in before[1]
    }
    with pytest.raises(auto.CommandError, match="protected"):
        stack.destroy()
