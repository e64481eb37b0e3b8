"""The SAML 2.0 side of a stand-in identity provider: SP-initiated sign-in and the metadata document.

SAML mechanics live here once; each stand-in supplies a `SamlPolicy` that knows its apps, users
and attribute rules, as `oidc_issuer` does for OpenID Connect.

The flow, as the SAML 2.0 bindings and profiles specify it for Web Browser SSO:
- the SP sends an AuthnRequest with the HTTP-Redirect binding (GET, DEFLATE + base64 in
  `SAMLRequest`) or the HTTP-POST binding (POST, base64), with an opaque `RelayState`;
- the IdP shows its login form (no browser here: a plain HTML form with a password field);
- the IdP answers with a Response carrying one Assertion (NameID; SubjectConfirmationData with
  Recipient, NotOnOrAfter and InResponseTo; Conditions with the AudienceRestriction;
  AuthnStatement; AttributeStatement), signed with RSA-SHA256, SHA-256 digests and exclusive
  canonicalization, the certificate in KeyInfo; the browser posts it to the SP's assertion
  consumer service (ACS) with the RelayState, by an auto-submitting HTML form.

Tests that need a wrong answer (another key, another audience, an expired assertion) set
`SamlIdp.tampering`: it changes only what the IdP emits, so the SP does the refusing.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import html
import secrets
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml import CanonicalizationMethod, DigestAlgorithm, SignatureMethod, XMLSigner, methods
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from sandbox.common.oidc_issuer import SignInRefused, error_page, form_fields

PROTOCOL_NS = "urn:oasis:names:tc:SAML:2.0:protocol"
ASSERTION_NS = "urn:oasis:names:tc:SAML:2.0:assertion"
METADATA_NS = "urn:oasis:names:tc:SAML:2.0:metadata"
DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
XS_NS = "http://www.w3.org/2001/XMLSchema"
REDIRECT_BINDING = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
POST_BINDING = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
BASIC_NAME_FORMAT = "urn:oasis:names:tc:SAML:2.0:attrname-format:basic"
EMAIL_NAME_ID = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
NAME_ID_FORMATS = {
    "emailAddress": EMAIL_NAME_ID,
    "unspecified": "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
    "persistent": "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
    "transient": "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
    "x509SubjectName": "urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName",
}
"""Short names -> the NameID format URNs of SAML 2.0 Core §8.3."""

_NSMAP = {"samlp": PROTOCOL_NS, "saml": ASSERTION_NS}


@dataclass
class SigningCredential:
    """An RSA key and its self-signed certificate, as IdPs generate them for an app."""

    private_key: rsa.RSAPrivateKey
    certificate: x509.Certificate

    @classmethod
    def generate(cls, common_name: str, valid_days: int = 365 * 3) -> SigningCredential:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        now = datetime.datetime.now(datetime.UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=valid_days))
            .sign(key, hashes.SHA256())
        )
        return cls(key, certificate)

    @property
    def certificate_pem(self) -> str:
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode()

    @property
    def certificate_base64(self) -> str:
        """The DER certificate in base64, as ds:X509Certificate and most admin APIs carry it."""
        return base64.b64encode(self.certificate.public_bytes(serialization.Encoding.DER)).decode()

    def private_key_pem(self) -> bytes:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )


@dataclass(frozen=True)
class ServiceProvider:
    """What an IdP app holds about the SP it signs users in to."""

    audience: str
    """The SP entity ID the assertion is for (AudienceRestriction)."""
    acs_url: str
    """Where the Response is posted."""
    recipient: str
    destination: str
    name_id_format: str
    sign_assertion: bool = True
    sign_response: bool = True
    assertion_lifetime_seconds: int = 300


@dataclass(frozen=True)
class Subject:
    """Who signed in, as the app's configuration makes the IdP describe them."""

    name_id: str
    attributes: Mapping[str, list[str]]


class SamlPolicy(Protocol):
    """What a stand-in knows about its SAML apps and users."""

    def service_provider(self, app_id: str) -> ServiceProvider | None:
        """The SP of an active SAML app, or None if there is no such app."""

    def idp_entity_id(self, app_id: str) -> str: ...

    def sso_path(self, app_id: str) -> str:
        """The path of the app's single sign-on URL, for the metadata document."""

    def signing_credential(self, app_id: str) -> SigningCredential:
        """The credential the app signs with now."""

    def authenticate(self, login: str, password: str) -> str | None:
        """The user's ID for valid credentials, else None."""

    def subject(self, app_id: str, user_id: str) -> Subject:
        """NameID and attributes for this user; raise SignInRefused to refuse the sign-in."""

    def response_url(self, app_id: str, sp: ServiceProvider, requested: str) -> str:
        """Where the Response goes for an AuthnRequest whose AssertionConsumerServiceURL is
        `requested` ("" if it names none); raise SignInRefused to refuse the request."""


@dataclass
class Tampering:
    """For tests of the SP's own checks: what the IdP gets wrong on purpose (None = nothing)."""

    sign_with: SigningCredential | None = None
    audience: str | None = None
    expired: bool = False


@dataclass
class _AuthnRequest:
    id: str
    issuer: str
    relay_state: str
    acs_url: str
    """The AssertionConsumerServiceURL the SP asks for ("" if none)."""


AppLocator = Callable[[Request, str], str | None]
"""Which app a request is for, from the request and (at the SSO route) the Issuer of its
AuthnRequest ("" at the metadata route): the app's id, or None when there is no such app. It may
raise SignInRefused to refuse with the IdP's own words."""


def app_in_path(request: Request, _issuer: str) -> str | None:
    """The app named by the route's `{app_id}` (Okta: one SSO URL per app)."""
    return request.path_params.get("app_id")


class SamlIdp:
    """Serves a policy's SAML endpoints. By default `sso_route` and `metadata_route` hold
    `{app_id}`; an IdP with one SSO URL for all its apps (Entra's `/{tenant}/saml2`) passes
    `locate_app`, which finds the app from the request instead (e.g. by the AuthnRequest's Issuer)."""

    def __init__(
        self,
        policy: SamlPolicy,
        *,
        sso_route: str,
        metadata_route: str,
        locate_app: AppLocator = app_in_path,
    ) -> None:
        self.policy = policy
        self.sso_route = sso_route
        self.metadata_route = metadata_route
        self.locate_app = locate_app
        self.base_url = ""
        self.tampering = Tampering()

    def routes(self) -> list[Route]:
        return [
            Route(self.sso_route, self._sso, methods=["GET", "POST"]),
            Route(self.metadata_route, self._metadata, methods=["GET"]),
        ]

    def _root(self, request: Request) -> str:
        return self.base_url or str(request.base_url).rstrip("/")

    async def _metadata(self, request: Request) -> Response:
        try:
            app_id = self.locate_app(request, "")
        except SignInRefused as refused:
            return error_page(400, refused.error, refused.description)
        if app_id is None or self.policy.service_provider(app_id) is None:
            return error_page(404, "not_found", f"No active SAML application with id '{app_id}'.")
        sso_url = self._root(request) + self.policy.sso_path(app_id)
        document = metadata_document(
            self.policy.idp_entity_id(app_id), sso_url, [self.policy.signing_credential(app_id)]
        )
        return Response(document, media_type="application/xml")

    async def _sso(self, request: Request) -> Response:
        form = form_fields(await request.body()) if request.method == "POST" else {}
        params = {**request.query_params, **form}
        try:
            authn_request = _read_authn_request(
                params.get("SAMLRequest", ""), deflated=request.method == "GET", relay_state=params
            )
        except ValueError as bad:
            return error_page(400, "invalid_request", f"The SAML request could not be read: {bad}.")
        try:
            app_id = self.locate_app(request, authn_request.issuer)
        except SignInRefused as refused:
            return error_page(400, refused.error, refused.description)
        service_provider = None if app_id is None else self.policy.service_provider(app_id)
        if app_id is None or service_provider is None:
            return error_page(404, "not_found", f"No active SAML application with id '{app_id}'.")
        try:
            response_url = self.policy.response_url(app_id, service_provider, authn_request.acs_url)
        except SignInRefused as refused:
            return error_page(400, refused.error, refused.description)
        if response_url != service_provider.acs_url:  # another URL the app has: the response is for it
            service_provider = dataclasses.replace(
                service_provider, acs_url=response_url, recipient=response_url, destination=response_url
            )
        if "password" not in form:
            return _login_form(params.get("SAMLRequest", ""), authn_request, deflated=request.method == "GET")
        user_id = self.policy.authenticate(form.get("login", ""), form["password"])
        if user_id is None:
            return _login_form(
                form["SAMLRequest"],
                authn_request,
                deflated=False,
                error="The user name or password is incorrect.",
            )
        try:
            subject = self.policy.subject(app_id, user_id)
        except SignInRefused as refused:
            return error_page(403, refused.error, refused.description)
        document = self._response(app_id, service_provider, subject, authn_request.id)
        return _auto_post(service_provider.acs_url, document, authn_request.relay_state)

    def _response(self, app_id: str, sp: ServiceProvider, subject: Subject, in_response_to: str) -> bytes:
        now = datetime.datetime.now(datetime.UTC)
        if self.tampering.expired:
            now -= datetime.timedelta(hours=1)
        credential = self.tampering.sign_with or self.policy.signing_credential(app_id)
        assertion = build_assertion(
            issuer=self.policy.idp_entity_id(app_id),
            sp=sp,
            audience=self.tampering.audience or sp.audience,
            subject=subject,
            in_response_to=in_response_to,
            now=now,
        )
        if sp.sign_assertion:
            assertion = sign(assertion, credential)
        response = build_response(self.policy.idp_entity_id(app_id), sp.destination, in_response_to, now)
        response.append(assertion)
        if sp.sign_response:
            response = sign(response, credential)
        return etree.tostring(response)


def _id() -> str:
    """An xs:ID: must not start with a digit."""
    return "id" + secrets.token_hex(16)


def _instant(moment: datetime.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _saml(tag: str) -> str:
    return f"{{{ASSERTION_NS}}}{tag}"


def build_response(
    issuer: str, destination: str, in_response_to: str, now: datetime.datetime
) -> etree._Element:
    response = etree.Element(
        f"{{{PROTOCOL_NS}}}Response",
        nsmap=_NSMAP,
        ID=_id(),
        Version="2.0",
        IssueInstant=_instant(now),
        Destination=destination,
        InResponseTo=in_response_to,
    )
    etree.SubElement(response, _saml("Issuer")).text = issuer
    status = etree.SubElement(response, f"{{{PROTOCOL_NS}}}Status")
    etree.SubElement(
        status, f"{{{PROTOCOL_NS}}}StatusCode", Value="urn:oasis:names:tc:SAML:2.0:status:Success"
    )
    return response


def build_assertion(
    *,
    issuer: str,
    sp: ServiceProvider,
    audience: str,
    subject: Subject,
    in_response_to: str,
    now: datetime.datetime,
) -> etree._Element:
    until = _instant(now + datetime.timedelta(seconds=sp.assertion_lifetime_seconds))
    assertion = etree.Element(
        _saml("Assertion"), nsmap=_NSMAP, ID=_id(), Version="2.0", IssueInstant=_instant(now)
    )
    etree.SubElement(assertion, _saml("Issuer")).text = issuer
    subject_element = etree.SubElement(assertion, _saml("Subject"))
    etree.SubElement(subject_element, _saml("NameID"), Format=sp.name_id_format).text = subject.name_id
    confirmation = etree.SubElement(
        subject_element, _saml("SubjectConfirmation"), Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"
    )
    etree.SubElement(
        confirmation,
        _saml("SubjectConfirmationData"),
        InResponseTo=in_response_to,
        NotOnOrAfter=until,
        Recipient=sp.recipient,
    )
    conditions = etree.SubElement(
        assertion,
        _saml("Conditions"),
        NotBefore=_instant(now - datetime.timedelta(minutes=1)),
        NotOnOrAfter=until,
    )
    restriction = etree.SubElement(conditions, _saml("AudienceRestriction"))
    etree.SubElement(restriction, _saml("Audience")).text = audience
    statement = etree.SubElement(
        assertion, _saml("AuthnStatement"), AuthnInstant=_instant(now), SessionIndex=_id()
    )
    context = etree.SubElement(statement, _saml("AuthnContext"))
    etree.SubElement(
        context, _saml("AuthnContextClassRef")
    ).text = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
    if subject.attributes:
        attributes = etree.SubElement(assertion, _saml("AttributeStatement"))
        for name, values in subject.attributes.items():
            attribute = etree.SubElement(
                attributes, _saml("Attribute"), Name=name, NameFormat=BASIC_NAME_FORMAT
            )
            for value in values:
                element = etree.SubElement(
                    attribute, _saml("AttributeValue"), nsmap={"xs": XS_NS, "xsi": XSI_NS}
                )
                element.set(f"{{{XSI_NS}}}type", "xs:string")
                element.text = value
    return assertion


def sign(element: etree._Element, credential: SigningCredential) -> etree._Element:
    """An enveloped signature of `element` by its ID, placed right after its Issuer (schema order)."""
    placeholder = etree.Element(f"{{{DSIG_NS}}}Signature", nsmap={"ds": DSIG_NS}, Id="placeholder")
    element.find(_saml("Issuer")).addnext(placeholder)
    signer = XMLSigner(
        method=methods.enveloped,
        signature_algorithm=SignatureMethod.RSA_SHA256,
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
    )
    signer.namespaces = {"ds": DSIG_NS}
    return signer.sign(
        element,
        key=credential.private_key_pem(),
        cert=credential.certificate_pem,
        reference_uri=element.get("ID"),
    )


def metadata_document(entity_id: str, sso_url: str, credentials: list[SigningCredential]) -> bytes:
    """The IdP's EntityDescriptor (SAML 2.0 Metadata): its signing certificates and SSO endpoints."""
    root = etree.Element(f"{{{METADATA_NS}}}EntityDescriptor", nsmap={"md": METADATA_NS}, entityID=entity_id)
    descriptor = etree.SubElement(
        root,
        f"{{{METADATA_NS}}}IDPSSODescriptor",
        WantAuthnRequestsSigned="false",
        protocolSupportEnumeration=PROTOCOL_NS,
    )
    for credential in credentials:
        key = etree.SubElement(descriptor, f"{{{METADATA_NS}}}KeyDescriptor", use="signing")
        info = etree.SubElement(key, f"{{{DSIG_NS}}}KeyInfo", nsmap={"ds": DSIG_NS})
        data = etree.SubElement(info, f"{{{DSIG_NS}}}X509Data")
        etree.SubElement(data, f"{{{DSIG_NS}}}X509Certificate").text = credential.certificate_base64
    for name_id_format in (EMAIL_NAME_ID, NAME_ID_FORMATS["unspecified"]):
        etree.SubElement(descriptor, f"{{{METADATA_NS}}}NameIDFormat").text = name_id_format
    for binding in (POST_BINDING, REDIRECT_BINDING):
        etree.SubElement(
            descriptor, f"{{{METADATA_NS}}}SingleSignOnService", Binding=binding, Location=sso_url
        )
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _read_authn_request(encoded: str, *, deflated: bool, relay_state: Mapping[str, str]) -> _AuthnRequest:
    if not encoded:
        raise ValueError("SAMLRequest is missing")
    try:
        raw = base64.b64decode(encoded)
        xml = zlib.decompress(raw, -15) if deflated else raw
        root = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except (ValueError, zlib.error, etree.XMLSyntaxError) as bad:
        raise ValueError(f"not a {'deflated ' if deflated else ''}base64 XML document ({bad})") from bad
    if root.tag != f"{{{PROTOCOL_NS}}}AuthnRequest" or not root.get("ID"):
        raise ValueError("it is not an AuthnRequest with an ID")
    return _AuthnRequest(
        root.get("ID", ""),
        root.findtext(_saml("Issuer")) or "",
        relay_state.get("RelayState", ""),
        root.get("AssertionConsumerServiceURL", ""),
    )


def _hidden(name: str, value: str) -> str:
    return f"<input type='hidden' name='{name}' value='{html.escape(value, quote=True)}'>"


def _login_form(encoded: str, authn_request: _AuthnRequest, *, deflated: bool, error: str = "") -> Response:
    """The login page; it carries the request on in the POST binding's encoding (not deflated)."""
    posted = (
        base64.b64encode(zlib.decompress(base64.b64decode(encoded), -15)).decode() if deflated else encoded
    )
    fields = _hidden("SAMLRequest", posted)
    if authn_request.relay_state:
        fields += _hidden("RelayState", authn_request.relay_state)
    message = f"<p id='error'>{html.escape(error)}</p>" if error else ""
    body = (
        f"<html><body><form id='login' method='post'>{message}{fields}"
        "<input name='login'><input name='password' type='password'>"
        "<button type='submit'>Sign in</button></form></body></html>"
    )
    return HTMLResponse(body, status_code=401 if error else 200)


def _auto_post(acs_url: str, document: bytes, relay_state: str) -> Response:
    """The HTTP-POST binding: a form the browser submits on load (SAML Bindings §3.5.4)."""
    fields = _hidden("SAMLResponse", base64.b64encode(document).decode())
    if relay_state:
        fields += _hidden("RelayState", relay_state)
    body = (
        "<html><body onload='document.forms[0].submit()'>"
        f"<form method='post' action='{html.escape(acs_url, quote=True)}'>{fields}"
        "<noscript><button type='submit'>Continue</button></noscript></form></body></html>"
    )
    return HTMLResponse(body)
