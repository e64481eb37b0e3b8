"""WorkOS's wire conventions: ids, timestamps, API-key auth, error bodies, Idempotency-Key.

The shapes come from the workos SDK 10.8.0's generated models (`workos/common/models/*error_body*`,
`workos/sso/models/connection.py`, `workos/organizations/models/organization.py`) and the
API reference (reference/errors, reference/rate-limits):

- 401 `{"error": "Unauthorized"}` (UnauthorizedErrorBody)
- 404 `{"code": "entity_not_found", "message"}` (EntityNotFoundErrorBody)
- 409 / 422 `{"code", "message"}` for a named rule (client_secret_required,
  connection_type_not_updatable, ...), or `{"code": "invalid_request_parameters", "message",
  "errors": [{"code", "message"}]}` for malformed fields
- 429 `{"code": "rate_limit_exceeded", "message", "retry_after"}` with a `Retry-After` header
- 5xx `{"error": <HTTP reason>, "message"}` (ErrorBodyWithError)

Every answer carries `X-Request-ID: req_...`, which the SDK copies into its errors.
"""

from __future__ import annotations

import hashlib
import json
import math
import secrets
import threading
import time
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def new_id(prefix: str) -> str:
    """A WorkOS-style id: `prefix_` + a 26-character ULID (48-bit milliseconds, 80 random bits)."""
    value = (int(time.time() * 1000) << 80) | secrets.randbits(80)
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return f"{prefix}_{''.join(reversed(chars))}"


def timestamp(moment: datetime | None = None) -> str:
    """ISO 8601 in UTC with milliseconds and `Z`, as WorkOS writes `created_at`/`updated_at`."""
    moment = (moment or datetime.now(UTC)).astimezone(UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class WorkosError(Exception):
    """An error answer: raised anywhere in a route, rendered by `workos_route`."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status} {self.body}"


def not_found(kind: str, object_id: str) -> WorkosError:
    return WorkosError(404, {"code": "entity_not_found", "message": f"{kind} not found: '{object_id}'."})


def rule_error(code: str, message: str, status: int = 422) -> WorkosError:
    """A refusal with its own error code (the SDK's ErrorBodyCode values)."""
    return WorkosError(status, {"code": code, "message": message})


def invalid_parameters(*problems: tuple[str, str]) -> WorkosError:
    """422 for fields of the wrong type or missing: one `{"code", "message"}` per problem."""
    return WorkosError(
        422,
        {
            "code": "invalid_request_parameters",
            "message": "Validation failed",
            "errors": [{"code": code, "message": message} for code, message in problems],
        },
    )


def check_url(value: object, name: str, *, https_code: str | None = None) -> str:
    """An absolute URL; https only, except for loopback hosts (the stand-in's one leniency)."""
    if not isinstance(value, str) or not value:
        raise invalid_parameters((f"{name}_required", f"{name} must be a non-empty string"))
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise rule_error("invalid_url", f"{name} must be an absolute URL.")
    if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        code = https_code or "invalid_url"
        raise rule_error(code, f"{name} must use HTTPS.")
    return value


def json_response(request: Request | None, body: Any, status: int = 200) -> Response:
    return Response(
        json.dumps(body),
        status_code=status,
        media_type="application/json",
        headers={"X-Request-ID": _request_id(request)},
    )


def redirect_to_app(redirect_uri: str, state: str | None, query: dict[str, str]) -> Response:
    """The end of a sign-in: back to the app's callback with `code` or `error`, and its `state`."""
    if state:
        query = {**query, "state": state}
    return RedirectResponse(f"{redirect_uri}?{urlencode(query)}", status_code=302)


def no_content(request: Request) -> Response:
    return Response(status_code=204, headers={"X-Request-ID": _request_id(request)})


def error_response(request: Request | None, error: WorkosError) -> Response:
    response = json_response(request, error.body, error.status)
    response.headers.update(error.headers)
    return response


def render_fault(kind: str, value: float | int) -> Response:
    """Injected faults in WorkOS's shape: 429 rate_limit_exceeded with Retry-After, or a 5xx."""
    if kind == "throttle":
        # Retry-After in whole seconds (the SDK accepts only digits); never round a wait to zero.
        wait = max(1, math.ceil(value))
        error = WorkosError(
            429,
            {"code": "rate_limit_exceeded", "message": "Rate limit exceeded.", "retry_after": wait},
            {"Retry-After": str(wait)},
        )
    else:
        status = int(value)
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Server Error"
        error = WorkosError(status, {"error": phrase, "message": "An internal error occurred."})
    return error_response(None, error)


def _request_id(request: Request | None) -> str:
    if request is None:
        return new_id("req")
    return request.scope.setdefault("workos.request_id", new_id("req"))


async def read_json(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise rule_error("invalid_request", "The request body must be a JSON object.", 400)
    return body


Handler = Callable[[Request], Awaitable[Response]]


class IdempotencyKeys:
    """POSTs replayed by `Idempotency-Key`: the same body gets the first answer again,
    a different body under a used key is refused (409 idempotency_key_conflict)."""

    def __init__(self) -> None:
        self._answers: dict[str, tuple[str, int, bytes]] = {}
        self._lock = threading.Lock()

    def replay(self, key: str, body: bytes) -> Response | None:
        with self._lock:
            answer = self._answers.get(key)
        if answer is None:
            return None
        digest, status, content = answer
        if digest != hashlib.sha256(body).hexdigest():
            raise rule_error(
                "idempotency_key_conflict",
                "This Idempotency-Key was already used with a different request body.",
                409,
            )
        return Response(content, status_code=status, media_type="application/json")

    def remember(self, key: str, body: bytes, response: Response) -> None:
        if response.status_code >= 500:
            return
        with self._lock:
            self._answers[key] = (
                hashlib.sha256(body).hexdigest(),
                response.status_code,
                bytes(response.body),
            )

    def clear(self) -> None:
        with self._lock:
            self._answers.clear()


def workos_route(
    path: str,
    handlers: dict[str, Handler],
    api_keys: Collection[str],
    idempotency: IdempotencyKeys,
) -> Route:
    """One API path: demand `Authorization: Bearer <known API key>`, honour Idempotency-Key on
    POST, render WorkosError."""

    async def endpoint(request: Request) -> Response:
        try:
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or token.strip() not in api_keys:
                raise WorkosError(401, {"error": "Unauthorized"})
            key = request.headers.get("idempotency-key") if request.method == "POST" else None
            if key:
                raw = await request.body()
                replayed = idempotency.replay(key, raw)
                if replayed is not None:
                    replayed.headers["X-Request-ID"] = _request_id(request)
                    return replayed
            response = await handlers[request.method](request)
            if key:
                idempotency.remember(key, raw, response)
            return response
        except WorkosError as error:
            return error_response(request, error)

    return Route(path, endpoint, methods=list(handlers))
