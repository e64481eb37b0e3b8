"""The org authorization server's token endpoint, for OAuth 2.0 service apps (`private_key_jwt`).

`POST /oauth2/v1/token` with `grant_type=client_credentials`, `scope`, and a `client_assertion`
JWT signed with the service app's private key (iss = sub = client_id, aud = this endpoint). The
answer is a Bearer access token limited to the requested scopes. Errors are OAuth's
`{"error", "error_description"}`, not Okta's E-codes, as on the real endpoint.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.okta.edge import ACCESS_TOKEN_SECONDS, TOKEN_PATH, OktaAuth
from sandbox.okta.render import org_base

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def service_app_token(auth: OktaAuth) -> Callable[[Request], Awaitable[Response]]:
    """The client_credentials grant of the token endpoint (the sign-in side owns the route)."""

    async def token(request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        if form.get("grant_type") != "client_credentials":
            return _oauth_error(
                400, "unsupported_grant_type", "The authorization grant type is not supported."
            )
        if form.get("client_assertion_type") != ASSERTION_TYPE or not form.get("client_assertion"):
            return _oauth_error(401, "invalid_client", "Client authentication failed.")
        client_id = _verified_client(auth, form["client_assertion"], org_base(request) + TOKEN_PATH)
        if client_id is None:
            return _oauth_error(401, "invalid_client", "The client_assertion signature is invalid.")
        requested = set(form.get("scope", "").split())
        refused = requested - auth.service_apps[client_id].scopes
        if not requested or refused:
            return _oauth_error(
                400, "invalid_scope", f"The following scopes are not allowed: {sorted(refused) or ['(none)']}"
            )
        access_token = auth.issue_token(client_id, frozenset(requested))
        return JSONResponse(
            {
                "token_type": "Bearer",
                "expires_in": ACCESS_TOKEN_SECONDS,
                "access_token": access_token,
                "scope": " ".join(sorted(requested)),
            }
        )

    return token


def _verified_client(auth: OktaAuth, assertion: str, audience: str) -> str | None:
    import jwt  # PyJWT; only the token endpoint needs it

    try:
        claimed = jwt.decode(assertion, options={"verify_signature": False}).get("iss")
        app = auth.service_apps.get(claimed or "")
        if app is None:
            return None
        claims = jwt.decode(
            assertion,
            app.public_key_pem,
            algorithms=["RS256", "RS384", "RS512", "ES256", "ES384", "ES512"],
            audience=audience,
            issuer=app.client_id,
            options={"require": ["exp", "iat", "sub", "aud", "iss"]},
        )
    except jwt.PyJWTError:
        return None
    return app.client_id if claims.get("sub") == app.client_id else None


def _oauth_error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)
