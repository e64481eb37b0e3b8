"""DPoP (RFC 9449) for a service app that requires it: the stand-in's token endpoint and management
API check proofs as Okta does, and private-key mode finds out and uses DPoP by itself."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from ssoprov.errors import ApiError
from ssoprov.okta import sdk as okta_sdk
from ssoprov.okta.okta_client import okta_client_from_env
from tests.okta.conftest import FAST_POLICY, SCOPES, SERVICE_APP, OktaSandbox

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


class Prover:
    """A client's DPoP key (P-256) and the proofs it signs, as RFC 9449 describes them."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        public = self.key.public_key().public_numbers()

        def b64(number: int) -> str:
            return base64.urlsafe_b64encode(number.to_bytes(32, "big")).rstrip(b"=").decode()

        self.jwk = {"kty": "EC", "crv": "P-256", "x": b64(public.x), "y": b64(public.y)}

    def proof(self, method: str, url: str, **claims: Any) -> str:
        body = {"jti": str(uuid.uuid4()), "htm": method, "htu": url, "iat": int(time.time()), **claims}
        return jwt.encode(body, self.key, algorithm="ES256", headers={"typ": "dpop+jwt", "jwk": self.jwk})


def ath(token: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(token.encode()).digest()).rstrip(b"=").decode()


def token_request(sandbox: OktaSandbox, private_pem: str, proof: str | None) -> httpx.Response:
    url = sandbox.url + "/oauth2/v1/token"
    now = int(time.time())
    assertion = jwt.encode(
        {
            "iss": SERVICE_APP,
            "sub": SERVICE_APP,
            "aud": url,
            "iat": now,
            "exp": now + 300,
            "jti": str(uuid.uuid4()),
        },
        private_pem,
        algorithm="RS256",
    )
    form = {
        "grant_type": "client_credentials",
        "scope": " ".join(sorted(SCOPES)),
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion,
    }
    return httpx.post(url, data=form, headers={"DPoP": proof} if proof else {}, timeout=10)


def dpop_token(sandbox: OktaSandbox, private_pem: str, prover: Prover) -> str:
    url = sandbox.url + "/oauth2/v1/token"
    challenged = token_request(sandbox, private_pem, prover.proof("POST", url))
    granted = token_request(
        sandbox, private_pem, prover.proof("POST", url, nonce=challenged.headers["dpop-nonce"])
    )
    assert granted.status_code == 200, granted.text
    return granted.json()["access_token"]


def test_the_token_endpoint_asks_for_a_proof_then_a_nonce_then_binds_the_token(
    dpop_app: OktaSandbox, service_key: tuple[str, str]
) -> None:
    prover, url = Prover(), dpop_app.url + "/oauth2/v1/token"
    missing = token_request(dpop_app, service_key[0], None)
    assert missing.status_code == 400
    assert missing.json() == {
        "error": "invalid_dpop_proof",
        "error_description": "The DPoP proof JWT header is missing.",
    }

    challenged = token_request(dpop_app, service_key[0], prover.proof("POST", url))
    assert challenged.status_code == 400 and challenged.headers["dpop-nonce"]
    assert challenged.json() == {
        "error": "use_dpop_nonce",
        "error_description": "Authorization server requires nonce in DPoP proof.",
    }
    stale = token_request(dpop_app, service_key[0], prover.proof("POST", url, nonce="made-up"))
    assert stale.json()["error"] == "use_dpop_nonce"

    nonce = challenged.headers["dpop-nonce"]
    wrong_url = token_request(dpop_app, service_key[0], prover.proof("POST", url + "x", nonce=nonce))
    assert wrong_url.json() == {
        "error": "invalid_dpop_proof",
        "error_description": "'htu' claim in the DPoP proof JWT is invalid.",
    }
    granted = token_request(dpop_app, service_key[0], prover.proof("POST", url, nonce=nonce))
    assert granted.status_code == 200
    assert granted.json()["token_type"] == "DPoP" and set(granted.json()) == {
        "token_type",
        "expires_in",
        "access_token",
        "scope",
    }


def test_management_calls_need_a_proof_bound_to_the_token_and_refuse_a_bad_one(
    dpop_app: OktaSandbox, service_key: tuple[str, str]
) -> None:
    prover = Prover()
    token = dpop_token(dpop_app, service_key[0], prover)
    groups = dpop_app.url + "/api/v1/groups"

    def call(proof: str | None, scheme: str = "DPoP") -> httpx.Response:
        headers = {"Authorization": f"{scheme} {token}", **({"DPoP": proof} if proof else {})}
        return httpx.get(groups, headers=headers, timeout=10)

    good = prover.proof("GET", groups, ath=ath(token))
    assert call(good).status_code == 200
    refusals = {
        "The DPoP proof JWT has already been used.": call(good),
        "'htm' claim in the DPoP proof JWT is invalid.": call(prover.proof("POST", groups, ath=ath(token))),
        "'htu' claim in the DPoP proof JWT is invalid.": call(
            prover.proof("GET", dpop_app.url + "/api/v1/users", ath=ath(token))
        ),
        "'ath' claim in the DPoP proof JWT is invalid.": call(prover.proof("GET", groups, ath=ath("other"))),
        "'iat' claim in the DPoP proof JWT is invalid.": call(
            prover.proof("GET", groups, ath=ath(token), iat=int(time.time()) - 3600)
        ),
        "The DPoP proof key does not match the access token.": call(
            Prover().proof("GET", groups, ath=ath(token))
        ),
        "The DPoP proof JWT signature is invalid.": call(
            good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
        ),
    }
    for description, answer in refusals.items():
        assert answer.status_code == 400, (description, answer.text)
        assert answer.json() == {"error": "invalid_dpop_proof", "error_description": description}
        challenge = answer.headers["www-authenticate"]
        assert challenge.startswith("DPoP algs=") and 'error="invalid_dpop_proof"' in challenge
        assert f'error_description="{description}"' in challenge and 'resource="/api/v1/groups"' in challenge
    as_bearer = call(None, "Bearer")
    assert as_bearer.status_code == 401 and as_bearer.json()["errorCode"] == "E0000011"


def test_private_key_mode_finds_out_the_app_requires_dpop_and_uses_it(
    dpop_app: OktaSandbox, service_key: tuple[str, str], tmp_path: Path
) -> None:
    key_file = tmp_path / "service-app.pem"
    key_file.write_text(service_key[0])
    environ = {
        "OKTA_ORG_URL": dpop_app.url,
        "OKTA_CLIENT_ID": SERVICE_APP,
        "OKTA_PRIVATE_KEY_FILE": str(key_file),
    }

    async def scenario() -> None:
        client = okta_client_from_env(environ, policy=FAST_POLICY)
        app = await client.create_oidc_web_app("Via DPoP", ["https://broker.example/cb"])
        group = await client.find_group_by_name("Engineering")
        await client.assign_group(app.id, group.id, group_name=group.name)
        await client.update_app(app.id, label="Via DPoP, renamed")
        await client.deactivate_and_delete_app(app.id)

    asyncio.run(scenario())
    asyncio.run(
        okta_client_from_env(environ, policy=FAST_POLICY).find_group_by_name("Sales")
    )  # a later client

    auth = dpop_app.stand_in.auth
    assert set(auth.header_forms) == {"DPoP <token>"} and auth.header_forms["DPoP <token>"] >= 8
    tokens = [c.status for c in dpop_app.stand_in.calls.all() if c.path == "/oauth2/v1/token"]
    # Once per process without a proof (invalid_dpop_proof), once without the nonce (use_dpop_nonce);
    # the later client starts with DPoP and the nonce it already has, so its token comes at once.
    assert tokens[:3] == [400, 400, 200] and tokens.count(400) == 2 and tokens.count(200) >= 2


def test_a_service_app_without_dpop_keeps_bearer_tokens(
    okta_sandbox: OktaSandbox, service_key: tuple[str, str]
) -> None:
    okta_sandbox.stand_in.auth.register_service_app(SERVICE_APP, service_key[1], SCOPES)
    environ = {
        "OKTA_ORG_URL": okta_sandbox.url,
        "OKTA_CLIENT_ID": SERVICE_APP,
        "OKTA_PRIVATE_KEY": service_key[0],
    }
    assert asyncio.run(okta_client_from_env(environ, policy=FAST_POLICY).find_group_by_name("Admins")).name
    assert set(okta_sandbox.stand_in.auth.header_forms) == {"Bearer <token>"}
    statuses = [c.status for c in okta_sandbox.stand_in.calls.all() if c.path == "/oauth2/v1/token"]
    assert statuses == [200]


def test_a_refused_proof_fails_the_call_with_okta_s_description(
    dpop_app: OktaSandbox, service_key: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A proof the API refuses (here: signed with a key other than the one its `jwk` names) fails
    the call, is not retried, and the error carries Okta's description."""
    environ = {
        "OKTA_ORG_URL": dpop_app.url,
        "OKTA_CLIENT_ID": SERVICE_APP,
        "OKTA_PRIVATE_KEY": service_key[0],
    }
    client = okta_client_from_env(environ, policy=FAST_POLICY)
    asyncio.run(client.find_group_by_name("Admins"))  # DPoP found out, the key made
    (generator,) = [g for (org, app), g in okta_sdk.dpop_keys.items() if org == dpop_app.url]
    impostor = jwt.PyJWK.from_json(
        jwt.algorithms.RSAAlgorithm.to_jwk(rsa.generate_private_key(65537, 2048).public_key())
    )
    monkeypatch.setattr(generator, "_public_jwk", {k: impostor._jwk_data[k] for k in ("kty", "n", "e")})
    dpop_app.stand_in.calls.clear()
    with pytest.raises(ApiError) as refused:
        asyncio.run(client.find_group_by_name("Sales"))
    assert refused.value.status == 400
    assert "invalid_dpop_proof" in str(refused.value)
    assert "The DPoP proof JWT signature is invalid." in str(refused.value)
    # The new event loop's client asks for a token first, with the bad proof: refused there, once.
    assert [c.label() for c in dpop_app.stand_in.calls.all() if c.status != 429] == ["POST /oauth2/v1/token"]


def test_a_management_call_refused_for_its_proof_says_what_okta_said(
    dpop_app: OktaSandbox, service_key: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Okta's resource server answers 400 with the OAuth error in WWW-Authenticate, not an E-code."""
    environ = {
        "OKTA_ORG_URL": dpop_app.url,
        "OKTA_CLIENT_ID": SERVICE_APP,
        "OKTA_PRIVATE_KEY": service_key[0],
    }
    client = okta_client_from_env(environ, policy=FAST_POLICY)
    verifier = dpop_app.stand_in.auth.dpop
    checked = verifier.check

    def htu_always_wrong(proof: str | None, method: str, url: str, **kwargs: Any) -> str:
        if kwargs.get("access_token"):  # resource calls only; the token endpoint stays honest
            from sandbox.okta.dpop import InvalidProof

            raise InvalidProof("'htu' claim in the DPoP proof JWT is invalid.")
        return checked(proof, method, url, **kwargs)

    monkeypatch.setattr(verifier, "check", htu_always_wrong)
    with pytest.raises(ApiError) as refused:
        asyncio.run(client.get_app("0oaAnyAppId000000001"))
    assert str(refused.value) == (
        "Okta: reading app 0oaAnyAppId000000001: HTTP 400 invalid_dpop_proof "
        "'htu' claim in the DPoP proof JWT is invalid."
    )
