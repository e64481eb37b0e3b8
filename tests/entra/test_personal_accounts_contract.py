"""Graph's rule for personal-account audiences, in the stand-in and through GraphClient.

Real Graph refuses `signInAudience` PersonalMicrosoftAccount (or AzureADandPersonalMicrosoftAccount)
unless the application also asks for v2 access tokens (`api.requestedAccessTokenVersion` 2), on
POST and on PATCH alike: "Property api.requestedAccessTokenVersion is invalid."
"""

from __future__ import annotations

import asyncio

import pytest

from sandbox.graph.seed import CONTOSO
from ssoprov.errors import ApiError
from tests.entra.conftest import ServedGraph
from tests.entra.test_graph_standin import assert_odata_error, new_app

INVALID_VERSION = "Property api.requestedAccessTokenVersion is invalid."


@pytest.mark.parametrize("audience", ["PersonalMicrosoftAccount", "AzureADandPersonalMicrosoftAccount"])
def test_a_personal_account_audience_needs_v2_access_tokens_on_create(
    graph: ServedGraph, audience: str
) -> None:
    with graph.http() as http:
        refused = http.post("/applications", json={"displayName": "Acme", "signInAudience": audience})
        assert assert_odata_error(refused, 400, "Request_BadRequest")["message"] == INVALID_VERSION
        v1 = http.post(
            "/applications",
            json={
                "displayName": "Acme",
                "signInAudience": audience,
                "api": {"requestedAccessTokenVersion": 1},
            },
        )
        assert_odata_error(v1, 400, "Request_BadRequest")
        app = new_app(http, signInAudience=audience, api={"requestedAccessTokenVersion": 2})
    assert app["signInAudience"] == audience
    assert app["api"]["requestedAccessTokenVersion"] == 2
    assert app["api"]["oauth2PermissionScopes"] == []  # the rest of `api` keeps Graph's defaults


def test_patch_checks_the_application_as_it_would_be_stored(graph: ServedGraph) -> None:
    with graph.http() as http:
        app = new_app(http)
        path = f"/applications/{app['id']}"
        alone = http.patch(path, json={"signInAudience": "PersonalMicrosoftAccount"})
        assert assert_odata_error(alone, 400, "Request_BadRequest")["message"] == INVALID_VERSION
        together = {"signInAudience": "PersonalMicrosoftAccount", "api": {"requestedAccessTokenVersion": 2}}
        assert http.patch(path, json=together).status_code == 204
        back_to_v1 = http.patch(path, json={"api": {"requestedAccessTokenVersion": 1}})
        assert_odata_error(back_to_v1, 400, "Request_BadRequest")
        # Leaving personal accounts keeps v2 tokens, which every audience accepts.
        assert http.patch(path, json={"signInAudience": "AzureADMyOrg"}).status_code == 204
        stored = http.get(path).json()
    assert stored["signInAudience"] == "AzureADMyOrg"
    assert stored["api"]["requestedAccessTokenVersion"] == 2


def test_api_accepts_only_its_known_properties_and_values(graph: ServedGraph) -> None:
    with graph.http() as http:
        for api in ({"requestedAccessTokenVersion": 3}, {"requestedAccessTokenVersion": True}):
            response = http.post("/applications", json={"displayName": "Acme", "api": api})
            assert_odata_error(response, 400, "Request_BadRequest")
        unknown = http.post("/applications", json={"displayName": "Acme", "api": {"nope": 1}})
        assert assert_odata_error(unknown, 400, "Request_BadRequest")["message"] == "Invalid property 'nope'."


def test_graph_client_sets_and_reads_the_access_token_version(graph: ServedGraph) -> None:
    client = graph.client()
    with pytest.raises(ApiError, match="requestedAccessTokenVersion is invalid"):
        asyncio.run(
            client.create_application(
                {"display_name": "Acme", "sign_in_audience": "PersonalMicrosoftAccount"}
            )
        )
    created = asyncio.run(
        client.create_application(
            {
                "display_name": "Acme",
                "sign_in_audience": "PersonalMicrosoftAccount",
                "requested_access_token_version": 2,
            }
        )
    )
    assert created["requested_access_token_version"] == 2
    other = asyncio.run(client.create_application({"display_name": "Other"}))
    assert other["requested_access_token_version"] is None


def test_graph_client_reads_one_assignment(graph: ServedGraph) -> None:
    client = graph.client()

    async def scenario() -> tuple[dict, dict]:
        app = await client.create_application({"display_name": "Acme"})
        sp = await client.create_service_principal(app["app_id"])
        made = await client.assign(sp["object_id"], CONTOSO.group("Engineering").id)
        return dict(made), dict(await client.get_assignment(sp["object_id"], made["assignment_id"]))

    made, read = asyncio.run(scenario())
    assert read == made
    assert read["principal_type"] == "Group"
