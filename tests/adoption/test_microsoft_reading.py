"""Adopting Microsoft OAuth ("Sign in with Microsoft", personal accounts): the app registration made
by hand, read from the Graph stand-in over real HTTP, and Keycloak's Microsoft provider, become a
valid `kind: microsoft` spec; a directory app behind a Microsoft provider is refused."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from sandbox.environment import LocalSandbox
from sandbox.graph.seed import CONTOSO
from ssoprov.adoption.command import EntraSource, KeycloakSource, _idp_side, adoption_spec
from ssoprov.adoption.keycloak import connection_from_keycloak
from ssoprov.entra.graph_client import graph_client_from_env
from ssoprov.errors import ProvisionerError
from ssoprov.spec.loading import parse_organization

SOURCE = KeycloakSource("https://sso.example.com", "customers", "consumer-microsoft")
GRAPH_SCOPES = (
    "37f7f235-527c-4136-accd-4a02d197296e",
    "14dad69e-099b-42c9-810b-d002981feec1",
    "64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0",
)
"""openid, profile, email: what the app needs for its optional claims, as the portal adds them."""


@pytest.fixture
def graph_sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalSandbox]:
    with LocalSandbox(with_keycloak=False) as running:
        for key, value in running.engine_env().items():
            monkeypatch.setenv(key, value)
        yield running


async def personal_accounts_app(audience: str = "PersonalMicrosoftAccount") -> tuple[str, str]:
    """The portal steps: a registration for personal accounts, email in the ID token, a secret."""
    graph = graph_client_from_env(CONTOSO.tenant_id)
    app = await graph.create_application(
        {
            "display_name": "Sign in with Microsoft (consumers)",
            "sign_in_audience": audience,
            "requested_access_token_version": 2,
            "redirect_uris": [SOURCE.redirect_uri, "https://app.example.com/legacy"],
            "id_token_claims": [{"name": "email", "essential": False, "additional_properties": []}],
            "required_resource_access": [
                {
                    "resource_app_id": "00000003-0000-0000-c000-000000000000",
                    "resource_access": [{"id": scope, "type": "Scope"} for scope in GRAPH_SCOPES],
                }
            ],
        }
    )
    secret = await graph.add_password(app["object_id"], "by hand", datetime.now(UTC) + timedelta(days=90))
    return app["app_id"], secret["key_id"]


def microsoft_provider(client_id: str) -> dict:
    return {
        "alias": SOURCE.alias,
        "displayName": "Microsoft",
        "providerId": "microsoft",
        "config": {"clientId": client_id, "clientSecret": "**********", "syncMode": "IMPORT"},
    }


MAPPERS = [
    {
        "name": "all users",
        "identityProviderMapper": "oidc-hardcoded-role-idp-mapper",
        "config": {"role": "member", "syncMode": "INHERIT"},
    },
    {
        "name": "admins by claim",
        "identityProviderMapper": "oidc-role-idp-mapper",
        "config": {"claim": "groups", "claim.value": "x", "role": "admin", "syncMode": "INHERIT"},
    },
]


def test_a_personal_accounts_app_behind_keycloaks_microsoft_provider_adopts_as_kind_microsoft(
    graph_sandbox: LocalSandbox,
) -> None:
    client_id, secret_id = asyncio.run(personal_accounts_app())
    broker = connection_from_keycloak(SOURCE.url, SOURCE.realm, microsoft_provider(client_id), MAPPERS)
    side = asyncio.run(_idp_side(SOURCE, EntraSource(CONTOSO.tenant_id, client_id), broker))
    assert side is not None

    assert side.identity_provider == {
        "kind": "microsoft",
        "tenantId": CONTOSO.tenant_id,
        "extraRedirectUris": ["https://app.example.com/legacy"],
        "optionalClaims": ["email"],
    }
    assert side.adoption == {"clientId": client_id, "secretId": secret_id}
    assert side.extras == []
    assert broker.extras == [
        "Keycloak mapper 'admins by claim' (oidc-role-idp-mapper): kept as it is, not managed"
    ]
    spec = parse_organization(adoption_spec("consumers", broker, side), "stacks/Pulumi.consumers.yaml")
    assert spec.identity_provider.kind == "microsoft" and spec.default_role == "member"
    assert spec.adoption is not None and spec.adoption.default_role_mapper_name == "all users"


def test_a_directory_app_behind_a_microsoft_provider_is_refused(graph_sandbox: LocalSandbox) -> None:
    client_id, _ = asyncio.run(personal_accounts_app("AzureADMyOrg"))
    graph = graph_client_from_env(CONTOSO.tenant_id)
    asyncio.run(graph.create_service_principal(client_id, False))  # the portal makes one for a directory app
    broker = connection_from_keycloak(SOURCE.url, SOURCE.realm, microsoft_provider(client_id), [])
    with pytest.raises(ProvisionerError, match=r"it is a microsoft connection, and app .* is a entra app"):
        asyncio.run(_idp_side(SOURCE, EntraSource(CONTOSO.tenant_id, client_id), broker))
