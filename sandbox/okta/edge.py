"""What every Okta answer goes through before a route runs: rate limiting and authentication.

- Rate limits: per endpoint, as Okta counts them (`ENDPOINT_LIMITS`): one fixed window per bucket,
  org-wide (every app's secrets share the `/api/v1/apps*` bucket). Every answer carries its
  bucket's `X-Rate-Limit-Limit`, `X-Rate-Limit-Remaining` and `X-Rate-Limit-Reset` (epoch
  seconds) and an `X-Okta-Request-Id`; an exhausted bucket answers 429 E0000047 until its reset.
- Authentication: `Authorization: SSWS <token>` and `SSWS<token>` (the okta SDK sends both
  forms), or an access token issued by the stand-in's `/oauth2/v1/token` to a registered service
  app, limited to its granted scopes: `Bearer <token>`, or for a service app that requires DPoP
  `DPoP <token>` with a `DPoP` proof bound to the token (`sandbox.okta.dpop`); a bad proof is 400
  with the OAuth error in `WWW-Authenticate`, as Okta answers it. Anything else is 401 E0000011.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sandbox.okta import errors
from sandbox.okta.dpop import DpopVerifier, InvalidProof
from sandbox.okta.errors import OktaError, random_token

TOKEN_PATH = "/oauth2/v1/token"
AUTHORIZE_PATH = "/oauth2/v1/authorize"
KEYS_PATH = "/oauth2/v1/keys"
DISCOVERY_PATH = "/.well-known/openid-configuration"
SIGN_IN_PATHS = frozenset({TOKEN_PATH, AUTHORIZE_PATH, KEYS_PATH, DISCOVERY_PATH})
"""The org authorization server's endpoints: public, no API token."""
APP_SIGN_IN_PREFIX = "/app/"
"""End-user app paths (a SAML app's SSO URL and metadata): public, no API token."""
ACCESS_TOKEN_SECONDS = 3600


@dataclass(frozen=True)
class RateLimitState:
    limit: int
    remaining: int
    reset: int
    allowed: bool

    def headers(self) -> dict[str, str]:
        return {
            "X-Rate-Limit-Limit": str(self.limit),
            "X-Rate-Limit-Remaining": str(self.remaining),
            "X-Rate-Limit-Reset": str(self.reset),
        }


ENDPOINT_LIMITS: dict[str, int] = {
    "/api/v1/apps*": 10,
    "/api/v1/apps/{id}": 50,
    "/api/v1/groups": 100,
    "/api/v1/groups/{id}": 100,
    "/api/v1/users/{idOrLogin}": 100,
    "/api/v1": 100,
    "/oauth2/v1": 600,
}
"""Requests per window by bucket. Okta's buckets (Management rate limits): `/api/v1/apps*` is app
create and list and every `/api/v1/apps/{id}/...` call (client secrets, lifecycle, group
assignments); `/api/v1/apps/{id}` alone is get, update, delete of one app; `/api/v1` is most other
calls. The numbers are what a developer org answered in 2025-26 recordings where recorded (10 and
50), else Okta's published developer-edition limits; the sign-in endpoints share one bucket."""


def bucket_of(method: str, path: str) -> str:
    """The rate-limit bucket a request counts against."""
    parts = [part for part in path.split("/") if part]
    if parts[:2] != ["api", "v1"]:
        return "/oauth2/v1"
    rest = parts[2:]
    if rest[:1] == ["apps"]:
        return "/api/v1/apps/{id}" if len(rest) == 2 else "/api/v1/apps*"
    if rest[:1] == ["groups"] and len(rest) <= 2:
        return "/api/v1/groups" if len(rest) == 1 else "/api/v1/groups/{id}"
    if rest[:1] == ["users"] and len(rest) == 2 and method == "GET":
        return "/api/v1/users/{idOrLogin}"
    return "/api/v1"


class RateLimiter:
    """Okta's per-endpoint buckets: `limits[bucket]` requests per fixed window of `window_seconds`.

    Okta's window is a minute; a stand-in may shorten it so tests stay fast, the counting is the same.
    """

    def __init__(self, limits: Mapping[str, int] | None = None, window_seconds: float = 60.0) -> None:
        self.limits = dict(ENDPOINT_LIMITS if limits is None else limits)
        self.window_seconds = window_seconds
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[float, int]] = {}
        """Bucket -> (end of its current window, requests counted in it)."""

    def take(self, method: str, path: str) -> RateLimitState:
        """Count one request against its bucket; `allowed` is False once the bucket is exhausted."""
        return self._count(bucket_of(method, path), 1)

    def peek(self, method: str, path: str) -> RateLimitState:
        return self._count(bucket_of(method, path), 0)

    def _count(self, bucket: str, cost: int) -> RateLimitState:
        limit = self.limits.get(bucket, self.limits.get("/api/v1", 100))
        with self._lock:
            now = time.time()
            window_end, used = self._windows.get(bucket, (0.0, 0))
            if now >= window_end:
                window_end, used = now + self.window_seconds, 0
            allowed = used < limit
            if allowed:
                used += cost
            self._windows[bucket] = (window_end, used)
        return RateLimitState(limit, limit - used, math.ceil(window_end), allowed)


@dataclass
class ServiceApp:
    """An OAuth 2.0 service app allowed to call the management API with private_key_jwt."""

    client_id: str
    public_key_pem: str
    scopes: frozenset[str]
    dpop_bound_access_tokens: bool = False
    """Okta's "Require Demonstrating Proof of Possession (DPoP) header in token requests", on by
    default for API service apps created since 2024."""


@dataclass
class _AccessToken:
    client_id: str
    scopes: frozenset[str]
    expires_at: float
    jkt: str | None = None
    """The thumbprint of the DPoP key the token is bound to; None for a Bearer token."""


@dataclass
class OktaAuth:
    """Who may call the stand-in: one SSWS API token, and service apps holding access tokens."""

    api_token: str
    service_apps: dict[str, ServiceApp] = field(default_factory=dict)
    header_forms: Counter = field(default_factory=Counter)
    """How accepted callers spelled it: "SSWS <token>", "SSWS<token>" or "Bearer <token>"."""
    dpop: DpopVerifier = field(default_factory=DpopVerifier, repr=False)
    _tokens: dict[str, _AccessToken] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def register_service_app(
        self, client_id: str, public_key_pem: str, scopes: set[str], *, dpop_bound_access_tokens: bool = False
    ) -> None:
        self.service_apps[client_id] = ServiceApp(
            client_id, public_key_pem, frozenset(scopes), dpop_bound_access_tokens
        )

    def issue_token(self, client_id: str, scopes: frozenset[str], jkt: str | None = None) -> str:
        token = random_token(40)
        with self._lock:
            self._tokens[token] = _AccessToken(client_id, scopes, time.time() + ACCESS_TOKEN_SECONDS, jkt)
        return token

    def check(
        self, method: str, path: str, authorization: str, *, dpop_proof: str | None = None, url: str = ""
    ) -> OktaError | None:
        """None if the caller may make this request, else the error Okta would answer. `url` is the
        request's URL as the client addressed it, which a DPoP proof's `htu` must name."""
        if path in SIGN_IN_PATHS or path.startswith(APP_SIGN_IN_PREFIX):
            return None
        if authorization.startswith("DPoP "):
            refused = self._check_token(method, path, authorization[5:].strip(), dpop_proof, url)
            if refused is None:
                self._count("DPoP <token>")
            return refused
        if authorization.startswith("SSWS"):
            token = authorization[4:].strip()
            if not token or token != self.api_token:
                return errors.invalid_token()
            self._count("SSWS <token>" if authorization[4:5] == " " else "SSWS<token>")
            return None
        if authorization.startswith("Bearer "):
            refused = self._check_token(method, path, authorization[7:].strip(), None, url)
            if refused is None:
                self._count("Bearer <token>")
            return refused
        return errors.invalid_token()

    def _count(self, form: str) -> None:
        with self._lock:
            self.header_forms[form] += 1

    def _check_token(
        self, method: str, path: str, token: str, dpop_proof: str | None, url: str
    ) -> OktaError | None:
        """A Bearer token (`dpop_proof` None) or a DPoP-bound one with its proof."""
        with self._lock:
            grant = self._tokens.get(token)
        if grant is None or grant.expires_at < time.time():
            return errors.invalid_token()
        if (grant.jkt is None) != (dpop_proof is None):
            return errors.invalid_token()  # a bound token sent as Bearer, or a Bearer one as DPoP
        if grant.jkt is not None:
            realm = url.split("/api/", 1)[0]
            try:
                key = self.dpop.check(dpop_proof, method, url, nonce_required=False, access_token=token)
            except InvalidProof as bad:
                return errors.dpop_refused("invalid_dpop_proof", str(bad), realm, path)
            if key != grant.jkt:
                return errors.dpop_refused(
                    "invalid_dpop_proof", "The DPoP proof key does not match the access token.", realm, path
                )
        needed = required_scope(method, path)
        if needed is None:
            return errors.access_denied()
        # A manage scope includes reading: okta.apps.manage may GET apps.
        if needed not in grant.scopes and needed.replace(".read", ".manage") not in grant.scopes:
            return errors.access_denied()
        return None


def required_scope(method: str, path: str) -> str | None:
    """The OAuth scope an endpoint needs; None where Okta takes only an SSWS token (internal API)."""
    verb = "read" if method in ("GET", "HEAD") else "manage"
    for family in ("apps", "groups", "users"):
        if path.startswith(f"/api/v1/{family}"):
            return f"okta.{family}.{verb}"
    return None


class OktaEdge:
    """ASGI middleware: rate-limit and request-id headers on every answer, then authentication."""

    def __init__(self, app: ASGIApp, *, auth: OktaAuth, limiter: RateLimiter) -> None:
        self._app = app
        self._auth = auth
        self._limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        state = self._limiter.take(scope["method"], scope["path"])
        extra = [(k.lower().encode(), v.encode()) for k, v in state.headers().items()]
        extra.append((b"x-okta-request-id", random_token(27).encode()))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        if not state.allowed:
            await errors.too_many_requests().response()(scope, receive, send_with_headers)
            return
        headers = dict(scope.get("headers", []))
        authorization = headers.get(b"authorization", b"").decode("latin-1")
        proof = headers.get(b"dpop")
        host = headers.get(b"host", b"").decode("latin-1")
        refused = self._auth.check(
            scope["method"],
            scope["path"],
            authorization,
            dpop_proof=proof.decode("latin-1") if proof is not None else None,
            url=f"{scope.get('scheme', 'http')}://{host}{scope['path']}",
        )
        if refused is not None:
            await refused.response()(scope, receive, send_with_headers)
            return
        await self._app(scope, receive, send_with_headers)
