"""A browser for SP-initiated SAML sign-ins at a stand-in IdP, for tests of the IdP alone (no SP)."""

from __future__ import annotations

import base64
import re
import zlib
from html import unescape

import httpx
from lxml import etree

from sandbox.common.oidc_issuer import SANDBOX_USER_PASSWORD

SAML = {"saml": "urn:oasis:names:tc:SAML:2.0:assertion", "md": "urn:oasis:names:tc:SAML:2.0:metadata"}


def sso_url(metadata: bytes) -> str:
    """The SingleSignOnService location of an IdP metadata document."""
    root = etree.fromstring(metadata)
    return root.find(".//md:SingleSignOnService", SAML).get("Location")


def sign_in(url: str, login: str, *, issuer: str, acs_url: str) -> httpx.Response:
    """An SP-initiated sign-in with the Redirect binding (AuthnRequest ID `idReq1`, RelayState
    `state-1`); the IdP's answer to its login form."""
    request = (
        '<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="idReq1" Version="2.0" '
        f'IssueInstant="2026-12-01T00:00:00Z" AssertionConsumerServiceURL="{acs_url}">'
        f"<saml:Issuer>{issuer}</saml:Issuer></samlp:AuthnRequest>"
    )
    deflated = zlib.compressobj(wbits=-15)
    encoded = base64.b64encode(deflated.compress(request.encode()) + deflated.flush()).decode()
    with httpx.Client(timeout=10) as browser:
        page = browser.get(url, params={"SAMLRequest": encoded, "RelayState": "state-1"})
        if "password" not in page.text:
            return page
        hidden = dict(re.findall(r"name='(\w+)' value='([^']*)'", page.text))
        form = {
            **{k: unescape(v) for k, v in hidden.items()},
            "login": login,
            "password": SANDBOX_USER_PASSWORD,
        }
        return browser.post(url, data=form)


def posted(answer: httpx.Response) -> tuple[str, dict[str, str]]:
    """Where the IdP's auto-submitting form posts, and its fields (SAMLResponse, RelayState)."""
    action = re.search(r"action='([^']*)'", answer.text).group(1)
    fields = {k: unescape(v) for k, v in re.findall(r"name='(\w+)' value='([^']*)'", answer.text)}
    return unescape(action), fields


def attributes(assertion: etree._Element) -> dict[str, list[str]]:
    """Each attribute of an assertion's AttributeStatement, by name."""
    return {
        a.get("Name"): [v.text for v in a.findall("saml:AttributeValue", SAML)]
        for a in assertion.findall(".//saml:Attribute", SAML)
    }
