"""Okta's published Management API OpenAPI document as a contract for the stand-in's answers.

`ContractRecorder` wraps the stand-in's ASGI app and keeps every exchange; `OktaContract` finds
the operation each one answered (path template, method) and validates its status and JSON body
against the response schema the document declares, with `jsonschema` and `referencing` resolving
the document's `$ref`s.

The document is OpenAPI 3.0.3, so before use `nullable: true` becomes a JSON Schema "or null". Its
known quirks (`../shared/contracts/README.md`) are handled here, each by name and nowhere else:
fields Okta's own answers send as null though the document declares them non-nullable strings or
objects (`QUIRK_NULLABLE`), and endpoints the document leaves out (`UNDOCUMENTED`).
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _contracts_dir() -> Path:
    """`../shared/contracts` beside this checkout or, for a git worktree (whose `.git` is a file
    naming `<main checkout>/.git/worktrees/<name>`), beside its main checkout: a worktree must not
    quietly skip the contract checks."""
    bases = [PROJECT_ROOT.parent]
    git = PROJECT_ROOT / ".git"
    if git.is_file() and git.read_text().startswith("gitdir:"):
        bases.append(Path(git.read_text().split(":", 1)[1].strip()).parents[2].parent)
    found = [base / "shared" / "contracts" for base in bases if (base / "shared" / "contracts").is_dir()]
    return (found or [bases[0] / "shared" / "contracts"])[0]


SPEC_PATH = _contracts_dir() / "okta-management-api.yaml"
SPEC_URI = "urn:okta:management-api"

QUIRK_NULLABLE = {
    "ApplicationAccessibility": ("errorRedirectUrl", "loginRedirectUrl"),
    "ApplicationSettingsNotes": ("admin", "enduser"),
    "ApplicationSettingsNotificationsVpn": ("message", "helpUrl"),
    "Application": ("universalLogout",),
    "OpenIdConnectApplicationSettingsClient": ("logo_uri",),
}
"""Schema -> properties that real answers send as null: the first three are in the contracts README
(Okta's own examples), the last two were found in the 2026 recordings (`cassettes/`)."""

UNDOCUMENTED = {
    "/api/v1/internal/apps/{appId}/settings/oauth/idToken": "the legacy groups claim is in no published spec",
}
"""Management paths the document does not describe, with the reason they are not checked."""

UNDOCUMENTED_STATUS = {
    (
        "GET",
        "/api/v1/apps",
        400,
    ): "an unknown paging cursor is 400 E0000029 (recorded 2025), not in the document",
    ("GET", "/api/v1/groups", 400): "a malformed search is 400 E0000031, not in the document",
}
"""(method, path, status) answers Okta gives that the document omits; checked against its `Error`."""

NOT_MANAGEMENT_API = ("/oauth2/", "/.well-known/", "/_sandbox/", "/app/")
"""The org authorization server (another OpenAPI document), the stand-in's control API and the
end-user app paths (a SAML app's SSO URL and public metadata)."""


@dataclass(frozen=True)
class Exchange:
    method: str
    path: str
    query: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def label(self) -> str:
        return f"{self.method} {self.path} -> {self.status}"


@dataclass
class ContractRecorder:
    """ASGI middleware that keeps each request's method and path and the whole answer."""

    app: ASGIApp
    exchanges: list[Exchange] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def keep(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body"):
                    headers = [
                        (k.decode("latin-1"), v.decode("latin-1")) for k, v in start.get("headers", [])
                    ]
                    self.exchanges.append(
                        Exchange(
                            scope["method"],
                            scope["path"],
                            scope.get("query_string", b"").decode(),
                            start["status"],
                            headers,
                            b"".join(chunks),
                        )
                    )
            await send(message)

        await self.app(scope, receive, keep)


def _xml_problems(exchange: Exchange) -> list[str]:
    """A `text/xml` answer (SAML metadata): that media type, and a well-formed document."""
    from lxml import etree

    media = dict((k.lower(), v) for k, v in exchange.headers).get("content-type", "")
    if not media.startswith("text/xml"):
        return [f"{exchange.label()}: content-type {media!r}, where the document declares text/xml"]
    try:
        etree.fromstring(exchange.body)
    except etree.XMLSyntaxError as bad:
        return [f"{exchange.label()}: not well-formed XML ({bad})"]
    return []


class OktaContract:
    """The document, loaded once (cached as JSON beside the other ssoprov caches), ready to validate."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self._registry = Registry().with_resource(SPEC_URI, Resource(spec, specification=DRAFT202012))
        self._templates = sorted(
            ((template, _template_regex(template)) for template in spec["paths"]),
            key=lambda item: item[0].count("{"),
        )

    @classmethod
    def load(cls) -> OktaContract:
        raw = SPEC_PATH.read_bytes()
        cache_dir = Path(os.environ.get("SSOPROV_CACHE", Path.home() / ".cache" / "ssoprov"))
        version = hashlib.sha256(raw + Path(__file__).read_bytes()).hexdigest()[:16]
        cached = cache_dir / f"okta-openapi-{version}.json"
        if cached.exists():
            return cls(json.loads(cached.read_text()))
        spec = as_json_schema(yaml.load(raw, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
        cache_dir.mkdir(parents=True, exist_ok=True)
        cached.write_text(json.dumps(spec))
        return cls(spec)

    def template_of(self, path: str) -> str | None:
        for template, pattern in self._templates:
            if pattern.fullmatch(path):
                return template
        return None

    def problems(self, exchange: Exchange) -> list[str]:
        """What in this answer the document does not allow; [] when it conforms."""
        if exchange.path.startswith(NOT_MANAGEMENT_API):
            return []
        if any(_template_regex(template).fullmatch(exchange.path) for template in UNDOCUMENTED):
            return []
        template = self.template_of(exchange.path)
        if template is None:
            return [f"{exchange.label()}: no such path in Okta's API"]
        operation = self.spec["paths"][template].get(exchange.method.lower())
        if operation is None:
            return [f"{exchange.label()}: Okta's API has no {exchange.method} on {template}"]
        responses = operation.get("responses", {})
        status = str(exchange.status)
        declared = responses.get(status) or responses.get(f"{status[0]}XX")
        if declared is None and (exchange.method, template, exchange.status) in UNDOCUMENTED_STATUS:
            return self._validate(exchange, f"{SPEC_URI}#/components/schemas/Error")
        if declared is None:
            return [f"{exchange.label()}: status not among {template}'s {sorted(responses)}"]
        uri, response = self._located(
            declared, ("paths", template, exchange.method.lower(), "responses", status)
        )
        content = response.get("content") or {}
        if content.get("application/json") is None and "text/xml" in content:
            return _xml_problems(exchange)
        if content.get("application/json") is None:
            return [] if not exchange.body.strip() else [f"{exchange.label()}: a body where none is declared"]
        return self._validate(exchange, uri + "/content/application~1json/schema")

    def _validate(self, exchange: Exchange, schema_uri: str) -> list[str]:
        try:
            body = json.loads(exchange.body)
        except ValueError:
            return [f"{exchange.label()}: the body is not JSON"]
        validator = Draft202012Validator({"$ref": schema_uri}, registry=self._registry)
        return [
            f"{exchange.label()}: {_where(error.absolute_path)}: {error.message[:300]}"
            for error in validator.iter_errors(body)
        ]

    def _located(self, response: dict[str, Any], place: tuple[str, ...]) -> tuple[str, dict[str, Any]]:
        """(URI, contents) of a response object, following its `$ref`s (to `components/responses`)."""
        uri = f"{SPEC_URI}#/" + "/".join(quote(_escape(part), safe="~") for part in place)
        while "$ref" in response:
            uri = _absolute(response["$ref"])
            response = self._registry.resolver(SPEC_URI).lookup(uri).contents
        return uri, response


def as_json_schema(spec: dict[str, Any]) -> dict[str, Any]:
    """OpenAPI 3.0 schemas as JSON Schema: `nullable: true` also admits null, a `discriminator`
    picks the mapped schema for answers (`_dispatching`); the quirks applied."""
    spec = copy.deepcopy(spec)
    schemas = spec["components"]["schemas"]
    _dispatching(spec)
    for name, properties in QUIRK_NULLABLE.items():
        for prop in properties:
            schemas[name]["properties"][prop] = {**schemas[name]["properties"][prop], "nullable": True}
    for node in _objects(spec):
        if node.pop("nullable", False) is True:
            if "type" in node:
                node["type"] = (
                    [node["type"], "null"] if isinstance(node["type"], str) else [*node["type"], "null"]
                )
                if "enum" in node:
                    node["enum"] = [*node["enum"], None]
            else:
                inner = {
                    key: node.pop(key) for key in list(node) if not key.startswith(("x-", "description"))
                }
                node["anyOf"] = [inner, {"type": "null"}]
    return spec


DISPATCH_SUFFIX = "__by_discriminator"


def _dispatching(spec: dict[str, Any]) -> None:
    """Where an answer is declared as a schema with a discriminator mapping (`Application` by
    `signOnMode`), check it against the mapped schema too (`OpenIdConnectApplication`): JSON Schema
    ignores `discriminator`. Only references under responses are redirected, since the mapped
    schemas extend the base one (`allOf`) and would otherwise refer back to themselves."""
    schemas = spec["components"]["schemas"]
    for name, schema in list(schemas.items()):
        mapping = (schema.get("discriminator") or {}).get("mapping")
        if not mapping or "oneOf" in schema or "anyOf" in schema:
            continue
        prop = schema["discriminator"]["propertyName"]
        schemas[name + DISPATCH_SUFFIX] = {
            "allOf": [
                {"$ref": f"#/components/schemas/{name}"},
                *(
                    {
                        "if": {"properties": {prop: {"const": value}}, "required": [prop]},
                        "then": {"$ref": target},
                    }
                    for value, target in mapping.items()
                ),
            ]
        }
    answers = [
        op.get("responses", {})
        for item in spec["paths"].values()
        for op in item.values()
        if isinstance(op, dict)
    ]
    for node in _objects([*answers, spec["components"].get("responses", {})]):
        ref = node.get("$ref", "")
        if ref.startswith("#/components/schemas/") and ref.split("/")[-1] + DISPATCH_SUFFIX in schemas:
            node["$ref"] = ref + DISPATCH_SUFFIX


def _objects(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in list(node.values()):
            yield from _objects(value)
    elif isinstance(node, list):
        for value in node:
            yield from _objects(value)


def _template_regex(template: str) -> re.Pattern[str]:
    return re.compile(re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)))


def _where(path: Any) -> str:
    return "/".join(str(part) for part in path) or "(body)"


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def _absolute(ref: str) -> str:
    return SPEC_URI + ref if ref.startswith("#") else ref
