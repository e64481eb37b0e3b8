"""What every Okta answer goes through before a route runs: rate limiting and authentication.

- Rate limit: one org-wide fixed window; every answer carries `X-Rate-Limit-Limit`,
  `X-Rate-Limit-Remaining` and `X-Rate-Limit-Reset` (epoch seconds) and `X-Okta-Request-Id`;
  an exhausted window answers 429 E0000047.
- Authentication: `Authorization: SSWS <token>` and `SSWS<token>` (the okta SDK sends both
  forms), or `Bearer <access token>` issued by the stand-in's `/oauth2/v1/token` to a registered
  service app, limited to its granted scopes. Anything else is 401 E0000011.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sandbox.okta import errors
from sandbox.okta.errors import OktaError, random_token

TOKEN_PATH = "/oauth2/v1/token"
AUTHORIZE_PATH = "/oauth2/v1/authorize"
KEYS_PATH = "/oauth2/v1/keys"
DISCOVERY_PATH = "/.well-known/openid-configuration"
SIGN_IN_PATHS = frozenset({TOKEN_PATH, AUTHORIZE_PATH, KEYS_PATH, DISCOVERY_PATH})
"""The org authorization server's endpoints: public, no API token."""
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


class RateLimiter:
    """A fixed window of `limit` requests per `window_seconds`, like Okta's per-minute buckets."""

    def __init__(self, limit: int = 600, window_seconds: float = 60.0) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self._lock = threading.Lock()
        self._window_end = 0.0
        self._used = 0

    def take(self) -> RateLimitState:
        with self._lock:
            self._roll()
            allowed = self._used < self.limit
            if allowed:
                self._used += 1
            return self._state(allowed)

    def peek(self) -> RateLimitState:
        with self._lock:
            self._roll()
            return self._state(True)

    def _roll(self) -> None:
        now = time.time()
        if now >= self._window_end:
            self._window_end = now + self.window_seconds
            self._used = 0

    def _state(self, allowed: bool) -> RateLimitState:
        return RateLimitState(self.limit, self.limit - self._used, math.ceil(self._window_end), allowed)


@dataclass
class ServiceApp:
    """An OAuth 2.0 service app allowed to call the management API with private_key_jwt."""

    client_id: str
    public_key_pem: str
    scopes: frozenset[str]


@dataclass
class _AccessToken:
    client_id: str
    scopes: frozenset[str]
    expires_at: float


@dataclass
class OktaAuth:
    """Who may call the stand-in: one SSWS API token, and service apps holding access tokens."""

    api_token: str
    service_apps: dict[str, ServiceApp] = field(default_factory=dict)
    header_forms: Counter = field(default_factory=Counter)
    """How accepted callers spelled it: "SSWS <token>", "SSWS<token>" or "Bearer <token>"."""
    _tokens: dict[str, _AccessToken] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def register_service_app(self, client_id: str, public_key_pem: str, scopes: set[str]) -> None:
        self.service_apps[client_id] = ServiceApp(client_id, public_key_pem, frozenset(scopes))

    def issue_token(self, client_id: str, scopes: frozenset[str]) -> str:
        token = random_token(40)
        with self._lock:
            self._tokens[token] = _AccessToken(client_id, scopes, time.time() + ACCESS_TOKEN_SECONDS)
        return token

    def check(self, method: str, path: str, authorization: str) -> OktaError | None:
        """None if the caller may make this request, else the error Okta would answer."""
        if path in SIGN_IN_PATHS:
            return None
        if authorization.startswith("SSWS"):
            token = authorization[4:].strip()
            if not token or token != self.api_token:
                return errors.invalid_token()
            self._count("SSWS <token>" if authorization[4:5] == " " else "SSWS<token>")
            return None
        if authorization.startswith("Bearer "):
            refused = self._check_bearer(method, path, authorization[7:].strip())
            if refused is None:
                self._count("Bearer <token>")
            return refused
        return errors.invalid_token()

    def _count(self, form: str) -> None:
        with self._lock:
            self.header_forms[form] += 1

    def _check_bearer(self, method: str, path: str, token: str) -> OktaError | None:
        with self._lock:
            grant = self._tokens.get(token)
        if grant is None or grant.expires_at < time.time():
            return errors.invalid_token()
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
        state = self._limiter.take()
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
        refused = self._auth.check(scope["method"], scope["path"], authorization)
        if refused is not None:
            await refused.response()(scope, receive, send_with_headers)
            return
        await self._app(scope, receive, send_with_headers)
