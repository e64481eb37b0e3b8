"""Adopting an Entra ID app whose ID-token claims and admin consent go beyond what the spec
expresses: read from the Graph stand-in over real HTTP, they are kept as made in `adoption` keys
that the component sets back as they are; permissions ssoprov cannot manage stop adopt before
anything is written, naming the fix."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sandbox.environment import LocalSandbox
from sandbox.graph.seed import CONTOSO, MICROSOFT_GRAPH_APP_ID, MICROSOFT_GRAPH_SCOPES
from ssoprov.adoption.command import EntraSource, KeycloakSource, _idp_side, adoption_spec
from ssoprov.adoption.keycloak import connection_from_keycloak
from ssoprov.entra.component import graph_scopes
from ssoprov.entra.graph_client import graph_client_from_env
from ssoprov.errors import ProvisionerError
from ssoprov.spec.loading import parse_organization
from ssoprov.spec.models import as_made

SOURCE = KeycloakSource("https://sso.example.com", "customers", "contoso")
SIGN_IN = ("openid", "profile", "email", "User.Read")
CLAIMS = [
    {"name": "email", "essential": False, "additional_properties": []},
    {"name": "upn", "essential": True, "additional_properties": []},
    {"name": "groups", "essential": False, "additional_properties": ["sam_account_name"]},
]
"""email as ssoprov sets it; upn and groups-as-names, which optionalClaims/groupsClaim cannot say."""


@pytest.fixture
def graph_sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalSandbox]:
    with LocalSandbox(with_keycloak=False) as running:
        for key, value in running.engine_env().items():
            monkeypatch.setenv(key, value)
        yield running


async def directory_app(scopes: tuple[str, ...], consent: str) -> str:
    """The portal steps: a single-tenant app with CLAIMS, `scopes`, a secret, admin consent."""
    graph = graph_client_from_env(CONTOSO.tenant_id)
    app = await graph.create_application(
        {
            "display_name": "Contoso",
            "sign_in_audience": "AzureADMyOrg",
            "redirect_uris": [SOURCE.redirect_uri],
            "id_token_claims": CLAIMS,
            "group_membership_claims": "ApplicationGroup",
            "required_resource_access": [
                {
                    "resource_app_id": MICROSOFT_GRAPH_APP_ID,
                    "resource_access": [{"id": MICROSOFT_GRAPH_SCOPES[s], "type": "Scope"} for s in scopes],
                }
            ],
        }
    )
    await graph.add_password(app["object_id"], "by hand", datetime.now(UTC) + timedelta(days=90))
    client = await graph.create_service_principal(app["app_id"], True)
    api = await graph.get_service_principal_by_app_id(MICROSOFT_GRAPH_APP_ID)
    await graph.grant_admin_consent(client["object_id"], api["object_id"], consent.split())
    return app["app_id"]


def read(client_id: str) -> Any:
    broker = connection_from_keycloak(
        SOURCE.url,
        SOURCE.realm,
        {
            "alias": SOURCE.alias,
            "displayName": "Contoso",
            "providerId": "oidc",
            "config": {
                "clientId": client_id,
                "issuer": f"https://login.microsoftonline.com/{CONTOSO.tenant_id}/v2.0",
                "clientAuthMethod": "client_secret_post",
                "syncMode": "IMPORT",
            },
        },
        [],
    )
    side = asyncio.run(_idp_side(SOURCE, EntraSource(CONTOSO.tenant_id, client_id), broker))
    assert side is not None
    return broker, side


def test_claims_and_consent_beyond_the_spec_are_kept_as_made_and_set_back_as_they_are(
    graph_sandbox: LocalSandbox,
) -> None:
    client_id = asyncio.run(directory_app(SIGN_IN, "openid profile email User.Read offline_access"))
    broker, side = read(client_id)

    assert side.adoption["idTokenClaims"] == [
        {"name": "email", "essential": False, "additionalProperties": []},
        {"name": "upn", "essential": True, "additionalProperties": []},
        {"name": "groups", "essential": False, "additionalProperties": ["sam_account_name"]},
    ]
    assert side.adoption["adminConsentScopes"] == [
        "User.Read",
        "email",
        "offline_access",
        "openid",
        "profile",
    ]
    assert side.identity_provider["optionalClaims"] == ["email"]
    assert any("adoption.idTokenClaims" in extra for extra in side.extras)
    # The stack file's spec is valid, and what the component sets from it is the app and grant as made.
    spec = parse_organization(adoption_spec("contoso", broker, side), "stacks/Pulumi.contoso.yaml")
    assert spec.adoption is not None and spec.identity_provider.kind == "entra"
    assert as_made(spec.adoption, "id_token_claims", []) == CLAIMS
    assert as_made(spec.adoption, "graph_scopes", graph_scopes(spec.identity_provider)) == list(SIGN_IN)
    assert as_made(spec.adoption, "admin_consent_scopes", []) == side.adoption["adminConsentScopes"]


def test_permissions_ssoprov_cannot_manage_stop_adopt_before_anything_is_written(
    graph_sandbox: LocalSandbox,
) -> None:
    client_id = asyncio.run(directory_app(("openid", "offline_access"), "openid"))
    with pytest.raises(ProvisionerError, match=r"cannot manage .*Fix: remove them under API permissions"):
        read(client_id)
