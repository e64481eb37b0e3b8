"""An OIDC app's public keys (`/credentials/jwks`) and Okta's check of the client assertions signed
with them (private_key_jwt), over real HTTP against the Okta stand-in."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from sandbox.common.client_assertion import ASSERTION_TYPE
from sandbox.common.server import ServedApp
from sandbox.okta.app import build_okta_standin
from tests.okta.conftest import OktaSandbox, assert_conforms
from tests.okta.contract import ContractRecorder, OktaContract
from tests.sandbox.signin_flow import okta_web_app, sign_in
from tests.support.client_keys import ClientKey

REDIRECT = "http://127.0.0.1:9/callback"


@pytest.fixture
def recorded_okta() -> Iterator[tuple[OktaSandbox, ContractRecorder]]:
    stand_in = build_okta_standin()
    recorder = ContractRecorder(stand_in.app)
    with ServedApp(recorder) as served:
        yield OktaSandbox(stand_in, served.url), recorder


def key_app(okta: OktaSandbox) -> tuple[str, str]:
    """(app id, client id) of a private_key_jwt web app assigned to Engineering, with no secret."""
    client_id, secret = okta_web_app(
        okta.stand_in.store, REDIRECT, ["Engineering"], auth_method="private_key_jwt"
    )
    assert secret == ""
    app = next(a for a in okta.stand_in.store.apps() if a.client_id == client_id)
    return app.id, client_id


def test_the_jwks_lifecycle_answers_within_okta_s_contract_and_rules(
    recorded_okta: tuple[OktaSandbox, ContractRecorder], okta_contract: OktaContract | None
) -> None:
    okta, recorder = recorded_okta
    app_id, _ = key_app(okta)
    first, second = ClientKey(), ClientKey()
    jwks = f"/api/v1/apps/{app_id}/credentials/jwks"
    with okta.http() as http:
        added = http.post(jwks, json=first.jwk())
        assert added.status_code == 201, added.text
        assert added.json()["kid"] == first.kid and added.json()["status"] == "ACTIVE"
        assert http.post(jwks, json=first.jwk()).json()["errorCauses"][0]["errorSummary"] == (
            "All keys in the 'jwks' must have a unique `kid`."
        )
        only = http.post(f"{jwks}/{added.json()['id']}/lifecycle/deactivate")
        assert only.status_code == 400 and "only active JSON Web Key" in only.text
        http.post(jwks, json=second.jwk()).raise_for_status()
        assert [k["kid"] for k in http.get(jwks).json()] == [first.kid, second.kid]
        active_delete = http.delete(f"{jwks}/{added.json()['id']}")
        assert (
            active_delete.status_code == 400 and "Deactivate the key before deleting it" in active_delete.text
        )
        assert http.post(f"{jwks}/{added.json()['id']}/lifecycle/deactivate").json()["status"] == "INACTIVE"
        assert http.delete(f"{jwks}/{added.json()['id']}").status_code == 204  # 9 calls: under Okta's 10/min
        small = {**second.jwk(), "kid": "small", "n": "AQAB"}
        assert http.post(jwks, json=small).status_code == 400
    assert_conforms(okta_contract, recorder.exchanges)


def okta_token_request(okta: OktaSandbox, assertion: str) -> httpx.Response:
    """A token request whose code is bogus: the client is judged first."""
    return httpx.post(
        f"{okta.url}/oauth2/v1/token",
        data={
            "grant_type": "authorization_code",
            "code": "not-a-code",
            "redirect_uri": REDIRECT,
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion,
        },
    )


def test_a_sign_in_with_an_assertion_from_an_active_key_passes(okta_sandbox: OktaSandbox) -> None:
    key = ClientKey()
    app_id, client_id = key_app(okta_sandbox)
    with okta_sandbox.http() as http:
        http.post(f"/api/v1/apps/{app_id}/credentials/jwks", json=key.jwk()).raise_for_status()

    result = sign_in(
        f"{okta_sandbox.url}/.well-known/openid-configuration",
        client_id,
        "",
        REDIRECT,
        "alice@acme.example",
        auth_method="private_key_jwt",
        assertion=lambda token_url: key.assertion(client_id, token_url),
    )

    assert result.error is None and result.claims["aud"] == client_id


@pytest.mark.parametrize(
    "forgery", ["unknown kid", "wrong key", "inactive key", "expired", "wrong audience", "replayed"]
)
def test_a_forged_assertion_is_refused_with_invalid_client(okta_sandbox: OktaSandbox, forgery: str) -> None:
    key, stranger = ClientKey(), ClientKey()
    app_id, client_id = key_app(okta_sandbox)
    jwks = f"/api/v1/apps/{app_id}/credentials/jwks"
    with okta_sandbox.http() as http:
        http.post(jwks, json=key.jwk()).raise_for_status()
        if forgery == "inactive key":
            retired = http.post(jwks, json=stranger.jwk()).json()
            http.post(f"{jwks}/{retired['id']}/lifecycle/deactivate").raise_for_status()
    token_url = f"{okta_sandbox.url}/oauth2/v1/token"
    assertion = {
        "unknown kid": lambda: stranger.assertion(client_id, token_url),
        "wrong key": lambda: stranger.assertion(client_id, token_url, headers={"kid": key.kid}),
        "inactive key": lambda: stranger.assertion(client_id, token_url),
        "expired": lambda: key.assertion(client_id, token_url, issued_ago=900),
        "wrong audience": lambda: key.assertion(client_id, f"{okta_sandbox.url}/oauth2/default/v1/token"),
        "replayed": lambda: key.assertion(client_id, token_url, jti="once"),
    }[forgery]()
    if forgery == "replayed":
        assert okta_token_request(okta_sandbox, assertion).json()["error"] == "invalid_grant"

    refused = okta_token_request(okta_sandbox, assertion)

    assert refused.status_code == 401, refused.text
    assert refused.json()["error"] == "invalid_client"
