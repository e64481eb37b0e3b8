"""Graph's wire conventions: OData error bodies, response headers, `$filter`/`$select`/paging.

Every route answers through this module so that the shapes stay the same everywhere:
errors are `{"error": {"code", "message", "innerError": {"date", "request-id",
"client-request-id"}}}`, collections are `{"@odata.context", "value", "@odata.nextLink"?}`
and responses carry `request-id` / `client-request-id` headers like the real service.
"""

from __future__ import annotations

import base64
import json
import math
import re
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

CONTENT_TYPE = (
    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"
)
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 999


@dataclass
class GraphError(Exception):
    """A Graph error answer: raised anywhere in the stand-in, rendered by `graph_route`."""

    status: int
    code: str
    message: str
    headers: dict[str, str] = field(default_factory=dict)
    details: list[dict[str, str]] = field(default_factory=list)
    """Graph's `error.details`: [{code, message, target}], for errors that name a property."""

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"


def not_found(object_id: str) -> GraphError:
    """Graph's answer for a directory object that does not exist (or is not replicated yet)."""
    return GraphError(
        404,
        "Request_ResourceNotFound",
        f"Resource '{object_id}' does not exist or one of its queried reference-property objects "
        "are not present.",
    )


def invalid_value(prop: str, resource: str) -> GraphError:
    """Graph's answer for a property value it refuses, e.g. a bad `signInAudience`."""
    return GraphError(
        400, "Request_BadRequest", f"Invalid value specified for property '{prop}' of resource '{resource}'."
    )


def graph_datetime(moment: datetime) -> str:
    """Graph's timestamp form: UTC, `Z`, seven fractional digits when there are any."""
    moment = moment.astimezone(UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond:06d}0"
    return text + "Z"


def utcnow() -> datetime:
    return datetime.now(UTC)


def parse_datetime(value: object, prop: str, resource: str) -> datetime:
    """An `Edm.DateTimeOffset` from a request body; a naive time is taken as UTC."""
    if not isinstance(value, str):
        raise invalid_value(prop, resource)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise GraphError(
            400,
            "BadRequest",
            f"Cannot convert the literal '{value}' to the expected type 'Edm.DateTimeOffset'.",
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# ---------------------------------------------------------------------------------------------
# Responses


def _request_ids(request: Request) -> tuple[str, str]:
    request_id = request.scope.setdefault("graph.request_id", str(uuid.uuid4()))
    client_request_id = request.headers.get("client-request-id") or request_id
    return request_id, client_request_id


def context_url(request: Request, fragment: str) -> str:
    """`@odata.context` for this stand-in's own base URL, e.g. `.../v1.0/$metadata#applications`."""
    return f"{request.url.scheme}://{request.url.netloc}/v1.0/$metadata#{fragment}"


def json_response(request: Request, body: dict[str, Any], status: int = 200) -> Response:
    request_id, client_request_id = _request_ids(request)
    return Response(
        json.dumps(body),
        status_code=status,
        media_type=None,
        headers={
            "content-type": CONTENT_TYPE,
            "request-id": request_id,
            "client-request-id": client_request_id,
        },
    )


def no_content(request: Request) -> Response:
    request_id, client_request_id = _request_ids(request)
    return Response(
        status_code=204, headers={"request-id": request_id, "client-request-id": client_request_id}
    )


def error_body(
    code: str,
    message: str,
    request_id: str,
    client_request_id: str,
    details: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if details:
        error["details"] = details
    error["innerError"] = {
        "date": utcnow().strftime("%Y-%m-%dT%H:%M:%S"),
        "request-id": request_id,
        "client-request-id": client_request_id,
    }
    return {"error": error}


def error_response(request: Request | None, error: GraphError) -> Response:
    if request is not None:
        request_id, client_request_id = _request_ids(request)
    else:
        request_id = client_request_id = str(uuid.uuid4())
    headers = {"content-type": CONTENT_TYPE, "request-id": request_id, "client-request-id": client_request_id}
    headers.update(error.headers)
    body = error_body(error.code, error.message, request_id, client_request_id, error.details)
    return Response(json.dumps(body), status_code=error.status, media_type=None, headers=headers)


_SERVER_ERRORS = {
    500: ("generalException", "An unspecified error has occurred."),
    502: ("BadGateway", "The server received an invalid response from an upstream server."),
    503: (
        "serviceNotAvailable",
        "The service is temporarily unavailable. You may repeat the request after a delay.",
    ),
    504: ("GatewayTimeout", "The server did not receive a timely response from an upstream server."),
}


def render_fault(kind: str, value: float | int) -> Response:
    """Injected faults in Graph's shape: 429 TooManyRequests with Retry-After, or a 5xx."""
    if kind == "throttle":
        headers = {}
        if value > 0:
            # Graph sends whole seconds; never round a requested wait down to zero.
            headers["Retry-After"] = str(max(1, math.ceil(value)))
        error = GraphError(
            429,
            "TooManyRequests",
            "Too many requests. The request was throttled; retry after the time in Retry-After.",
            headers,
        )
    else:
        status = int(value)
        code, message = _SERVER_ERRORS.get(status, ("UnknownError", "An unknown error occurred."))
        error = GraphError(status, code, message)
    return error_response(None, error)


# ---------------------------------------------------------------------------------------------
# Routes: authentication, permissions, error rendering

Handler = Callable[[Request], Awaitable[Response]]
_READS = frozenset({"GET", "HEAD"})


def graph_route(path: str, handlers: dict[str, Handler], read_only_tokens: Callable[[], set[str]]) -> Route:
    """One Graph path: demand a bearer token, refuse writes to read-only tokens, render GraphError."""

    async def endpoint(request: Request) -> Response:
        try:
            token = _bearer_token(request)
            if request.method not in _READS and token in read_only_tokens():
                raise GraphError(
                    403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."
                )
            handler = handlers["GET" if request.method == "HEAD" else request.method]
            return await handler(request)
        except GraphError as error:
            return error_response(request, error)

    return Route(path, endpoint, methods=list(handlers))


def _bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if not header or not token.strip():
        raise GraphError(401, "InvalidAuthenticationToken", "Access token is empty.")
    if scheme.lower() != "bearer":
        raise GraphError(401, "InvalidAuthenticationToken", "Access token validation failure.")
    return token.strip()


async def read_json(request: Request) -> dict[str, Any]:
    """The request body as a JSON object, refused like Graph when it is not one."""
    raw = await request.body()
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise GraphError(
            400,
            "BadRequest",
            "Unable to read JSON request payload. Please ensure Content-Type header is set and "
            "payload is of valid JSON format.",
        )
    return body


# ---------------------------------------------------------------------------------------------
# Query options

_SUPPORTED_OPTIONS = {"$filter", "$select", "$top", "$skiptoken"}


@dataclass(frozen=True)
class Condition:
    prop: str
    op: str  # "eq" or "startswith"
    value: str | bool | None

    def matches(self, item: dict[str, Any]) -> bool:
        actual = item.get(self.prop)
        if isinstance(self.value, str):
            if not isinstance(actual, str):
                return False
            # Directory string comparisons ignore case.
            if self.op == "startswith":
                return actual.casefold().startswith(self.value.casefold())
            return actual.casefold() == self.value.casefold()
        return actual == self.value


@dataclass(frozen=True)
class Query:
    conditions: tuple[Condition, ...] = ()
    select: tuple[str, ...] = ()
    top: int = DEFAULT_PAGE_SIZE
    skip: int = 0

    def matches(self, item: dict[str, Any]) -> bool:
        return all(condition.matches(item) for condition in self.conditions)


_TOKEN = re.compile(r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<word>[A-Za-z_][A-Za-z0-9_./]*)|(?P<punct>[(),]))")


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match:
            raise _invalid_filter(text)
        tokens.append(match.group(match.lastgroup or "word"))
        position = match.end()
    return tokens


def _invalid_filter(text: str) -> GraphError:
    return GraphError(400, "BadRequest", f"Invalid filter clause: syntax error in '{text}'.")


def _literal(token: str, text: str) -> str | bool | None:
    if token.startswith("'"):
        return token[1:-1].replace("''", "'")
    if token in ("true", "false"):
        return token == "true"
    if token == "null":
        return None
    raise _invalid_filter(text)


def parse_filter(text: str, resource: str, filterable: Iterable[str]) -> tuple[Condition, ...]:
    """`prop eq 'v'`, `startswith(prop,'v')`, joined by `and`: what the provisioner's lookups use."""
    allowed = set(filterable)
    tokens = _tokens(text)
    conditions: list[Condition] = []
    index = 0
    while True:
        if tokens[index : index + 2] == ["startswith", "("]:
            if len(tokens) < index + 6 or tokens[index + 3] != "," or tokens[index + 5] != ")":
                raise _invalid_filter(text)
            prop, value, index = tokens[index + 2], _literal(tokens[index + 4], text), index + 6
            op = "startswith"
        elif len(tokens) >= index + 3 and tokens[index + 1] == "eq":
            prop, value, index = tokens[index], _literal(tokens[index + 2], text), index + 3
            op = "eq"
        else:
            raise _invalid_filter(text)
        if prop not in allowed:
            raise GraphError(
                400,
                "Request_UnsupportedQuery",
                f"Unsupported or invalid query filter clause specified for property '{prop}' "
                f"of resource '{resource}'.",
            )
        conditions.append(Condition(prop, op, value))
        if index == len(tokens):
            return tuple(conditions)
        if tokens[index] != "and":
            raise _invalid_filter(text)
        index += 1


def parse_query(request: Request, resource: str, filterable: Iterable[str] = ()) -> Query:
    params = request.query_params
    for name in params:
        if name.startswith("$") and name not in _SUPPORTED_OPTIONS:
            raise GraphError(400, "Request_UnsupportedQuery", "Unsupported Query.")
    conditions: tuple[Condition, ...] = ()
    if params.get("$filter"):
        conditions = parse_filter(params["$filter"], resource, filterable)
    select = tuple(part.strip() for part in params.get("$select", "").split(",") if part.strip())
    top = DEFAULT_PAGE_SIZE
    if "$top" in params:
        if not params["$top"].isdigit() or not 1 <= int(params["$top"]) <= MAX_PAGE_SIZE:
            raise GraphError(
                400,
                "Request_BadRequest",
                f"Invalid page size specified: '{params['$top']}'. Must be between 1 and 999 inclusive.",
            )
        top = int(params["$top"])
    skip = _decode_skiptoken(params.get("$skiptoken", "")) if "$skiptoken" in params else 0
    return Query(conditions, select, top, skip)


def _decode_skiptoken(token: str) -> int:
    try:
        return int(base64.urlsafe_b64decode(token.encode() + b"==").decode().removeprefix("offset:"))
    except ValueError:
        raise GraphError(400, "Request_BadRequest", "Invalid paging token.") from None


def project(item: dict[str, Any], select: tuple[str, ...]) -> dict[str, Any]:
    if not select:
        return item
    projected = {key: item[key] for key in ("@odata.type",) if key in item}
    projected.update({key: item.get(key) for key in select})
    return projected


def collection_response(
    request: Request, items: list[dict[str, Any]], query: Query, context: str
) -> Response:
    """One page of `items` (already filtered), with `@odata.nextLink` when more remain."""
    page = items[query.skip : query.skip + query.top]
    body: dict[str, Any] = {
        "@odata.context": context_url(request, _selected(context, query.select)),
        "value": [project(item, query.select) for item in page],
    }
    if query.skip + query.top < len(items):
        params = {key: value for key, value in request.query_params.items() if key != "$skiptoken"}
        token = base64.urlsafe_b64encode(f"offset:{query.skip + query.top}".encode()).decode().rstrip("=")
        params["$skiptoken"] = token
        base = f"{request.url.scheme}://{request.url.netloc}{request.url.path}"
        body["@odata.nextLink"] = f"{base}?{urlencode(params, safe='$,')}"
    return json_response(request, body)


def entity_response(request: Request, item: dict[str, Any], context: str, status: int = 200) -> Response:
    return json_response(request, {"@odata.context": context_url(request, context), **item}, status)


def selected_entity_response(
    request: Request, item: dict[str, Any], entity_set: str, query: Query
) -> Response:
    """One entity of `entity_set` as `$select` asks: its context names the selection, as Graph's
    does (`...$metadata#users(id,mail)/$entity`)."""
    return entity_response(
        request, project(item, query.select), _selected(entity_set, query.select) + "/$entity"
    )


def _selected(context: str, select: tuple[str, ...]) -> str:
    return f"{context}({','.join(select)})" if select else context
