"""WorkOS's SSO sign-in for SAML connections: WorkOS as the service provider (SP).

1. `/sso/authorize` with a SAML connection sends the browser to the IdP's SSO URL (from the
   metadata the connection imported) with an AuthnRequest in the HTTP-Redirect binding: Issuer the
   connection's SP entity ID, AssertionConsumerServiceURL its ACS URL, RelayState our handle;
2. the IdP posts its Response to the ACS URL. WorkOS checks, in this order, that the Response
   answers a request it sent, that an XML signature over the Assertion (the Response's, the
   Assertion's, or both) verifies with one of the certificates the connection trusts, that the
   assertion is for the SP entity ID (Audience), was sent to the ACS URL (Recipient, Destination)
   and is not expired (NotOnOrAfter, NotBefore); then it redirects to the app with a code, as
   for OIDC, or with `error`/`error_description`;
3. `/sso/token` gives the profile: `idp_id` the NameID, `groups` from the attribute the
   connection's attribute map names, email and names from their mapped attributes.

The error codes of step 2 are the stand-in's own (WorkOS documents none for them):
`invalid_saml_response` (unreadable, unsigned, or a request we did not send),
`saml_signature_invalid` (no trusted certificate verifies it), `saml_assertion_invalid`
(audience, recipient or validity window).
"""

from __future__ import annotations

import base64
import datetime
import secrets
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from lxml import etree
from signxml import InvalidInput, InvalidSignature, XMLVerifier
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from sandbox.common.oidc_issuer import form_fields
from sandbox.common.saml_idp import ASSERTION_NS, DSIG_NS, POST_BINDING, PROTOCOL_NS
from sandbox.workos.store import ACS_PATH, Connection, SamlOptions, WorkosStore
from sandbox.workos.wire import redirect_to_app

CLOCK_SKEW = datetime.timedelta(seconds=60)
PENDING_SECONDS = 600


@dataclass
class _PendingSamlSignIn:
    connection_id: str
    app_redirect_uri: str
    app_state: str | None
    request_id: str
    expires: float


class _Refused(Exception):
    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error


IssueCode = Callable[[dict[str, Any]], str]
"""Makes the code the app redeems at /sso/token for a profile."""


class SamlSignIn:
    """The SAML half of one environment's sign-in: the redirect to the IdP and the ACS URLs."""

    def __init__(self, store: WorkosStore, issue_code: IssueCode) -> None:
        self._store = store
        self._issue_code = issue_code
        self._pending: dict[str, _PendingSamlSignIn] = {}
        self._lock = threading.Lock()

    def routes(self) -> list[Route]:
        return [Route(ACS_PATH + "/{key}", self._acs, methods=["POST"])]

    def authorize(self, connection: Connection, app_redirect_uri: str, app_state: str | None) -> Response:
        """Step 1: the redirect to the IdP with an AuthnRequest."""
        options = connection.saml
        assert options is not None and options.idp_sso_url  # the caller checked the connection is active
        handle, request_id = secrets.token_urlsafe(24), "id" + secrets.token_hex(16)
        with self._lock:
            self._pending[handle] = _PendingSamlSignIn(
                connection.id, app_redirect_uri, app_state, request_id, _now().timestamp() + PENDING_SECONDS
            )
        query = {"SAMLRequest": _authn_request(options, request_id), "RelayState": handle}
        return RedirectResponse(f"{options.idp_sso_url}?{urlencode(query)}", status_code=302)

    async def _acs(self, request: Request) -> Response:
        form = form_fields(await request.body())
        with self._lock:
            pending = self._pending.pop(form.get("RelayState", ""), None)
        if pending is None or pending.expires < _now().timestamp():
            return Response("Unknown or used sign-in (RelayState).", status_code=400)

        def to_app(**query: str) -> Response:
            return redirect_to_app(pending.app_redirect_uri, pending.app_state, query)

        connection = self._store.connection(pending.connection_id)
        if connection is None or connection.deleting or connection.saml is None:
            return to_app(error="connection_invalid", error_description="Connection gone.")
        if urlsplit(connection.saml.acs_url).path != request.url.path:
            return to_app(error="invalid_saml_response", error_description="Posted to another ACS URL.")
        try:
            assertion = _checked_assertion(connection.saml, form.get("SAMLResponse", ""), pending.request_id)
        except _Refused as refused:
            return to_app(error=refused.error, error_description=str(refused))
        return to_app(code=self._issue_code(_profile(connection, assertion)))


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _authn_request(options: SamlOptions, request_id: str) -> str:
    """The AuthnRequest, deflated and base64-encoded for the HTTP-Redirect binding."""
    root = etree.Element(
        f"{{{PROTOCOL_NS}}}AuthnRequest",
        nsmap={"samlp": PROTOCOL_NS, "saml": ASSERTION_NS},
        ID=request_id,
        Version="2.0",
        IssueInstant=_now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        Destination=options.idp_sso_url or "",
        AssertionConsumerServiceURL=options.acs_url,
        ProtocolBinding=POST_BINDING,
    )
    etree.SubElement(root, f"{{{ASSERTION_NS}}}Issuer").text = options.sp_entity_id
    compressor = zlib.compressobj(wbits=-15)
    deflated = compressor.compress(etree.tostring(root)) + compressor.flush()
    return base64.b64encode(deflated).decode()


def _checked_assertion(options: SamlOptions, encoded: str, request_id: str) -> etree._Element:
    """Step 2's checks; the signed Assertion, or _Refused saying which check failed."""
    try:
        document = base64.b64decode(encoded, validate=True)
        response = etree.fromstring(document, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except (ValueError, etree.XMLSyntaxError):
        raise _Refused("invalid_saml_response", "The SAMLResponse is not base64 XML.") from None
    if response.tag != f"{{{PROTOCOL_NS}}}Response" or response.get("InResponseTo") != request_id:
        raise _Refused("invalid_saml_response", "The SAML response answers no request of this sign-in.")
    signed = response.find(f"{{{DSIG_NS}}}Signature") is not None
    if signed:
        response = _verified(options, etree.tostring(response))
    assertion = response.find(f"{{{ASSERTION_NS}}}Assertion")
    if assertion is None:
        raise _Refused("invalid_saml_response", "The SAML response holds no assertion.")
    if assertion.find(f"{{{DSIG_NS}}}Signature") is not None:
        assertion = _verified(options, etree.tostring(assertion))
        signed = True
    if not signed:
        raise _Refused("invalid_saml_response", "Neither the SAML response nor its assertion is signed.")
    _check_conditions(options, response, assertion, request_id)
    return assertion


def _verified(options: SamlOptions, document: bytes) -> etree._Element:
    """The element signed in `document`, if one of the connection's certificates verifies it."""
    for certificate in options.certificates:
        try:
            return XMLVerifier().verify(document, x509_cert=certificate.value, expect_references=1).signed_xml
        except (InvalidSignature, InvalidInput):
            continue
    raise _Refused(
        "saml_signature_invalid",
        f"The SAML response's signature does not verify with any of the connection's "
        f"{len(options.certificates)} IdP signing certificate(s).",
    )


def _check_conditions(
    options: SamlOptions, response: etree._Element, assertion: etree._Element, request_id: str
) -> None:
    now = _now()
    audiences = [a.text for a in assertion.iter(f"{{{ASSERTION_NS}}}Audience")]
    if options.sp_entity_id not in audiences:
        raise _Refused(
            "saml_assertion_invalid",
            f"The assertion is for {audiences}, not for the SP entity ID {options.sp_entity_id}.",
        )
    confirmations = list(assertion.iter(f"{{{ASSERTION_NS}}}SubjectConfirmationData"))
    if not confirmations or any(c.get("Recipient") != options.acs_url for c in confirmations):
        raise _Refused(
            "saml_assertion_invalid", f"The assertion's Recipient is not the ACS URL {options.acs_url}."
        )
    if response.get("Destination") not in (None, options.acs_url):
        raise _Refused(
            "saml_assertion_invalid", f"The response's Destination is not the ACS URL {options.acs_url}."
        )
    if any(c.get("InResponseTo") not in (None, request_id) for c in confirmations):
        raise _Refused("invalid_saml_response", "The assertion answers another request.")
    conditions = assertion.find(f"{{{ASSERTION_NS}}}Conditions")
    windows = [
        (c.get("NotBefore"), c.get("NotOnOrAfter")) for c in [*confirmations, conditions] if c is not None
    ]
    for not_before, not_on_or_after in windows:
        if not_on_or_after is None or _instant(not_on_or_after) + CLOCK_SKEW <= now:
            raise _Refused("saml_assertion_invalid", f"The assertion expired at {not_on_or_after}.")
        if not_before is not None and _instant(not_before) - CLOCK_SKEW > now:
            raise _Refused("saml_assertion_invalid", f"The assertion is not valid before {not_before}.")


def _instant(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _profile(connection: Connection, assertion: etree._Element) -> dict[str, Any]:
    """The Profile object: idp_id the NameID, the mapped attributes, groups from the mapped attribute."""
    attributes: dict[str, list[str]] = {}
    for attribute in assertion.iter(f"{{{ASSERTION_NS}}}Attribute"):
        values = [v.text or "" for v in attribute.iter(f"{{{ASSERTION_NS}}}AttributeValue")]
        attributes.setdefault(attribute.get("Name", ""), []).extend(values)
    name_id = assertion.findtext(f"{{{ASSERTION_NS}}}Subject/{{{ASSERTION_NS}}}NameID") or ""

    def first(name: str) -> str | None:
        values = attributes.get(name) or []
        return values[0] if values else None

    def mapped(field: str) -> str | None:
        return first(connection.attribute_map.get(field, field))

    return connection.profile(
        idp_id=mapped("idp_id") or name_id,
        email=mapped("email") or name_id,
        first_name=mapped("first_name"),
        last_name=mapped("last_name"),
        name=mapped("name"),
        raw_attributes={k: v[0] if len(v) == 1 else v for k, v in attributes.items()},
        groups=attributes.get(connection.groups_attribute, []),
        source=first,
    )
