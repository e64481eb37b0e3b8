"""The Okta stand-in keeps Okta's HTTP contract: auth, rate-limit headers, error bodies, rules."""

from __future__ import annotations

import time

import pytest

from sandbox.common.server import ServedApp
from sandbox.okta.app import build_okta_standin
from tests.okta.conftest import WEB_APP, OktaSandbox

RATE_HEADERS = ("x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset", "x-okta-request-id")


def assert_okta_error(response, status: int, code: str, summary_start: str = "") -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"errorCode", "errorSummary", "errorLink", "errorId", "errorCauses"}
    assert body["errorCode"] == code
    assert body["errorLink"] == code
    assert body["errorSummary"].startswith(summary_start)
    return body


def test_both_ssws_header_forms_are_accepted_and_anything_else_is_e0000011(okta_sandbox: OktaSandbox) -> None:
    token = okta_sandbox.token
    for header in (f"SSWS {token}", f"SSWS{token}"):
        with okta_sandbox.http(header) as http:
            assert http.get("/api/v1/groups").status_code == 200
    assert okta_sandbox.stand_in.auth.header_forms == {"SSWS <token>": 1, "SSWS<token>": 1}
    for header in ("SSWS wrong-token", "SSWS", f"Bearer {token}", ""):
        with okta_sandbox.http(header) as http:
            assert_okta_error(http.get("/api/v1/groups"), 401, "E0000011", "Invalid token provided")


def test_every_answer_carries_okta_rate_limit_headers(okta_sandbox: OktaSandbox) -> None:
    with okta_sandbox.http() as http:
        answers = [
            http.get("/api/v1/groups"),
            http.get("/api/v1/apps/0oaMissing"),
            http.get("/api/v1/nothing"),
        ]
    with okta_sandbox.http("SSWS wrong") as http:
        answers.append(http.get("/api/v1/groups"))
    for answer in answers:
        assert all(name in answer.headers for name in RATE_HEADERS), answer.headers
        assert int(answer.headers["x-rate-limit-reset"]) >= time.time()
    groups = [int(a.headers["x-rate-limit-remaining"]) for a in (answers[0], answers[3])]
    assert groups[0] > groups[1]  # the same bucket, counted down


def test_rate_limits_are_per_endpoint_buckets_not_one_org_wide_window() -> None:
    stand_in = build_okta_standin(rate_limit_window_seconds=60)
    with ServedApp(stand_in.app) as served, OktaSandbox(stand_in, served.url).http() as http:
        created = http.post("/api/v1/apps", json=WEB_APP)
        app_id = created.json()["id"]
        secrets = f"/api/v1/apps/{app_id}/credentials/secrets"
        answers = [http.get(secrets) for _ in range(8)]  # the create's bucket: 1 + 8 = 9 of 10
        last = http.post(secrets)
        throttled = http.get(secrets)
        deactivated = http.post(f"/api/v1/apps/{app_id}/lifecycle/deactivate")
        read = http.get(f"/api/v1/apps/{app_id}")
        groups = http.get("/api/v1/groups")
    assert created.headers["x-rate-limit-limit"] == "10" and created.headers["x-rate-limit-remaining"] == "9"
    assert [a.headers["x-rate-limit-remaining"] for a in answers] == [str(n) for n in range(8, 0, -1)]
    assert last.status_code == 201 and last.headers["x-rate-limit-remaining"] == "0"
    assert_okta_error(throttled, 429, "E0000047", "API call exceeded rate limit")
    assert throttled.headers["x-rate-limit-reset"] == last.headers["x-rate-limit-reset"]
    assert deactivated.status_code == 429  # /api/v1/apps/{id}/... shares the bucket
    assert read.status_code == 200 and read.headers["x-rate-limit-limit"] == "50"
    assert groups.status_code == 200 and groups.headers["x-rate-limit-limit"] == "100"


def test_an_exhausted_rate_limit_window_answers_429_e0000047() -> None:
    stand_in = build_okta_standin(rate_limits={"/api/v1/groups": 2}, rate_limit_window_seconds=60)
    with ServedApp(stand_in.app) as served, OktaSandbox(stand_in, served.url).http() as http:
        statuses = [http.get("/api/v1/groups").status_code for _ in range(2)]
        throttled = http.get("/api/v1/groups")
    assert statuses == [200, 200]
    assert_okta_error(throttled, 429, "E0000047", "API call exceeded rate limit")
    assert throttled.headers["x-rate-limit-remaining"] == "0"


def test_injected_faults_answer_like_okta(okta_sandbox: OktaSandbox) -> None:
    okta_sandbox.faults(throttle_count=1, throttle_wait_seconds=5)
    with okta_sandbox.http() as http:
        asked_at = time.time()
        throttled = http.get("/api/v1/groups")
        assert_okta_error(throttled, 429, "E0000047")
        assert throttled.headers["x-rate-limit-remaining"] == "0"
        assert asked_at + 5 <= int(throttled.headers["x-rate-limit-reset"]) <= asked_at + 7
        assert http.get("/api/v1/groups").status_code == 200

    okta_sandbox.faults(server_error_count=1, server_error_status=500)
    with okta_sandbox.http() as http:
        assert_okta_error(http.get("/api/v1/groups"), 500, "E0000009", "Internal Server Error")
    okta_sandbox.faults(server_error_count=1, server_error_status=503)
    with okta_sandbox.http() as http:
        answer = http.get("/api/v1/groups")
        assert_okta_error(answer, 503, "E0000010")
        assert all(name in answer.headers for name in RATE_HEADERS)


def test_q_is_a_prefix_match_and_search_eq_is_exact(okta_sandbox: OktaSandbox) -> None:
    with okta_sandbox.http() as http:
        by_q = http.get("/api/v1/groups", params={"q": "Engineering"}).json()
        by_search = http.get("/api/v1/groups", params={"search": 'profile.name eq "Engineering"'}).json()
        bad = http.get("/api/v1/groups", params={"search": "profile.name = Engineering"})
    assert sorted(g["profile"]["name"] for g in by_q) == ["Engineering", "Engineering-Contractors"]
    assert [g["profile"]["name"] for g in by_search] == ["Engineering"]
    group = by_search[0]
    assert group["id"].startswith("00g") and len(group["id"]) == 20
    assert group["type"] == "OKTA_GROUP" and group["objectClass"] == ["okta:user_group"]
    assert {"created", "lastUpdated", "lastMembershipUpdated", "_links"} <= set(group)
    assert_okta_error(bad, 400, "E0000031")


def test_lists_are_paginated_with_a_link_header(okta_sandbox: OktaSandbox) -> None:
    names = []
    with okta_sandbox.http() as http:
        url, params = "/api/v1/groups", {"limit": "2"}
        while url:
            answer = http.get(url, params=params)
            names += [g["profile"]["name"] for g in answer.json()]
            links = [part for part in answer.headers["link"].split(",") if 'rel="next"' in part]
            url, params = (links[0].split(";")[0].strip(" <>"), None) if links else (None, None)
    assert sorted(names) == sorted(["Everyone", "Engineering", "Engineering-Contractors", "Admins", "Sales"])


def test_app_create_shows_the_secret_reads_do_not_and_deletes_need_inactive(
    okta_sandbox: OktaSandbox,
) -> None:
    with okta_sandbox.http() as http:
        created = http.post("/api/v1/apps", params={"activate": "true"}, json=WEB_APP)
        assert created.status_code == 200, created.text
        app = created.json()
        oauth = app["credentials"]["oauthClient"]
        assert app["status"] == "ACTIVE" and app["id"].startswith("0oa") and len(app["id"]) == 20
        assert oauth["client_id"] == app["id"]
        assert 40 <= len(oauth["client_secret"]) <= 100
        assert oauth["pkce_required"] is False  # Okta's default for a web app
        assert app["settings"]["oauthClient"]["redirect_uris"] == ["https://broker.example/callback"]

        read = http.get(f"/api/v1/apps/{app['id']}").json()
        assert "client_secret" not in read["credentials"]["oauthClient"]

        body = assert_okta_error(http.delete(f"/api/v1/apps/{app['id']}"), 403, "E0000056")
        assert body["errorCauses"] == [
            {"errorSummary": "The application must be deactivated before deletion."}
        ]
        assert http.post(f"/api/v1/apps/{app['id']}/lifecycle/deactivate").json() == {}
        assert http.get(f"/api/v1/apps/{app['id']}").json()["status"] == "INACTIVE"
        assert http.delete(f"/api/v1/apps/{app['id']}").status_code == 204
        gone = assert_okta_error(http.get(f"/api/v1/apps/{app['id']}"), 404, "E0000007")
        assert gone["errorSummary"] == f"Not found: Resource not found: {app['id']} (AppInstance)"


@pytest.mark.parametrize(
    ("change", "subject"),
    [
        ({"redirect_uris": []}, "redirect_uris"),
        ({"redirect_uris": ["https://broker.example/cb#frag"]}, "redirect_uris"),
        ({"grant_types": ["implicit"]}, "grant_types"),
        ({"response_types": ["token"]}, "response_types"),
    ],
)
def test_invalid_oidc_settings_are_e0000001_with_causes(
    okta_sandbox: OktaSandbox, change: dict, subject: str
) -> None:
    body = {**WEB_APP, "settings": {"oauthClient": {**WEB_APP["settings"]["oauthClient"], **change}}}
    with okta_sandbox.http() as http:
        error = assert_okta_error(http.post("/api/v1/apps", json=body), 400, "E0000001")
    assert error["errorSummary"] == f"Api validation failed: {subject}"
    assert error["errorCauses"][0]["errorSummary"].startswith(f"{subject}:")


def test_client_secret_rules(okta_sandbox: OktaSandbox) -> None:
    with okta_sandbox.http() as http:
        app_id = http.post("/api/v1/apps", json=WEB_APP).json()["id"]
        secrets = f"/api/v1/apps/{app_id}/credentials/secrets"
        [first] = http.get(secrets).json()
        assert first["status"] == "ACTIVE" and first["id"].startswith("ocs")

        only = assert_okta_error(http.post(f"{secrets}/{first['id']}/lifecycle/deactivate"), 400, "E0000001")
        assert only["errorCauses"] == [
            {"errorSummary": "You can't deactivate the only active client secret."}
        ]

        second = http.post(secrets)
        assert second.status_code == 201 and second.json()["status"] == "ACTIVE"
        third = assert_okta_error(http.post(secrets), 400, "E0000001")
        assert "maximum number of client secrets" in third["errorCauses"][0]["errorSummary"]

        active = assert_okta_error(http.delete(f"{secrets}/{first['id']}"), 400, "E0000001")
        assert "can't delete an active client secret" in active["errorCauses"][0]["errorSummary"]
        inactive = http.post(f"{secrets}/{first['id']}/lifecycle/deactivate").json()
        assert inactive["status"] == "INACTIVE" and "delete" in inactive["_links"]
        assert http.delete(f"{secrets}/{first['id']}").status_code == 204
        missing = assert_okta_error(http.get(f"{secrets}/{first['id']}"), 404, "E0000007")
        assert missing["errorSummary"].endswith("(OAuth2ClientSecretMediated)")
        short = assert_okta_error(http.post(secrets, json={"client_secret": "too-short"}), 400, "E0000001")
        assert "at least '14' characters" in short["errorCauses"][0]["errorSummary"]


def test_legacy_groups_claim_endpoint(okta_sandbox: OktaSandbox) -> None:
    with okta_sandbox.http() as http:
        app = http.post("/api/v1/apps", json=WEB_APP).json()
        path = f"/api/v1/internal/apps/{app['id']}/settings/oauth/idToken"
        unset = http.get(path).json()
        assert "name" not in unset and unset["audience"] == app["credentials"]["oauthClient"]["client_id"]
        claim = {
            "valueType": "GROUPS",
            "groupFilterType": "SUFFIX",
            "issuerMode": "ORG_URL",
            "name": "groups",
        }
        assert_okta_error(http.post(path, json={**claim, "value": ".*"}), 400, "E0000001")
        written = http.post(path, json={**claim, "groupFilterType": "REGEX", "value": ".*"})
        assert written.status_code == 200
        read = http.get(path).json()
    assert {k: read[k] for k in ("valueType", "groupFilterType", "name", "value")} == {
        "valueType": "GROUPS",
        "groupFilterType": "REGEX",
        "name": "groups",
        "value": ".*",
    }


def test_the_org_is_exactly_as_seeded_after_create_and_destroy(okta_sandbox: OktaSandbox) -> None:
    seeded = okta_sandbox.stand_in.store.snapshot()
    with okta_sandbox.http() as http:
        app_id = http.post("/api/v1/apps", json=WEB_APP).json()["id"]
        group_id = http.get("/api/v1/groups", params={"q": "Sales"}).json()[0]["id"]
        assert http.put(f"/api/v1/apps/{app_id}/groups/{group_id}", json={}).status_code == 200
        assert okta_sandbox.stand_in.store.snapshot() != seeded
        http.post(f"/api/v1/apps/{app_id}/lifecycle/deactivate")
        assert http.delete(f"/api/v1/apps/{app_id}").status_code == 204
    assert okta_sandbox.stand_in.store.snapshot() == seeded


def test_a_new_oidc_app_gets_issuer_mode_dynamic_unless_told(okta_sandbox: OktaSandbox) -> None:
    with okta_sandbox.http() as http:
        default = http.post("/api/v1/apps", json=WEB_APP).json()
        settings = {"oauthClient": {**WEB_APP["settings"]["oauthClient"], "issuer_mode": "ORG_URL"}}
        told = http.post("/api/v1/apps", json={**WEB_APP, "settings": settings}).json()
        wrong = {"oauthClient": {**WEB_APP["settings"]["oauthClient"], "issuer_mode": "SOMETIMES"}}
        refused = http.post("/api/v1/apps", json={**WEB_APP, "settings": wrong})
    assert default["settings"]["oauthClient"]["issuer_mode"] == "DYNAMIC"
    assert told["settings"]["oauthClient"]["issuer_mode"] == "ORG_URL"
    assert_okta_error(refused, 400, "E0000001", "Api validation failed: issuer_mode")


def test_a_put_replaces_the_whole_app_and_resets_what_it_leaves_out(okta_sandbox: OktaSandbox) -> None:
    with okta_sandbox.http() as http:
        app = http.post("/api/v1/apps", json=WEB_APP).json()
        path = f"/api/v1/apps/{app['id']}"
        noted = {**app, "settings": {**app["settings"], "notes": {"admin": "keep me", "enduser": None}}}
        noted["settings"]["manualProvisioning"] = True
        kept = http.put(path, json=noted).json()
        assert kept["settings"]["notes"]["admin"] == "keep me" and kept["settings"]["manualProvisioning"]
        bare = {**WEB_APP, "label": "Bare"}  # what a client that knows only some fields sends
        reset = http.put(path, json=bare).json()
    assert reset["label"] == "Bare"
    assert reset["settings"]["notes"] == {"admin": None, "enduser": None}
    assert reset["settings"]["manualProvisioning"] is False


def test_an_org_at_its_app_quota_answers_like_okta() -> None:
    stand_in = build_okta_standin(app_quota=1)
    with ServedApp(stand_in.app) as served, OktaSandbox(stand_in, served.url).http() as http:
        assert http.post("/api/v1/apps", json=WEB_APP).status_code == 200
        refused = http.post("/api/v1/apps", json=WEB_APP)
    body = assert_okta_error(refused, 400, "E0000001", "Api validation failed: generalSettings")
    assert body["errorCauses"] == [
        {"errorSummary": "Cannot create application instance. Maximum number of instances has been reached."}
    ]
