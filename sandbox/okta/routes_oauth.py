"""The org authorization server's token endpoint, for OAuth 2.0 service apps (`private_key_jwt`).

`POST /oauth2/v1/token` with `grant_type=client_credentials`, `scope`, and a `client_assertion`
JWT signed with the service app's private key (iss = sub = client_id, aud = this endpoint, a `jti`
used once). The answer is an access token limited to the requested scopes: Bearer, or for a
service app that requires DPoP a DPoP-bound one, after Okta's exchange (recorded in 2026):
no `DPoP` header is 400 invalid_dpop_proof, a proof without the server's nonce is 400
use_dpop_nonce with a `dpop-nonce` header, a proof with it gets `token_type: DPoP`. Errors are
OAuth's `{"error", "error_description"}`, not Okta's E-codes, as on the real endpoint.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs

from cryptography.hazmat.primitives.serialization import load_pem_public_key
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.common.client_assertion import (
    ASSERTION_TYPE,
    AssertionRefused,
    Refusal,
    ReplayGuard,
    assertion_issuer,
    verify_client_assertion,
)
from sandbox.okta.dpop import InvalidProof, NonceRequired
from sandbox.okta.edge import ACCESS_TOKEN_SECONDS, TOKEN_PATH, OktaAuth
from sandbox.okta.render import org_base


def service_app_token(auth: OktaAuth) -> Callable[[Request], Awaitable[Response]]:
    """The client_credentials grant of the token endpoint (the sign-in side owns the route)."""
    replays = ReplayGuard()

    async def token(request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        if form.get("grant_type") != "client_credentials":
            return _oauth_error(
                400, "unsupported_grant_type", "The authorization grant type is not supported."
            )
        if form.get("client_assertion_type") != ASSERTION_TYPE or not form.get("client_assertion"):
            return _oauth_error(401, "invalid_client", "Client authentication failed.")
        token_url = org_base(request) + TOKEN_PATH
        app = auth.service_apps.get(assertion_issuer(form["client_assertion"]) or "")
        if app is None:
            return _oauth_error(401, "invalid_client", "The client_assertion signature is invalid.")
        try:
            verify_client_assertion(
                form["client_assertion"],
                client_id=app.client_id,
                token_url=token_url,
                keys=lambda _header: [load_pem_public_key(app.public_key_pem.encode())],
                replays=replays,
                required=("iss", "sub", "aud", "exp", "iat"),
            )
        except AssertionRefused as refused:
            if refused.reason is Refusal.REPLAYED:
                return _oauth_error(
                    401, "invalid_client", "The client_assertion token has already been used."
                )
            return _oauth_error(401, "invalid_client", "The client_assertion signature is invalid.")
        client_id = app.client_id
        requested = set(form.get("scope", "").split())
        refused = requested - app.scopes
        if not requested or refused:
            return _oauth_error(
                400, "invalid_scope", f"The following scopes are not allowed: {sorted(refused) or ['(none)']}"
            )
        jkt = None
        if app.dpop_bound_access_tokens:
            try:
                jkt = auth.dpop.check(request.headers.get("dpop"), "POST", token_url, nonce_required=True)
            except InvalidProof as bad:
                return _oauth_error(400, "invalid_dpop_proof", str(bad))
            except NonceRequired as challenge:
                answer = _oauth_error(400, "use_dpop_nonce", str(challenge))
                answer.headers["dpop-nonce"] = auth.dpop.new_nonce()
                return answer
        access_token = auth.issue_token(client_id, frozenset(requested), jkt)
        return JSONResponse(
            {
                "token_type": "DPoP" if jkt else "Bearer",
                "expires_in": ACCESS_TOKEN_SECONDS,
                "access_token": access_token,
                "scope": " ".join(sorted(requested)),
            }
        )

    return token


def _oauth_error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)
