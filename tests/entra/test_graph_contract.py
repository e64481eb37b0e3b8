"""The Graph contract check finds what msgraph-sdk's models would not take, and the stand-in passes it."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from msgraph.generated.models.application import Application
from msgraph.generated.models.informational_url import InformationalUrl
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.parental_control_settings import ParentalControlSettings

from sandbox.graph.seed import MICROSOFT_GRAPH_APP_ID
from tests.entra.conftest import ServedGraph
from tests.support.graph_contract import ServedBody, contract_violations

APPLICATION = "https://graph.example/v1.0/$metadata#applications/$entity"


def violations(document: dict[str, Any]) -> list[str]:
    return contract_violations(
        [ServedBody("GET", "/v1.0/applications/a", 200, json.dumps(document).encode())]
    )


def test_a_property_the_model_does_not_know_is_found_at_any_depth() -> None:
    assert violations({"@odata.context": APPLICATION, "id": "a", "homepage": "https://x"}) == [
        "200 GET /v1.0/applications/a: Application does not know ['homepage']"
    ]
    nested = {"@odata.context": APPLICATION, "id": "a", "web": {"redirectUris": [], "logoutUri": "https://x"}}
    assert violations(nested) == ["200 GET /v1.0/applications/a: Application.web does not know ['logoutUri']"]
    listed = {
        "@odata.context": "https://graph.example/v1.0/$metadata#groups(id,displayName)",
        "value": [{"id": "g", "displayName": "Sales", "memberCount": 3}],
    }
    assert violations(listed) == [
        "200 GET /v1.0/applications/a: GroupCollectionResponse.value[0] does not know ['memberCount']"
    ]


def test_a_value_of_the_wrong_type_is_found() -> None:
    assert violations({"@odata.context": APPLICATION, "id": "a", "signInAudience": 1}) == [
        "200 GET /v1.0/applications/a: Application.signInAudience: 1 was dropped by the model"
    ]
    assert violations({"@odata.context": APPLICATION, "id": "a", "web": "https://x"}) == [
        "200 GET /v1.0/applications/a: Application.web: the value 'https://x' became {}"
    ]
    (unparsable,) = violations({"@odata.context": APPLICATION, "passwordCredentials": [{"keyId": "k1"}]})
    assert "Application cannot parse it" in unparsable


def test_errors_are_checked_and_an_unknown_context_is_a_finding() -> None:
    error = {"error": {"code": "c", "message": "m", "innerError": {"request-id": "r", "trace": "t"}}}
    assert violations(error) == [
        "200 GET /v1.0/applications/a: ODataError.error.inner_error does not know ['trace']"
    ]
    unknown = {"@odata.context": "https://graph.example/v1.0/$metadata#widgets", "value": []}
    assert violations(unknown) == [
        "200 GET /v1.0/applications/a: no msgraph model for @odata.context "
        "'https://graph.example/v1.0/$metadata#widgets'"
    ]


def test_everything_the_stand_in_serves_to_the_client_holds_to_the_contract(graph: ServedGraph) -> None:
    client = graph.client()
    app = asyncio.run(
        client.create_application({"display_name": "Contract", "redirect_uris": ["https://x.example/cb"]})
    )
    asyncio.run(client.add_password(app["object_id"], "broker", datetime.now(UTC) + timedelta(days=30)))
    service_principal = asyncio.run(client.create_service_principal(app["app_id"]))
    asyncio.run(client.get_service_principal_by_app_id(app["app_id"]))
    engineering = asyncio.run(client.resolve_group("Engineering"))
    assignment = asyncio.run(client.assign(service_principal["object_id"], engineering))
    asyncio.run(client.get_assignment(service_principal["object_id"], assignment["assignment_id"]))
    graph_sp = asyncio.run(client.get_service_principal_by_app_id(MICROSOFT_GRAPH_APP_ID))
    grant = asyncio.run(
        client.grant_admin_consent(service_principal["object_id"], graph_sp["object_id"], ["openid"])
    )
    asyncio.run(client.grant_admin_consent(service_principal["object_id"], graph_sp["object_id"], ["email"]))
    asyncio.run(client.get_grant(grant["grant_id"]))
    role = {
        "id": "4d4f5b0e-7a3d-4e71-9b1f-0d2e8a7c6b51",
        "value": "developer",
        "display_name": "developer",
        "description": "Broker role developer",
        "allowed_member_types": ["User"],
        "is_enabled": True,
    }
    asyncio.run(client.set_app_roles(app["object_id"], [role], action="setting app role"))
    assert asyncio.run(client.get_app_roles(app["object_id"])) == [role]
    assert asyncio.run(client.count_groups_of("alice@contoso.example")) == 4
    with graph.http() as http:
        for path in [
            "/applications",
            f"/applications/{app['object_id']}?$select=id,passwordCredentials",
            f"/servicePrincipals/{service_principal['object_id']}",
            "/users",
            "/users/alice%40contoso.example/memberOf",
            f"/groups/{engineering}",
            f"/groups/{engineering}/members",
            "/groups?$filter=displayName eq 'Nobody'",
            "/users/nobody%40contoso.example",
        ]:
            http.get(path)
        http.post("/servicePrincipals", json={"appId": "11111111-1111-1111-1111-111111111111"})
    served = graph.recorder.responses
    assert len(served) >= 17 and {body.status for body in served} >= {200, 201, 400, 404}
    assert contract_violations(served) == []


def test_application_properties_graph_documents_as_updatable_are_taken_from_the_sdk(
    graph: ServedGraph,
) -> None:
    client = graph.client()
    app = asyncio.run(client.create_application({"display_name": "Documented"}))
    body = Application(
        info=InformationalUrl(marketing_url="https://acme.example", support_url="https://acme.example/help"),
        is_device_only_auth_supported=False,
        saml_metadata_url="https://acme.example/saml/metadata",
        default_redirect_uri="https://acme.example/acs",
        parental_control_settings=ParentalControlSettings(
            countries_blocked_for_minors=["DE"], legal_age_group_rule="BlockMinors"
        ),
    )

    async def patch(sent: Application) -> None:
        async with client._graph() as sdk:
            await sdk.applications.by_application_id(app["object_id"]).patch(sent)

    asyncio.run(patch(body))
    stored = graph.standin.store.stored_application(app["object_id"])
    assert stored["info"]["marketingUrl"] == "https://acme.example" and stored["info"]["logoUrl"] is None
    assert (stored["samlMetadataUrl"], stored["defaultRedirectUri"], stored["isDeviceOnlyAuthSupported"]) == (
        "https://acme.example/saml/metadata",
        "https://acme.example/acs",
        False,
    )
    assert stored["parentalControlSettings"] == {
        "countriesBlockedForMinors": ["DE"],
        "legalAgeGroupRule": "BlockMinors",
    }
    for refused in (
        Application(info=InformationalUrl(logo_url="https://cdn.example/logo.png")),  # read-only
        Application(parental_control_settings=ParentalControlSettings(legal_age_group_rule="Sometimes")),
    ):
        with pytest.raises(ODataError) as caught:
            asyncio.run(patch(refused))
        assert caught.value.response_status_code == 400
    assert graph.standin.store.stored_application(app["object_id"]) == stored
    assert contract_violations(graph.recorder.responses) == []
