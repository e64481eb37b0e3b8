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

import threading
import time
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.okta.dpop import InvalidProof, NonceRequired
from sandbox.okta.edge import ACCESS_TOKEN_SECONDS, TOKEN_PATH, OktaAuth
from sandbox.okta.render import org_base

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_MEMORY_SECONDS = 3600


def service_app_token(auth: OktaAuth) -> Callable[[Request], Awaitable[Response]]:
    """The client_credentials grant of the token endpoint (the sign-in side owns the route)."""
    used_assertions = _OnceOnly()

    async def token(request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        if form.get("grant_type") != "client_credentials":
            return _oauth_error(
                400, "unsupported_grant_type", "The authorization grant type is not supported."
            )
        if form.get("client_assertion_type") != ASSERTION_TYPE or not form.get("client_assertion"):
            return _oauth_error(401, "invalid_client", "Client authentication failed.")
        token_url = org_base(request) + TOKEN_PATH
        client_id, jti = _verified_client(auth, form["client_assertion"], token_url)
        if client_id is None:
            return _oauth_error(401, "invalid_client", "The client_assertion signature is invalid.")
        if not used_assertions.first_use(jti):
            return _oauth_error(401, "invalid_client", "The client_assertion token has already been used.")
        app = auth.service_apps[client_id]
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


class _OnceOnly:
    """The `jti`s of client assertions already presented: Okta takes each assertion once."""

    def __init__(self) -> None:
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def first_use(self, jti: str | None) -> bool:
        if not jti:
            return True
        now = time.time()
        with self._lock:
            self._seen = {j: until for j, until in self._seen.items() if until > now}
            if jti in self._seen:
                return False
            self._seen[jti] = now + ASSERTION_MEMORY_SECONDS
            return True


def _verified_client(auth: OktaAuth, assertion: str, audience: str) -> tuple[str | None, str | None]:
    """(client id, assertion jti) of a client assertion whose signature and claims check out."""
    import jwt  # PyJWT; only the token endpoint needs it

    try:
        claimed = jwt.decode(assertion, options={"verify_signature": False}).get("iss")
        app = auth.service_apps.get(claimed or "")
        if app is None:
            return None, None
        claims = jwt.decode(
            assertion,
            app.public_key_pem,
            algorithms=["RS256", "RS384", "RS512", "ES256", "ES384", "ES512"],
            audience=audience,
            issuer=app.client_id,
            options={"require": ["exp", "iat", "sub", "aud", "iss"]},
        )
    except jwt.PyJWTError:
        return None, None
    if claims.get("sub") != app.client_id:
        return None, None
    return app.client_id, claims.get("jti")


def _oauth_error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)
