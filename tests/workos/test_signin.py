"""WorkOS's SSO sign-in in the stand-in, driven as an app (the workos SDK) and a browser would,
through an Entra app in the Graph stand-in: the profile as the SDK reads it, and a connection
whose client secret the IdP refuses signs nobody in; attribute_maps' standard and custom attributes
name the claims the profile's fields come from."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from sandbox.common.oidc_issuer import SANDBOX_USER_PASSWORD
from sandbox.environment import LocalSandbox
from sandbox.graph.seed import CONTOSO
from sandbox.workos import INITECH
from sandbox.workos.signin import CALLBACK_PATH
from ssoprov.brokers.workos.verify_login import verify_workos_login
from ssoprov.entra.component import discovery_url
from ssoprov.entra.graph_client import graph_client_from_env
from tests.support.workos_app import APP_REDIRECT_URI, workos_app


@pytest.fixture
def sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalSandbox]:
    with LocalSandbox(with_keycloak=False) as running:
        for key, value in running.engine_env().items():
            monkeypatch.setenv(key, value)
        running.workos.store.redirect_uris.add(APP_REDIRECT_URI)
        yield running


async def entra_app(redirect_uri: str) -> tuple[str, str]:
    """An app whose ID tokens carry the assigned groups; frank is assigned through Engineering."""
    graph = graph_client_from_env(CONTOSO.tenant_id)
    app = await graph.create_application(
        {
            "display_name": "Contoso via WorkOS",
            "sign_in_audience": "AzureADMyOrg",
            "redirect_uris": [redirect_uri],
            "id_token_claims": [{"name": "email", "essential": False, "additional_properties": []}],
            "group_membership_claims": "SecurityGroup",
        }
    )
    secret = await graph.add_password(app["object_id"], "WorkOS", datetime.now(UTC) + timedelta(days=30))
    return app["app_id"], secret["secret_text"]


def connection(
    sandbox: LocalSandbox, client_id: str, secret: str, *, redirect_uri: str | None, maps: dict | None = None
) -> str:
    """An EntraIdOIDC connection; without `redirect_uri`, WorkOS's own generated one is used."""
    options = {
        "discovery_endpoint": discovery_url(CONTOSO.tenant_id),
        "client_id": client_id,
        "client_secret": secret,
        "token_authentication_method": "client_secret_post",
    }
    if redirect_uri is not None:
        options["redirect_uri"] = redirect_uri
    with httpx.Client(
        base_url=sandbox.workos_url, headers={"Authorization": f"Bearer {sandbox.workos_api_key}"}
    ) as api:
        created = api.post(
            "/connections",
            json={
                "organization_id": INITECH.id,
                "connection_type": "EntraIdOIDC",
                "oidc_options": options,
                **({} if maps is None else {"attribute_maps": maps}),
            },
        )
    created.raise_for_status()
    return created.json()["id"]


def test_a_sign_in_ends_with_the_profile_and_a_wrong_secret_ends_it_at_the_callback(
    sandbox: LocalSandbox,
) -> None:
    client_id, secret = asyncio.run(entra_app(sandbox.workos_url + CALLBACK_PATH))
    maps = {"standard_attributes": {"idp_id": "preferred_username"}, "custom_attributes": {"tenant": "tid"}}
    good = connection(sandbox, client_id, secret, redirect_uri=None, maps=maps)
    bad = connection(sandbox, client_id, secret + "-typo", redirect_uri=sandbox.workos_url + CALLBACK_PATH)

    def sign_in(connection_id: str):
        app = workos_app(sandbox.workos_url, sandbox.workos_api_key, sandbox.workos.client_id)
        return verify_workos_login(
            app, connection_id, login="bob@contoso.example", password=SANDBOX_USER_PASSWORD
        )

    signed_in = sign_in(good)
    assert signed_in.signed_in, signed_in.detail
    assert signed_in.claims["email"] == "bob@contoso.example" and signed_in.roles == ["member"]
    assert signed_in.claims["idp_id"] == "bob@contoso.example"  # attribute_maps: idp_id from the UPN
    assert signed_in.claims["custom_attributes"] == {"tenant": CONTOSO.tenant_id}
    engineering = asyncio.run(graph_client_from_env(CONTOSO.tenant_id).resolve_group("Engineering"))
    assert engineering in signed_in.claims["groups"]

    refused = sign_in(bad)
    assert not refused.signed_in
    assert "invalid_client" in refused.detail or "invalid_grant" in refused.detail
