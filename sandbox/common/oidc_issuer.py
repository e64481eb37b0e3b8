"""The sign-in side of a stand-in identity provider: discovery, authorize, token, JWKS.

Generic OIDC mechanics live here once; each stand-in (Entra, Okta) supplies a `SignInPolicy`
that knows its own apps, users and claim rules, so ID tokens carry exactly what the
provisioned configuration would make the real service send.

There is no browser: the authorization endpoint answers GET with a small HTML form and
POST with the user's login and password, then redirects to the client's redirect URI.
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import threading
import time
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlencode

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from sandbox.common.client_assertion import (
    ASSERTION_TYPE,
    AssertionRefused,
    ReplayGuard,
    assertion_issuer,
    verify_client_assertion,
)

SANDBOX_USER_PASSWORD = "sandbox-password"
"""Every seeded sandbox user signs in with this password (a sandbox value, not a secret)."""

SECRET_METHODS = ("client_secret_basic", "client_secret_post")
"""The token-endpoint auth methods that send a client secret (OpenID Connect Core 1.0 §9)."""
PRIVATE_KEY_JWT = "private_key_jwt"
"""The method that sends a JWT signed with the client's private key instead (RFC 7523)."""


class SignInRefused(Exception):
    """The IdP refuses this user for this app; `error` follows OAuth 2.0 (access_denied ...)."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


class SignInPolicy(Protocol):
    """What a stand-in knows about its apps and users."""

    def redirect_uris(self, client_id: str) -> list[str] | None:
        """The app's registered redirect URIs, or None if there is no such client."""

    def check_client_secret(self, client_id: str, secret: str) -> bool: ...

    def assertion_keys(self, client_id: str, header: dict[str, Any]) -> Sequence[PublicKeyTypes]:
        """The client's registered public keys that a client assertion with this header names."""

    def assertion_refusal(self, refused: AssertionRefused) -> str:
        """The vendor's `error_description` for a refused client assertion (error invalid_client)."""

    def token_endpoint_auth_methods(self, client_id: str) -> Collection[str]:
        """How the app may authenticate at the token endpoint (client_secret_basic, ...)."""

    def authenticate(self, login: str, password: str) -> str | None:
        """The user's ID for valid credentials, else None."""

    def id_token_claims(self, client_id: str, user_id: str, scopes: list[str]) -> dict[str, Any]:
        """Claims beyond iss/aud/iat/exp/nonce; raise SignInRefused to refuse the sign-in."""


@dataclass(frozen=True)
class IssuerPaths:
    """Where the endpoints live, relative to the stand-in's root URL."""

    issuer: str
    authorize: str
    token: str
    jwks: str
    userinfo: str | None = None

    @property
    def discovery(self) -> str:
        return self.issuer + "/.well-known/openid-configuration"


@dataclass
class _Grant:
    client_id: str
    redirect_uri: str
    claims: dict[str, Any]
    nonce: str | None
    expires: float


@dataclass
class SigningKey:
    kid: str = field(default_factory=lambda: secrets.token_hex(8))
    private_key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )

    def jwk(self) -> dict[str, Any]:
        numbers = self.private_key.public_key().public_numbers()

        def b64(value: int) -> str:
            raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
            return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

        return {
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": self.kid,
            "n": b64(numbers.n),
            "e": b64(numbers.e),
        }


class OidcIssuer:
    """Serves one issuer's OIDC endpoints for a policy; `base_url` is the stand-in's root URL."""

    def __init__(
        self,
        policy: SignInPolicy,
        paths: IssuerPaths,
        *,
        other_grants: Callable[[Request], Awaitable[Response]] | None = None,
    ) -> None:
        """`other_grants` answers token requests that are not authorization_code (e.g. a service
        app's client_credentials on the same endpoint)."""
        self.policy = policy
        self.paths = paths
        self.key = SigningKey()
        self._other_grants = other_grants
        self.base_url = ""
        self._grants: dict[str, _Grant] = {}
        self._lock = threading.Lock()
        self._replays = ReplayGuard()

    def routes(self) -> list[Route]:
        return [
            Route(self.paths.discovery, self._discovery, methods=["GET"]),
            Route(self.paths.jwks, self._jwks, methods=["GET"]),
            Route(self.paths.authorize, self._authorize, methods=["GET", "POST"]),
            Route(self.paths.token, self._token, methods=["POST"]),
        ]

    def _url(self, request: Request, path: str) -> str:
        root = self.base_url or str(request.base_url).rstrip("/")
        return root + path

    async def _discovery(self, request: Request) -> Response:
        return JSONResponse(
            {
                "issuer": self._url(request, self.paths.issuer),
                "authorization_endpoint": self._url(request, self.paths.authorize),
                "token_endpoint": self._url(request, self.paths.token),
                "jwks_uri": self._url(request, self.paths.jwks),
                "response_types_supported": ["code", "id_token", "code id_token"],
                "subject_types_supported": ["pairwise", "public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "scopes_supported": ["openid", "profile", "email", "offline_access", "groups"],
                "token_endpoint_auth_methods_supported": [*SECRET_METHODS, PRIVATE_KEY_JWT],
                "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
                "claims_supported": [
                    "sub",
                    "iss",
                    "aud",
                    "exp",
                    "iat",
                    "nonce",
                    "email",
                    "name",
                    "given_name",
                    "family_name",
                    "groups",
                    "preferred_username",
                ],
            }
        )

    async def _jwks(self, _request: Request) -> Response:
        return JSONResponse({"keys": [self.key.jwk()]})

    async def _authorize(self, request: Request) -> Response:
        params: Mapping[str, str] = request.query_params
        if request.method == "POST":
            params = {**params, **form_fields(await request.body())}
        client_id, redirect_uri = params.get("client_id", ""), params.get("redirect_uri", "")
        registered = self.policy.redirect_uris(client_id)
        if registered is None:
            return error_page(
                400, "unauthorized_client", f"Application with identifier '{client_id}' was not found."
            )
        if redirect_uri not in registered:
            # Never redirect to an unregistered URI: show the error, as the real services do.
            return error_page(
                400,
                "invalid_request",
                f"The redirect URI '{redirect_uri}' does not match the redirect URIs "
                "configured for the application.",
            )
        if params.get("response_type") != "code":
            return _redirect_error(
                redirect_uri, params, "unsupported_response_type", "Only response_type=code is supported."
            )
        if request.method == "GET":
            return _login_form(params)
        user_id = self.policy.authenticate(params.get("login", ""), params.get("password", ""))
        if user_id is None:
            return _login_form(params, error="The user name or password is incorrect.")
        scopes = params.get("scope", "openid").split()
        try:
            claims = self.policy.id_token_claims(client_id, user_id, scopes)
        except SignInRefused as refused:
            return _redirect_error(redirect_uri, params, refused.error, refused.description)
        code = secrets.token_urlsafe(32)
        with self._lock:
            self._grants[code] = _Grant(
                client_id, redirect_uri, claims, params.get("nonce"), time.time() + 300
            )
        query = {"code": code, **({"state": params["state"]} if params.get("state") else {})}
        return RedirectResponse(f"{redirect_uri}?{urlencode(query)}", status_code=302)

    async def _token(self, request: Request) -> Response:
        form = form_fields(await request.body())
        if form.get("grant_type") != "authorization_code" and self._other_grants is not None:
            return await self._other_grants(request)
        method, client_id, credential = _client_authentication(request, form)
        if method not in self.policy.token_endpoint_auth_methods(client_id):
            # The app is registered for another method: refused whatever the secret (as Okta does).
            return _invalid_client(
                "Client authentication failed. Either the client or the client credentials are invalid."
            )
        if method == PRIVATE_KEY_JWT:
            try:
                verify_client_assertion(
                    credential,
                    client_id=client_id,
                    token_url=self._url(request, self.paths.token),
                    keys=lambda header: self.policy.assertion_keys(client_id, header),
                    replays=self._replays,
                )
            except AssertionRefused as refused:
                return _invalid_client(self.policy.assertion_refusal(refused))
        elif not client_id or not self.policy.check_client_secret(client_id, credential):
            return _invalid_client("Invalid client secret provided.")
        if form.get("grant_type") != "authorization_code":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        with self._lock:
            grant = self._grants.pop(str(form.get("code", "")), None)
        if (
            grant is None
            or grant.expires < time.time()
            or grant.client_id != client_id
            or grant.redirect_uri != form.get("redirect_uri")
        ):
            return JSONResponse(
                {
                    "error": "invalid_grant",
                    "error_description": "The authorization code is invalid or has expired.",
                },
                status_code=400,
            )
        now = int(time.time())
        claims = {
            **grant.claims,
            "iss": self._url(request, self.paths.issuer),
            "aud": client_id,
            "iat": now,
            "nbf": now,
            "exp": now + 3600,
        }
        if grant.nonce:
            claims["nonce"] = grant.nonce
        id_token = jwt.encode(claims, self.key.private_key, algorithm="RS256", headers={"kid": self.key.kid})
        access_token = hashlib.sha256(id_token.encode()).hexdigest()
        return JSONResponse(
            {
                "token_type": "Bearer",
                "expires_in": 3600,
                "scope": "openid",
                "id_token": id_token,
                "access_token": access_token,
            }
        )


def form_fields(body: bytes) -> dict[str, str]:
    """An application/x-www-form-urlencoded body (no multipart: the flows never send files)."""
    return {key: values[0] for key, values in parse_qs(body.decode()).items()}


def _invalid_client(description: str) -> Response:
    return JSONResponse({"error": "invalid_client", "error_description": description}, status_code=401)


def _client_authentication(request: Request, form: Mapping[str, Any]) -> tuple[str, str, str]:
    """(method, client_id, credential) of a token request: private_key_jwt (a client assertion in
    the form; `client_id` is optional there, the assertion's `iss` names the client),
    client_secret_basic (the Authorization header), client_secret_post (both in the form) or none
    (no credential)."""
    if form.get("client_assertion_type") == ASSERTION_TYPE and form.get("client_assertion"):
        assertion = str(form["client_assertion"])
        return PRIVATE_KEY_JWT, str(form.get("client_id") or assertion_issuer(assertion) or ""), assertion
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        decoded = base64.b64decode(header[6:]).decode()
        client_id, _, secret = decoded.partition(":")
        return "client_secret_basic", unquote(client_id), unquote(secret)
    client_id = str(form.get("client_id", ""))
    if "client_secret" in form:
        return "client_secret_post", client_id, str(form["client_secret"])
    return "none", client_id, ""


def error_page(status: int, error: str, description: str) -> Response:
    body = (
        f"<html><body><h1>Sign-in error</h1><p id='error'>{html.escape(error)}</p>"
        f"<p id='error_description'>{html.escape(description)}</p></body></html>"
    )
    return HTMLResponse(body, status_code=status)


def _redirect_error(redirect_uri: str, params: Mapping[str, str], error: str, description: str) -> Response:
    query = {"error": error, "error_description": description}
    if params.get("state"):
        query["state"] = params["state"]
    return RedirectResponse(f"{redirect_uri}?{urlencode(query)}", status_code=302)


_PASSED_ON = ("client_id", "redirect_uri", "response_type", "scope", "state", "nonce", "response_mode")


def _login_form(params: Mapping[str, str], error: str = "") -> Response:
    hidden = "".join(
        f"<input type='hidden' name='{name}' value='{html.escape(params[name], quote=True)}'>"
        for name in _PASSED_ON
        if params.get(name)
    )
    message = f"<p id='error'>{html.escape(error)}</p>" if error else ""
    body = (
        f"<html><body><form id='login' method='post'>{message}{hidden}"
        "<input name='login'><input name='password' type='password'>"
        "<button type='submit'>Sign in</button></form></body></html>"
    )
    return HTMLResponse(body, status_code=200 if not error else 401)
