"""The Okta stand-in against Okta itself: real recorded exchanges (`cassettes/`) replayed against it,
and the OpenAPI check that the lifecycle tests apply to every answer, proven on real answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import yaml

from sandbox.common.server import ServedApp
from sandbox.okta.app import build_okta_standin
from tests.okta.conftest import OktaSandbox
from tests.okta.contract import SPEC_PATH, Exchange, OktaContract

CASSETTES = Path(__file__).parent / "cassettes"


def interactions(name: str) -> list[dict[str, Any]]:
    return yaml.safe_load((CASSETTES / name).read_text())["interactions"]


def recorded(interaction: dict[str, Any]) -> tuple[int, dict[str, list[str]], Any]:
    """(status, headers by lower-case name, parsed JSON body or None) of a recorded answer."""
    response = interaction["response"]
    headers = {k.lower(): v if isinstance(v, list) else [v] for k, v in response["headers"].items()}
    text = response["body"]["string"]
    return response["status"]["code"], headers, json.loads(text) if text else None


def recorded_exchanges(name: str) -> list[Exchange]:
    found = []
    for interaction in interactions(name):
        status, headers, _ = recorded(interaction)
        uri = urlsplit(interaction["request"]["uri"])
        flat = [(k, v) for k, values in headers.items() for v in values]
        body = interaction["response"]["body"]["string"].encode()
        found.append(Exchange(interaction["request"]["method"], uri.path, uri.query, status, flat, body))
    return found


@pytest.fixture(scope="module")
def contract() -> OktaContract:
    if not SPEC_PATH.exists():
        pytest.skip(f"Okta's OpenAPI document is not at {SPEC_PATH}: this checkout has no ../shared")
    return OktaContract.load()


def test_okta_s_own_recorded_answers_pass_the_contract_check(contract: OktaContract) -> None:
    """The check is neither too strict (real answers pass, quirks included) nor blind (it checks them)."""
    checked = 0
    for name in ("oidc_app_and_secrets_2026.yaml", "app_quota_and_paging_2025.yaml"):
        for exchange in recorded_exchanges(name):
            if exchange.path.endswith("/credentials/jwks"):
                continue  # a JWKS upload the SDK test sent wrongly; not an endpoint we use
            assert contract.problems(exchange) == [], exchange.label()
            checked += 1
    assert checked >= 15
    broken = recorded_exchanges("oidc_app_and_secrets_2026.yaml")[0]
    app = json.loads(broken.body)
    app["status"] = "SLEEPING"
    del app["settings"]["oauthClient"]["redirect_uris"][0]
    app["settings"]["oauthClient"]["grant_types"] = "authorization_code"
    problems = contract.problems(Exchange(**{**broken.__dict__, "body": json.dumps(app).encode()}))
    assert any("status" in p for p in problems) and any("grant_types" in p for p in problems)


def test_an_oidc_web_app_create_answers_as_okta_did_in_2026(okta_sandbox: OktaSandbox) -> None:
    create = interactions("oidc_app_and_secrets_2026.yaml")[0]
    status, headers, real = recorded(create)
    with okta_sandbox.http() as http:
        answer = http.post(
            "/api/v1/apps", content=create["request"]["body"], headers={"Content-Type": "application/json"}
        )
    ours = answer.json()
    assert answer.status_code == status
    assert set(ours) == set(real) - {"orn"}  # the org's resource name is not modelled
    assert set(ours["settings"]) == set(real["settings"])
    assert set(ours["credentials"]["oauthClient"]) == set(real["credentials"]["oauthClient"])
    assert set(ours["settings"]["oauthClient"]) == set(real["settings"]["oauthClient"]) - {"logo_uri"}
    for key in ("issuer_mode", "wildcard_redirect", "idp_initiated_login", "consent_method"):
        assert ours["settings"]["oauthClient"][key] == real["settings"]["oauthClient"][key], key
    for key in ("manualProvisioning", "implicitAssignment", "notes", "notifications"):
        assert ours["settings"][key] == real["settings"][key], key
    assert ours["accessibility"] == real["accessibility"] and ours["visibility"] == real["visibility"]
    assert answer.headers["x-rate-limit-limit"] == headers["x-rate-limit-limit"][0] == "10"


def test_the_client_secret_lifecycle_answers_as_okta_did_in_2026(okta_sandbox: OktaSandbox) -> None:
    recording = interactions("oidc_app_and_secrets_2026.yaml")
    with okta_sandbox.http() as http:
        app_id = http.post(
            "/api/v1/apps",
            content=recording[0]["request"]["body"],
            headers={"Content-Type": "application/json"},
        ).json()["id"]
        real_app_id = recorded(recording[0])[2]["id"]
        secret_ids: dict[str, str] = {}
        for interaction in recording[1:8]:
            method, real_path = interaction["request"]["method"], urlsplit(interaction["request"]["uri"]).path
            path = real_path.replace(real_app_id, app_id)
            for real_id, our_id in secret_ids.items():
                path = path.replace(real_id, our_id)
            status, headers, real = recorded(interaction)
            answer = http.request(method, path)
            assert answer.status_code == status, (method, real_path, answer.text)
            assert answer.headers["x-rate-limit-limit"] == headers["x-rate-limit-limit"][0], real_path
            if real is None:
                assert not answer.content
                continue
            ours = answer.json()
            pairs = list(zip(real, ours, strict=True)) if isinstance(real, list) else [(real, ours)]
            for real_secret, our_secret in pairs:
                secret_ids.setdefault(real_secret["id"], our_secret["id"])
                assert set(our_secret) == set(real_secret), real_path
                assert set(our_secret["_links"]) == set(real_secret["_links"]), real_path
                assert our_secret["status"] == real_secret["status"], real_path


def test_an_org_at_its_app_quota_answers_as_okta_did() -> None:
    refused = interactions("app_quota_and_paging_2025.yaml")[1]
    status, _, real = recorded(refused)
    stand_in = build_okta_standin(app_quota=0)
    with ServedApp(stand_in.app) as served, OktaSandbox(stand_in, served.url).http() as http:
        # The recording created a bookmark app; the stand-in models OIDC apps, the quota is the same.
        answer = http.post("/api/v1/apps", json=web_app())
    assert answer.status_code == status == 400
    ours = answer.json()
    assert {k: v for k, v in ours.items() if k != "errorId"} == {
        k: v for k, v in real.items() if k != "errorId"
    }


def test_lists_send_self_and_next_as_separate_link_headers_as_okta_does(okta_sandbox: OktaSandbox) -> None:
    listed = interactions("app_quota_and_paging_2025.yaml")[4]
    _, headers, _ = recorded(listed)
    assert [link.split("; ")[1] for link in headers["link"]] == ['rel="self"', 'rel="next"']
    with okta_sandbox.http() as http:
        for _ in range(3):
            http.post("/api/v1/apps", json=web_app())
        answer = http.get("/api/v1/apps", params={"limit": "2"})
        bad_cursor = http.get("/api/v1/apps", params={"limit": "1", "after": "00u1testcursorvalue"})
    assert [link.split("; ")[1] for link in answer.headers.get_list("link")] == ['rel="self"', 'rel="next"']
    status, _, real = recorded(interactions("app_quota_and_paging_2025.yaml")[6])
    assert bad_cursor.status_code == status
    ours = bad_cursor.json()
    assert {k: v for k, v in ours.items() if k != "errorId"} == {
        k: v for k, v in real.items() if k != "errorId"
    }


def test_the_dpop_exchange_answers_as_okta_did_in_2026(
    dpop_app: OktaSandbox, service_key: tuple[str, str]
) -> None:
    from tests.okta.test_dpop import Prover, token_request

    _, _, real_missing = recorded(interactions("dpop_required_no_proof_2026.yaml")[0])
    challenge, granted = interactions("dpop_nonce_and_token_2026.yaml")[:2]
    status, headers, real_challenge = recorded(challenge)
    _, _, real_token = recorded(granted)
    prover, url = Prover(), dpop_app.url + "/oauth2/v1/token"

    missing = token_request(dpop_app, service_key[0], None)
    assert (missing.status_code, missing.json()) == (400, real_missing)
    asked = token_request(dpop_app, service_key[0], prover.proof("POST", url))
    assert (asked.status_code, asked.json()) == (status, real_challenge)
    assert "dpop-nonce" in headers and asked.headers["dpop-nonce"]
    token = token_request(
        dpop_app, service_key[0], prover.proof("POST", url, nonce=asked.headers["dpop-nonce"])
    )
    assert (
        set(token.json()) == set(real_token)
        and token.json()["token_type"] == real_token["token_type"] == "DPoP"
    )


def web_app() -> dict[str, Any]:
    from tests.okta.conftest import WEB_APP

    return WEB_APP


def test_the_contract_check_refuses_an_answer_okta_would_not_give(contract: OktaContract) -> None:
    answer = httpx.Response(200, json=[{"id": 7, "profile": "not an object"}])
    exchange = Exchange("GET", "/api/v1/groups", "", 200, [], answer.content)
    assert contract.problems(exchange)
    assert contract.problems(Exchange("GET", "/api/v1/nowhere", "", 200, [], b"{}"))
    assert contract.problems(Exchange("PATCH", "/api/v1/groups", "", 200, [], b"[]"))
    assert contract.problems(Exchange("GET", "/api/v1/groups", "", 418, [], b"[]"))
