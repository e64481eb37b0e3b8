"""WorkOS's SSO sign-in: `/sso/authorize`, the IdP callback, `/sso/token` (SAML connections' part
is saml_signin.py: the same authorize and token, the ACS URL instead of the callback).

The flow, as WorkOS documents it (reference/sso/get-authorization-url, reference/sso/profile):

1. the app sends the browser to `GET /sso/authorize?client_id=<environment client>&redirect_uri=
   <app callback>&response_type=code&state=...&connection=conn_...`; WorkOS redirects it to the
   IdP's authorization endpoint (from the connection's discovery endpoint) with the connection's
   own client ID and redirect URI;
2. the IdP sends the browser back to the connection's redirect URI, served here at
   `CALLBACK_PATH`: WorkOS redeems the IdP's code at the IdP's token endpoint with the
   connection's client secret (by its token authentication method), checks the ID token, and
   redirects to the app's callback with a code of its own (or `error`/`error_description`);
3. the app redeems that code at `POST /sso/token` (client_id plus the API key as client_secret)
   and gets `{token_type, access_token, expires_in, profile}`, the profile as the workos SDK's
   `Profile` model holds it: `groups` from the claim the connection's attribute map names
   (`groups` unless mapped otherwise), `role` the environment's default role.

So a connection whose client secret is wrong, or was removed at the IdP, fails step 2 exactly as
it would at WorkOS. Redirect URIs of the app must be registered (`WorkosStore.redirect_uris`, the
dashboard's Redirects page).
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode

import httpx
import jwt
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from sandbox.workos.saml_signin import SamlSignIn
from sandbox.workos.store import Connection, WorkosStore
from sandbox.workos.wire import WorkosError, error_response, not_found, redirect_to_app

CALLBACK_PATH = "/sso/oidc/callback"
"""Where a connection's redirect URI must point for the IdP to hand the sign-in back to WorkOS."""
CODE_SECONDS = 600
"""How long WorkOS's authorization code may be redeemed (it is single-use)."""
IDP_TIMEOUT_SECONDS = 10


@dataclass
class _PendingSignIn:
    connection_id: str
    app_redirect_uri: str
    app_state: str | None
    nonce: str
    idp_redirect_uri: str
    """The connection's redirect URI as sent to the IdP: the token request must repeat it."""
    token_endpoint: str
    jwks_uri: str
    issuer: str


@dataclass
class _Profile:
    body: dict[str, Any]
    expires: float


class WorkosSignIn:
    """The sign-in routes of one WorkOS environment: its client ID and API keys, its connections."""

    def __init__(self, store: WorkosStore, client_id: str, api_keys: Collection[str]) -> None:
        self._store = store
        self._client_id = client_id
        self._api_keys = api_keys
        self._pending: dict[str, _PendingSignIn] = {}
        self._codes: dict[str, _Profile] = {}
        self._lock = threading.Lock()
        self._saml = SamlSignIn(store, self._issue_code)

    def routes(self) -> list[Route]:
        return [
            Route("/sso/authorize", self._authorize, methods=["GET"]),
            Route(CALLBACK_PATH, self._callback, methods=["GET"]),
            Route("/sso/token", self._token, methods=["POST"]),
            *self._saml.routes(),
        ]

    def _issue_code(self, profile: dict[str, Any]) -> str:
        """A single-use code the app redeems at /sso/token for `profile`."""
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = _Profile(profile, time.time() + CODE_SECONDS)
        return code

    async def _authorize(self, request: Request) -> Response:
        params = request.query_params
        try:
            if params.get("client_id") != self._client_id:
                raise _invalid("invalid_client_id", f"Invalid client ID '{params.get('client_id')}'.")
            app_redirect = params.get("redirect_uri", "")
            if app_redirect not in self._store.redirect_uris:
                raise _invalid(
                    "invalid_redirect_uri",
                    f"'{app_redirect}' is not one of the environment's redirect URIs.",
                )
            if params.get("response_type") != "code":
                raise _invalid("invalid_response_type", "response_type must be code.")
            connection = self._active_connection(params.get("connection", ""))
            if connection.saml is not None:
                return self._saml.authorize(connection, app_redirect, params.get("state"))
            metadata = await _discovery(connection)
        except WorkosError as error:
            return error_response(request, error)
        assert connection.oidc is not None
        handle, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(16)
        # No redirect_uri set: WorkOS's own generated one, which is this callback.
        idp_redirect = connection.oidc.redirect_uri or str(request.base_url).rstrip("/") + CALLBACK_PATH
        with self._lock:
            self._pending[handle] = _PendingSignIn(
                connection.id,
                app_redirect,
                params.get("state"),
                nonce,
                idp_redirect,
                metadata["token_endpoint"],
                metadata["jwks_uri"],
                metadata["issuer"],
            )
        query = {
            "client_id": connection.oidc.client_id,
            "redirect_uri": idp_redirect,
            "response_type": "code",
            "scope": "openid profile email",
            "state": handle,
            "nonce": nonce,
        }
        return RedirectResponse(f"{metadata['authorization_endpoint']}?{urlencode(query)}", status_code=302)

    async def _callback(self, request: Request) -> Response:
        params = request.query_params
        with self._lock:
            pending = self._pending.pop(params.get("state", ""), None)
        if pending is None:
            return error_response(request, _invalid("invalid_state", "Unknown or used sign-in state."))
        connection = self._store.connection(pending.connection_id)
        if connection is None or connection.deleting:
            return _to_app(pending, {"error": "connection_invalid", "error_description": "Connection gone."})
        if "error" in params:
            return _to_app(
                pending, {"error": params["error"], "error_description": params.get("error_description", "")}
            )
        try:
            claims = await _redeem(connection, pending, params.get("code", ""))
        except _IdpRefused as refused:
            return _to_app(pending, {"error": "invalid_grant", "error_description": str(refused)})
        return _to_app(pending, {"code": self._issue_code(_profile(connection, claims))})

    async def _token(self, request: Request) -> Response:
        form = await _token_request(request)
        if form.get("client_id") != self._client_id or form.get("client_secret") not in self._api_keys:
            return JSONResponse(
                {"error": "invalid_client", "error_description": "Invalid client ID or client secret."},
                status_code=401,
            )
        if form.get("grant_type") != "authorization_code":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        with self._lock:
            grant = self._codes.pop(str(form.get("code", "")), None)
        if grant is None or grant.expires < time.time():
            return JSONResponse(
                {"error": "invalid_grant", "error_description": "The code is invalid, used or expired."},
                status_code=400,
            )
        return JSONResponse(
            {
                "token_type": "Bearer",
                "access_token": secrets.token_urlsafe(32),
                "expires_in": CODE_SECONDS,
                "profile": grant.body,
            }
        )

    def _active_connection(self, connection_id: str) -> Connection:
        connection = self._store.connection(connection_id)
        if connection is None or connection.deleting:
            raise not_found("Connection", connection_id)
        if connection.state != "active":
            raise _invalid("connection_invalid", f"Connection '{connection_id}' is not active.")
        return connection


class _IdpRefused(Exception):
    """The IdP's token endpoint refused the code, or its ID token did not check out."""


def _invalid(code: str, message: str) -> WorkosError:
    return WorkosError(400, {"code": code, "message": message})


async def _discovery(connection: Connection) -> dict[str, Any]:
    assert connection.oidc is not None  # a SAML connection signs in without discovery
    async with httpx.AsyncClient(timeout=IDP_TIMEOUT_SECONDS) as http:
        answer = await http.get(connection.oidc.discovery_endpoint)
    if answer.status_code != 200:
        raise _invalid(
            "discovery_endpoint_unreachable",
            f"The discovery endpoint of connection '{connection.id}' answered {answer.status_code}.",
        )
    return answer.json()


async def _redeem(connection: Connection, pending: _PendingSignIn, code: str) -> dict[str, Any]:
    """The IdP's ID token claims for `code`, redeemed with the connection's own client secret."""
    options = connection.oidc
    assert options is not None  # pending sign-ins of OIDC connections only come here
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": pending.idp_redirect_uri}
    auth = None
    if options.token_authentication_method == "client_secret_basic":
        auth = (options.client_id, options.client_secret or "")
    else:
        form.update(client_id=options.client_id, client_secret=options.client_secret or "")
    async with httpx.AsyncClient(timeout=IDP_TIMEOUT_SECONDS) as http:
        answer = await http.post(pending.token_endpoint, data=form, auth=auth)
        if answer.status_code != 200:
            raise _IdpRefused(f"The identity provider refused the code: {answer.text}")
        keys = jwt.PyJWKSet.from_dict((await http.get(pending.jwks_uri)).json())
    id_token = answer.json().get("id_token", "")
    try:
        key = keys[jwt.get_unverified_header(id_token)["kid"]]
        claims = jwt.decode(
            id_token, key.key, algorithms=["RS256"], audience=options.client_id, issuer=pending.issuer
        )
    except (jwt.PyJWTError, KeyError) as exc:
        raise _IdpRefused(f"The identity provider's ID token did not verify: {exc}") from None
    if claims.get("nonce") != pending.nonce:
        raise _IdpRefused("The identity provider's ID token carries another nonce.")
    return claims


def _profile(connection: Connection, claims: dict[str, Any]) -> dict[str, Any]:
    """The Profile object: standard fields from the ID token (the claim attribute_maps names for a
    field, else the usual ones), groups from the mapped claim."""
    groups = claims.get(connection.groups_attribute)

    def claim(field: str, *usual: str) -> Any:
        mapped = connection.attribute_map.get(field)
        return next((claims[name] for name in ((mapped,) if mapped else usual) if claims.get(name)), None)

    return connection.profile(
        idp_id=str(claim("idp_id", "oid", "sub") or ""),
        email=claim("email", "email", "preferred_username") or "",
        first_name=claim("first_name", "given_name"),
        last_name=claim("last_name", "family_name"),
        name=claim("name", "name"),
        raw_attributes=claims,
        groups=list(groups) if isinstance(groups, list) else [],
        source=claims.get,
    )


def _to_app(pending: _PendingSignIn, query: dict[str, str]) -> Response:
    return redirect_to_app(pending.app_redirect_uri, pending.app_state, query)


async def _token_request(request: Request) -> dict[str, Any]:
    """The token request's fields, sent as JSON (the workos SDK) or as a form."""
    raw = await request.body()
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}
    return {key: values[0] for key, values in parse_qs(raw.decode()).items()}
