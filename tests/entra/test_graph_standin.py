"""The Graph stand-in holds to Graph's wire contract: paths, shapes, status codes, OData errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from sandbox.graph.seed import CONTOSO, MICROSOFT_GRAPH_APP_ID, MICROSOFT_GRAPH_SCOPES
from tests.entra.conftest import ServedGraph

DEFAULT_ROLE = "00000000-0000-0000-0000-000000000000"


def assert_odata_error(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    assert set(error["innerError"]) == {"date", "request-id", "client-request-id"}
    assert response.headers["request-id"] == error["innerError"]["request-id"]
    return error


def new_app(http: httpx.Client, **body: object) -> dict:
    response = http.post("/applications", json={"displayName": "Acme SSO", **body})
    assert response.status_code == 201, response.text
    return response.json()


def test_every_call_needs_a_bearer_token(graph: ServedGraph) -> None:
    with graph.http(token=None) as http:
        error = assert_odata_error(http.get("/applications"), 401, "InvalidAuthenticationToken")
        assert error["message"] == "Access token is empty."
        basic = http.get("/applications", headers={"Authorization": "Basic abc"})
        assert_odata_error(basic, 401, "InvalidAuthenticationToken")
    with graph.http() as http:
        echoed = http.get("/applications", headers={"client-request-id": "abc-123"})
        assert echoed.headers["client-request-id"] == "abc-123"


def test_create_application_answers_201_with_the_full_graph_shape(graph: ServedGraph) -> None:
    with graph.http() as http:
        app = new_app(
            http,
            signInAudience="AzureADMyOrg",
            web={"redirectUris": ["https://auth.example.com/callback", "http://localhost:8080/cb"]},
            optionalClaims={"idToken": [{"name": "email", "essential": False}]},
            groupMembershipClaims="SecurityGroup",
            requiredResourceAccess=[
                {
                    "resourceAppId": MICROSOFT_GRAPH_APP_ID,
                    "resourceAccess": [{"id": MICROSOFT_GRAPH_SCOPES["openid"], "type": "Scope"}],
                }
            ],
        )
    assert app["@odata.context"].endswith("/v1.0/$metadata#applications/$entity")
    assert app["displayName"] == "Acme SSO"
    assert app["id"] != app["appId"]
    assert app["createdDateTime"].endswith("Z")
    assert app["passwordCredentials"] == []
    assert app["web"]["redirectUris"] == ["https://auth.example.com/callback", "http://localhost:8080/cb"]
    assert app["web"]["implicitGrantSettings"] == {
        "enableAccessTokenIssuance": False,
        "enableIdTokenIssuance": False,
    }
    assert app["optionalClaims"]["idToken"] == [
        {"additionalProperties": [], "essential": False, "name": "email", "source": None}
    ]
    assert app["groupMembershipClaims"] == "SecurityGroup"
    assert app["publisherDomain"] == CONTOSO.domain


def test_application_read_update_delete(graph: ServedGraph) -> None:
    with graph.http() as http:
        app = new_app(http)
        by_app_id = http.get(f"/applications(appId='{app['appId']}')")
        assert by_app_id.status_code == 200 and by_app_id.json()["id"] == app["id"]

        patched = http.patch(f"/applications/{app['id']}", json={"displayName": "Renamed"})
        assert patched.status_code == 204 and patched.content == b""
        assert http.get(f"/applications/{app['id']}").json()["displayName"] == "Renamed"

        selected = http.get(f"/applications/{app['id']}", params={"$select": "id,displayName"}).json()
        assert set(selected) == {"@odata.context", "id", "displayName"}
        assert selected["@odata.context"].endswith("/v1.0/$metadata#applications(id,displayName)/$entity")

        listed = http.get("/applications", params={"$filter": f"appId eq '{app['appId']}'"}).json()
        assert listed["@odata.context"].endswith("$metadata#applications")
        assert [a["id"] for a in listed["value"]] == [app["id"]]

        assert http.delete(f"/applications/{app['id']}").status_code == 204
        error = assert_odata_error(http.get(f"/applications/{app['id']}"), 404, "Request_ResourceNotFound")
        assert app["id"] in error["message"]
        assert_odata_error(http.delete(f"/applications/{app['id']}"), 404, "Request_ResourceNotFound")


def test_a_patch_replaces_a_complex_property_whole(graph: ServedGraph) -> None:
    """Graph does not promise to merge nested values: what a PATCH of `web` leaves out is reset."""
    portal_web = {
        "redirectUris": ["https://auth.example.com/cb"],
        "logoutUrl": "https://app.example.com/logout",
        "homePageUrl": "https://app.example.com",
        "implicitGrantSettings": {"enableIdTokenIssuance": True},
        "redirectUriSettings": [{"uri": "https://auth.example.com/cb", "index": None}],
    }
    with graph.http() as http:
        app = new_app(http, web=portal_web)
        item = f"/applications/{app['id']}"
        assert http.get(item).json()["web"]["implicitGrantSettings"] == {
            "enableAccessTokenIssuance": False,
            "enableIdTokenIssuance": True,
        }
        assert (
            http.patch(item, json={"web": {"redirectUris": ["https://auth.example.com/new"]}}).status_code
            == 204
        )
        assert http.get(item).json()["web"] == {
            "homePageUrl": None,
            "logoutUrl": None,
            "redirectUris": ["https://auth.example.com/new"],
            "implicitGrantSettings": {"enableAccessTokenIssuance": False, "enableIdTokenIssuance": False},
            "redirectUriSettings": [],
        }
        # Sent back whole, the portal's values stay.
        assert (
            http.patch(
                item, json={"web": {**portal_web, "redirectUris": ["https://auth.example.com/new"]}}
            ).status_code
            == 204
        )
        assert http.get(item).json()["web"] == {
            **portal_web,
            "redirectUris": ["https://auth.example.com/new"],
            "implicitGrantSettings": {"enableAccessTokenIssuance": False, "enableIdTokenIssuance": True},
        }


def test_application_payloads_are_validated_like_graph(graph: ServedGraph) -> None:
    unknown_scope = {"id": "11111111-1111-1111-1111-111111111111", "type": "Scope"}
    bad_bodies = [
        ({"displayName": "x", "signInAudience": "Everyone"}, "'signInAudience' of resource 'Application'"),
        ({"displayName": "x", "web": {"redirectUris": ["http://auth.example.com/cb"]}}, "'web'"),
        ({"displayName": "x", "web": {"redirectUris": ["https://auth.example.com/cb#x"]}}, "'web'"),
        ({"displayName": "x", "web": {"redirectUris": ["/callback"]}}, "'web'"),
        ({"signInAudience": "AzureADMyOrg"}, "'displayName'"),
        ({"displayName": "x", "groupMembershipClaims": "Everything"}, "'groupMembershipClaims'"),
        (
            {
                "displayName": "x",
                "requiredResourceAccess": [
                    {"resourceAppId": MICROSOFT_GRAPH_APP_ID, "resourceAccess": [unknown_scope]}
                ],
            },
            "'resourceAccess' of resource 'RequiredResourceAccess'",
        ),
        ({"displayName": "x", "homepage": "https://x"}, "Invalid property 'homepage'."),
        ({"displayName": "x", "appId": "11111111-1111-1111-1111-111111111111"}, "'appId' is read-only"),
    ]
    with graph.http() as http:
        for body, expected in bad_bodies:
            error = assert_odata_error(http.post("/applications", json=body), 400, "Request_BadRequest")
            assert expected in error["message"], (body, error["message"])
        not_json = http.post("/applications", content=b"{", headers={"Content-Type": "application/json"})
        assert_odata_error(not_json, 400, "BadRequest")
        app = new_app(http)
        bad_patch = http.patch(f"/applications/{app['id']}", json={"signInAudience": "Nobody"})
        assert_odata_error(bad_patch, 400, "Request_BadRequest")
    assert graph.standin.store.get_application(app["id"])["signInAudience"] == "AzureADMyOrg"


def test_add_password_returns_the_secret_once(graph: ServedGraph) -> None:
    end = (datetime.now(UTC) + timedelta(days=90)).isoformat()
    with graph.http() as http:
        app = new_app(http)
        added = http.post(
            f"/applications/{app['id']}/addPassword",
            json={"passwordCredential": {"displayName": "broker", "endDateTime": end}},
        )
        assert added.status_code == 200
        secret = added.json()
        assert secret["@odata.context"].endswith("$metadata#microsoft.graph.passwordCredential")
        assert len(secret["secretText"]) >= 16 and secret["hint"] == secret["secretText"][:3]
        assert secret["displayName"] == "broker" and secret["endDateTime"].endswith("Z")
        assert {"keyId", "startDateTime", "customKeyIdentifier"} <= set(secret)

        stored = http.get(f"/applications/{app['id']}").json()["passwordCredentials"]
        assert [(c["keyId"], c["secretText"], c["hint"]) for c in stored] == [
            (secret["keyId"], None, secret["hint"])
        ]

        past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
        expired = http.post(
            f"/applications/{app['id']}/addPassword", json={"passwordCredential": {"endDateTime": past}}
        )
        assert "endDateTime" in assert_odata_error(expired, 400, "Request_BadRequest")["message"]
        default = http.post(f"/applications/{app['id']}/addPassword", json={"passwordCredential": {}}).json()
        lifetime = datetime.fromisoformat(default["endDateTime"]) - datetime.fromisoformat(
            default["startDateTime"]
        )
        assert lifetime == timedelta(days=730)

        remove = {"keyId": secret["keyId"]}
        assert http.post(f"/applications/{app['id']}/removePassword", json=remove).status_code == 204
        again = http.post(f"/applications/{app['id']}/removePassword", json=remove)
        assert_odata_error(again, 400, "Request_BadRequest")


def test_service_principals_and_assignments(graph: ServedGraph) -> None:
    alice = CONTOSO.user("alice@contoso.example").id
    with graph.http() as http:
        app = new_app(http)
        created = http.post(
            "/servicePrincipals", json={"appId": app["appId"], "appRoleAssignmentRequired": True}
        )
        assert created.status_code == 201
        sp = created.json()
        assert sp["appId"] == app["appId"] and sp["appRoleAssignmentRequired"] is True
        assert sp["servicePrincipalNames"] == [app["appId"]]
        duplicate = http.post("/servicePrincipals", json={"appId": app["appId"]})
        assert_odata_error(duplicate, 409, "Request_MultipleObjectsWithSameKeyValue")
        unknown_app = http.post("/servicePrincipals", json={"appId": "11111111-1111-1111-1111-111111111111"})
        error = assert_odata_error(unknown_app, 400, "Request_BadRequest")
        assert "does not reference a valid application object" in error["message"]
        assert http.get(f"/servicePrincipals(appId='{app['appId']}')").json()["id"] == sp["id"]

        body = {
            "principalId": alice,
            "resourceId": sp["id"],
            "appRoleId": "00000000-0000-0000-0000-000000000000",
        }
        assigned = http.post(f"/servicePrincipals/{sp['id']}/appRoleAssignedTo", json=body)
        assert assigned.status_code == 201
        assignment = assigned.json()
        assert assignment["principalType"] == "User" and assignment["principalDisplayName"] == "Alice Anders"
        assert assignment["resourceDisplayName"] == "Acme SSO"
        twice = http.post(f"/servicePrincipals/{sp['id']}/appRoleAssignedTo", json=body)
        assert "already exists" in assert_odata_error(twice, 400, "Request_BadRequest")["message"]
        nobody = {**body, "principalId": "11111111-1111-1111-1111-111111111111"}
        missing = http.post(f"/servicePrincipals/{sp['id']}/appRoleAssignedTo", json=nobody)
        assert_odata_error(missing, 404, "Request_ResourceNotFound")

        listed = http.get(f"/servicePrincipals/{sp['id']}/appRoleAssignedTo").json()
        assert listed["@odata.context"].endswith(f"servicePrincipals('{sp['id']}')/appRoleAssignedTo")
        assert [a["id"] for a in listed["value"]] == [assignment["id"]]
        gone = http.delete(f"/servicePrincipals/{sp['id']}/appRoleAssignedTo/{assignment['id']}")
        assert gone.status_code == 204
        assert http.get(f"/servicePrincipals/{sp['id']}/appRoleAssignedTo").json()["value"] == []

        assert (
            http.patch(
                f"/servicePrincipals/{sp['id']}", json={"appRoleAssignmentRequired": False}
            ).status_code
            == 204
        )
        assert http.get(f"/servicePrincipals/{sp['id']}").json()["appRoleAssignmentRequired"] is False


def test_groups_filter_select_and_ambiguous_names(graph: ServedGraph) -> None:
    with graph.http() as http:
        support = http.get(
            "/groups", params={"$filter": "displayName eq 'Support'", "$select": "id,displayName"}
        )
        body = support.json()
        assert body["@odata.context"].endswith("$metadata#groups(id,displayName)")
        assert len(body["value"]) == 2 and all(set(g) == {"id", "displayName"} for g in body["value"])
        lower = http.get("/groups", params={"$filter": "displayName eq 'engineering'"}).json()["value"]
        assert [g["id"] for g in lower] == [CONTOSO.group("Engineering").id]
        quoted = http.get("/groups", params={"$filter": "displayName eq 'O''Brien''s team'"}).json()
        assert quoted["value"] == []
        unsupported = http.get("/groups", params={"$filter": "visibility eq 'Public'"})
        assert_odata_error(unsupported, 400, "Request_UnsupportedQuery")
        broken = http.get("/groups", params={"$filter": "displayName eq"})
        assert_odata_error(broken, 400, "BadRequest")
        group = http.get(f"/groups/{CONTOSO.group('Admins').id}").json()
        assert group["securityEnabled"] is True and group["@odata.context"].endswith("groups/$entity")


def test_users_by_percent_encoded_upn_and_memberships(graph: ServedGraph) -> None:
    with graph.http() as http:
        alice = http.get("/users/alice%40contoso.example")
        assert alice.status_code == 200
        assert alice.json()["givenName"] == "Alice" and alice.json()["mail"] == "alice@contoso.example"
        upper = http.get("/users/ALICE%40contoso.example").json()
        assert upper["id"] == alice.json()["id"]
        error = assert_odata_error(http.get("/users/zed%40contoso.example"), 404, "Request_ResourceNotFound")
        assert "zed@contoso.example" in error["message"]
        by_filter = http.get(
            "/users", params={"$filter": "userPrincipalName eq 'bob@contoso.example'"}
        ).json()
        assert [u["surname"] for u in by_filter["value"]] == ["Berg"]

        member_of = http.get(f"/users/{alice.json()['id']}/memberOf").json()
        assert member_of["@odata.context"].endswith("$metadata#directoryObjects")
        assert {g["displayName"] for g in member_of["value"]} == {"Engineering", "Admins", "Everyone"}
        assert {g["@odata.type"] for g in member_of["value"]} == {"#microsoft.graph.group"}
        members = http.get(f"/groups/{CONTOSO.group('Leadership').id}/members").json()["value"]
        assert {(m["@odata.type"], m["displayName"]) for m in members} == {
            ("#microsoft.graph.user", "Carol Castillo"),
            ("#microsoft.graph.user", "Frank Fischer"),
            ("#microsoft.graph.group", "Admins"),
        }


def test_collections_page_with_next_links(graph: ServedGraph) -> None:
    seen: list[str] = []
    with graph.http() as http:
        page = http.get("/users", params={"$top": "4"}).json()
        seen += [u["id"] for u in page["value"]]
        assert "@odata.nextLink" in page
        page = http.get(page["@odata.nextLink"]).json()
        seen += [u["id"] for u in page["value"]]
        assert "@odata.nextLink" not in page
        assert_odata_error(http.get("/users", params={"$top": "0"}), 400, "Request_BadRequest")
        assert_odata_error(
            http.get("/users", params={"$orderby": "displayName"}), 400, "Request_UnsupportedQuery"
        )
    assert sorted(seen) == sorted(u.id for u in CONTOSO.users)


def test_faults_render_in_graph_shape(graph: ServedGraph) -> None:
    graph.standin.faults.configure(throttle_count=1, throttle_wait_seconds=2.5)
    with graph.http() as http:
        throttled = http.get("/applications")
        assert_odata_error(throttled, 429, "TooManyRequests")
        assert throttled.headers["Retry-After"] == "3"
        assert http.get("/applications").status_code == 200
        graph.standin.faults.configure(server_error_count=1, server_error_status=503)
        assert_odata_error(http.get("/applications"), 503, "serviceNotAvailable")
        graph.standin.faults.configure(server_error_count=1, server_error_status=500)
        assert_odata_error(http.get("/applications"), 500, "generalException")


def test_read_only_tokens_may_read_but_not_write(graph: ServedGraph) -> None:
    graph.standin.store.read_only_tokens.add("reader")
    with graph.http(token="reader") as http:
        assert http.get("/groups").status_code == 200
        denied = http.post("/applications", json={"displayName": "x"})
        assert_odata_error(denied, 403, "Authorization_RequestDenied")


def test_unknown_paths_and_methods(graph: ServedGraph) -> None:
    with graph.http() as http:
        error = assert_odata_error(http.get("/widgets"), 400, "BadRequest")
        assert "widgets" in error["message"]
        assert_odata_error(http.put("/applications"), 405, "Request_BadRequest")


class SteppedClock:
    """The tenant's clock, moved by hand: the lag's phases without sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def lagging(graph: ServedGraph) -> SteppedClock:
    """A ten-second replication lag on a clock the test moves."""
    clock = SteppedClock()
    graph.standin.store.clock = clock
    graph.standin.store.replication_lag_seconds = 10.0
    return clock


def assignment_body(principal_id: str, resource_id: str) -> dict[str, str]:
    return {"principalId": principal_id, "resourceId": resource_id, "appRoleId": DEFAULT_ROLE}


def test_a_new_application_is_unknown_by_id_for_half_the_lag(
    graph: ServedGraph, lagging: SteppedClock
) -> None:
    end = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    with graph.http() as http:
        app = new_app(http)
        item = f"/applications/{app['id']}"
        for response in [
            http.get(item),
            http.get(f"/applications(appId='{app['appId']}')"),
            http.patch(item, json={"displayName": "Renamed"}),
            http.post(f"{item}/addPassword", json={"passwordCredential": {"endDateTime": end}}),
            http.delete(item),
        ]:
            error = assert_odata_error(response, 404, "Request_ResourceNotFound")
            assert error["message"].startswith("Resource '") and "does not exist" in error["message"]
        listed = http.get("/applications", params={"$filter": f"appId eq '{app['appId']}'"}).json()
        assert listed["value"] == []

        lagging.now += 5
        assert http.get(item).json()["id"] == app["id"]
        assert http.patch(item, json={"displayName": "Renamed"}).status_code == 204
        assert http.get("/applications", params={"$filter": f"appId eq '{app['appId']}'"}).json()["value"]


def test_a_new_password_is_missing_from_reads_for_the_whole_lag(
    graph: ServedGraph, lagging: SteppedClock
) -> None:
    end = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    with graph.http() as http:
        app = new_app(http)
        lagging.now += 20
        added = http.post(
            f"/applications/{app['id']}/addPassword", json={"passwordCredential": {"endDateTime": end}}
        )
        assert added.status_code == 200 and added.json()["keyId"]
        lagging.now += 9.9
        assert http.get(f"/applications/{app['id']}").json()["passwordCredentials"] == []
        by_app_id = http.get(f"/applications(appId='{app['appId']}')").json()
        assert by_app_id["passwordCredentials"] == []
        lagging.now += 0.1
        shown = http.get(f"/applications/{app['id']}").json()["passwordCredentials"]
        assert [c["keyId"] for c in shown] == [added.json()["keyId"]]


def test_a_service_principal_for_a_new_application_has_no_backing_application_for_the_lag(
    graph: ServedGraph, lagging: SteppedClock
) -> None:
    with graph.http() as http:
        app = new_app(http)
        lagging.now += 9.9  # readable by id by now, but not yet a valid reference
        assert http.get(f"/applications/{app['id']}").status_code == 200
        early = http.post("/servicePrincipals", json={"appId": app["appId"]})
        error = assert_odata_error(early, 400, "Request_BadRequest")
        assert error["message"] == (
            f"The appId '{app['appId']}' of the service principal does not reference a valid "
            "application object."
        )
        assert error["details"] == [
            {"code": "NoBackingApplicationObject", "message": error["message"], "target": "appId"}
        ]
        lagging.now += 0.1
        assert http.post("/servicePrincipals", json={"appId": app["appId"]}).status_code == 201


def test_an_assignment_right_after_its_service_principal_meets_404_then_400_then_201(
    graph: ServedGraph, lagging: SteppedClock
) -> None:
    alice = CONTOSO.user("alice@contoso.example").id
    with graph.http() as http:
        app = new_app(http)
        lagging.now += 10
        sp = http.post("/servicePrincipals", json={"appId": app["appId"]}).json()
        item, assigned_to = (
            f"/servicePrincipals/{sp['id']}",
            f"/servicePrincipals/{sp['id']}/appRoleAssignedTo",
        )
        for response in [
            http.get(item),
            http.get(f"/servicePrincipals(appId='{app['appId']}')"),
            http.patch(item, json={"appRoleAssignmentRequired": True}),
            http.get(assigned_to),
            http.post(assigned_to, json=assignment_body(alice, sp["id"])),
        ]:
            assert_odata_error(response, 404, "Request_ResourceNotFound")
        assert (
            http.get("/servicePrincipals", params={"$filter": f"appId eq '{app['appId']}'"}).json()["value"]
            == []
        )

        lagging.now += 5  # addressable, but not yet a valid reference
        assert http.get(item).status_code == 200
        refused = http.post(assigned_to, json=assignment_body(alice, sp["id"]))
        assert (
            assert_odata_error(refused, 400, "Request_BadRequest")["message"]
            == "Not a valid reference update."
        )

        lagging.now += 5
        assignment = http.post(assigned_to, json=assignment_body(alice, sp["id"]))
        assert assignment.status_code == 201
        # The new assignment itself replicates too.
        assignment_item = f"{assigned_to}/{assignment.json()['id']}"
        assert_odata_error(http.get(assignment_item), 404, "Request_ResourceNotFound")
        assert http.get(assigned_to).json()["value"] == []
        lagging.now += 5
        assert http.get(assignment_item).status_code == 200
        assert [a["id"] for a in http.get(assigned_to).json()["value"]] == [assignment.json()["id"]]


def test_a_new_principal_is_not_a_valid_reference_for_the_lag(
    graph: ServedGraph, lagging: SteppedClock
) -> None:
    """Assigning a service principal made moments ago (as the principal) to an older one."""
    with graph.http() as http:
        resource_app, principal_app = new_app(http), new_app(http, displayName="Daemon")
        lagging.now += 10
        resource = http.post("/servicePrincipals", json={"appId": resource_app["appId"]}).json()
        lagging.now += 10
        principal = http.post("/servicePrincipals", json={"appId": principal_app["appId"]}).json()
        lagging.now += 5
        assigned_to = f"/servicePrincipals/{resource['id']}/appRoleAssignedTo"
        refused = http.post(assigned_to, json=assignment_body(principal["id"], resource["id"]))
        assert (
            assert_odata_error(refused, 400, "Request_BadRequest")["message"]
            == "Not a valid reference update."
        )
        lagging.now += 5
        assigned = http.post(assigned_to, json=assignment_body(principal["id"], resource["id"]))
        assert assigned.status_code == 201 and assigned.json()["principalType"] == "ServicePrincipal"


def test_without_a_lag_every_new_object_is_there_at_once(graph: ServedGraph) -> None:
    alice = CONTOSO.user("alice@contoso.example").id
    with graph.http() as http:
        app = new_app(http)
        key = http.post(f"/applications/{app['id']}/addPassword", json={}).json()["keyId"]
        assert [c["keyId"] for c in http.get(f"/applications/{app['id']}").json()["passwordCredentials"]] == [
            key
        ]
        sp = http.post("/servicePrincipals", json={"appId": app["appId"]}).json()
        assigned_to = f"/servicePrincipals/{sp['id']}/appRoleAssignedTo"
        assignment = http.post(assigned_to, json=assignment_body(alice, sp["id"])).json()
        assert http.get(f"{assigned_to}/{assignment['id']}").status_code == 200


def test_deleting_the_application_leaves_the_tenant_as_seeded(graph: ServedGraph) -> None:
    seeded = graph.standin.store.snapshot()
    with graph.http() as http:
        app = new_app(http)
        sp = http.post("/servicePrincipals", json={"appId": app["appId"]}).json()
        group = CONTOSO.group("Engineering").id
        body = {
            "principalId": group,
            "resourceId": sp["id"],
            "appRoleId": "00000000-0000-0000-0000-000000000000",
        }
        http.post(f"/servicePrincipals/{sp['id']}/appRoleAssignedTo", json=body).raise_for_status()
        http.post(f"/applications/{app['id']}/addPassword", json={}).raise_for_status()
        assert graph.standin.store.snapshot() != seeded
        assert http.delete(f"/applications/{app['id']}").status_code == 204
        assert_odata_error(http.get(f"/servicePrincipals/{sp['id']}"), 404, "Request_ResourceNotFound")
    assert graph.standin.store.snapshot() == seeded


def test_delegated_permission_grants(graph: ServedGraph) -> None:
    graph_sp = graph.standin.store.get_service_principal_by_app_id(MICROSOFT_GRAPH_APP_ID)["id"]
    with graph.http() as http:
        app = new_app(http)
        sp = http.post("/servicePrincipals", json={"appId": app["appId"]}).json()
        body = {
            "clientId": sp["id"],
            "consentType": "AllPrincipals",
            "resourceId": graph_sp,
            "scope": "openid",
        }
        created = http.post("/oauth2PermissionGrants", json=body)
        assert created.status_code == 201, created.text
        grant = created.json()
        assert grant["@odata.context"].endswith("$metadata#oauth2PermissionGrants/$entity")
        assert {k: grant[k] for k in ("clientId", "consentType", "principalId", "resourceId", "scope")} == {
            **body,
            "principalId": None,
        }
        # One tenant-wide grant per client and API: a second is a conflict, not a second grant.
        twice = http.post("/oauth2PermissionGrants", json={**body, "scope": "email"})
        assert_odata_error(twice, 409, "Request_MultipleObjectsWithSameKeyValue")
        for bad in ({**body, "consentType": "Everyone"}, {**body, "principalId": sp["id"]}, {**body, "x": 1}):
            assert_odata_error(http.post("/oauth2PermissionGrants", json=bad), 400, "Request_BadRequest")
        nobody = {**body, "clientId": "11111111-1111-1111-1111-111111111111"}
        assert_odata_error(http.post("/oauth2PermissionGrants", json=nobody), 404, "Request_ResourceNotFound")

        mine = http.get("/oauth2PermissionGrants", params={"$filter": f"clientId eq '{sp['id']}'"}).json()
        assert [g["id"] for g in mine["value"]] == [grant["id"]]
        patched = http.patch(f"/oauth2PermissionGrants/{grant['id']}", json={"scope": "openid profile email"})
        assert patched.status_code == 204
        assert http.get(f"/oauth2PermissionGrants/{grant['id']}").json()["scope"] == "openid profile email"
        readonly = http.patch(f"/oauth2PermissionGrants/{grant['id']}", json={"clientId": graph_sp})
        assert_odata_error(readonly, 400, "Request_BadRequest")

        assert http.delete(f"/oauth2PermissionGrants/{grant['id']}").status_code == 204
        assert_odata_error(
            http.get(f"/oauth2PermissionGrants/{grant['id']}"), 404, "Request_ResourceNotFound"
        )
        # Deleting the client's service principal takes its grants with it.
        again = http.post("/oauth2PermissionGrants", json=body).json()
        assert http.delete(f"/servicePrincipals/{sp['id']}").status_code == 204
        assert_odata_error(
            http.get(f"/oauth2PermissionGrants/{again['id']}"), 404, "Request_ResourceNotFound"
        )


def app_role(role_id: str, value: str, *, enabled: bool = True) -> dict:
    return {
        "allowedMemberTypes": ["User"],
        "description": f"{value} role",
        "displayName": value,
        "id": role_id,
        "isEnabled": enabled,
        "value": value,
    }


def test_app_roles_are_disabled_before_they_are_removed(graph: ServedGraph) -> None:
    developer = "6c4f5b0e-7a3d-4e71-9b1f-0d2e8a7c6b51"
    alice = CONTOSO.user("alice@contoso.example").id
    with graph.http() as http:
        app = new_app(http, appRoles=[app_role(developer, "developer")])
        assert app["appRoles"] == [{**app_role(developer, "developer"), "origin": "Application"}]
        sp = http.post("/servicePrincipals", json={"appId": app["appId"]}).json()
        assert [role["value"] for role in sp["appRoles"]] == ["developer"]
        for bad in (
            [app_role(developer, "has space")],
            [app_role("not-a-guid", "x")],
            [app_role(developer, "a"), app_role("7d4f5b0e-7a3d-4e71-9b1f-0d2e8a7c6b51", "a")],
        ):
            answer = http.patch(f"/applications/{app['id']}", json={"appRoles": bad})
            assert_odata_error(answer, 400, "Request_BadRequest")

        body = {"principalId": alice, "resourceId": sp["id"], "appRoleId": developer}
        assigned = http.post(f"/servicePrincipals/{sp['id']}/appRoleAssignedTo", json=body)
        assert assigned.status_code == 201 and assigned.json()["appRoleId"] == developer
        unknown = {**body, "appRoleId": "8e4f5b0e-7a3d-4e71-9b1f-0d2e8a7c6b51"}
        missing = http.post(f"/servicePrincipals/{sp['id']}/appRoleAssignedTo", json=unknown)
        assert "was not found" in assert_odata_error(missing, 400, "Request_BadRequest")["message"]

        # An enabled role may be neither removed nor re-valued; disabled, it may be removed.
        for change in ([], [app_role(developer, "engineer")]):
            refused = http.patch(f"/applications/{app['id']}", json={"appRoles": change})
            assert_odata_error(refused, 400, "CannotDeleteOrUpdateEnabledEntitlement")
        disabled = [app_role(developer, "developer", enabled=False)]
        assert http.patch(f"/applications/{app['id']}", json={"appRoles": disabled}).status_code == 204
        assert http.get(f"/servicePrincipals/{sp['id']}").json()["appRoles"][0]["isEnabled"] is False
        assert http.patch(f"/applications/{app['id']}", json={"appRoles": []}).status_code == 204
        assert http.get(f"/servicePrincipals/{sp['id']}").json()["appRoles"] == []
