"""Prove a connection works: sign a user in through the broker, as a browser would, without one.

Client -> Keycloak (kc_idp_hint=<alias>) -> the IdP's login form -> the broker's callback, where
Keycloak redeems the IdP's code with the connection's client secret (OIDC) or checks the posted
SAML response (SAML: the HTTP-POST binding's auto-submitting forms are submitted as a browser
would) and applies the role mappers -> back to our client with a code -> Keycloak's token, whose
claims and realm roles are the report. The IdP's login page must be a plain HTML form with a
password field (the sandbox's, or Keycloak's when another realm plays the IdP); real Entra and
Okta pages need a browser, so against them use a real browser.

Keycloak marks cookies `Secure` even on http://127.0.0.1 and httpx will not send those over
plain http, so the flow keeps its own cookie jar.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx

VERIFY_CLIENT_ID = "ssoprov-verify-login"
VERIFY_REDIRECT_URI = "http://127.0.0.1/ssoprov-verify-login/callback"
"""Never served: the flow stops when Keycloak redirects here and takes the code from the URL."""

_FORM = re.compile(r"<form\b[^>]*>.*?</form>", re.S | re.I)
_ATTR = re.compile(r'(\w[\w-]*)\s*=\s*("[^"]*"|\'[^\']*\')')
_INPUT = re.compile(r"<input\b[^>]*>", re.I)
_BUTTON = re.compile(r"<button\b[^>]*>", re.I)
_USER_FIELDS = ("username", "login", "email", "loginfmt", "identifier")
_MESSAGE = re.compile(
    r"<(?:span|div|p)[^>]*(?:kc-feedback-text|alert-error|instruction|id=['\"]error_description['\"]|"
    r"id=['\"]error['\"])[^>]*>(.*?)</",
    re.S,
)


@dataclass
class LoginReport:
    user: str
    signed_in: bool
    detail: str
    """Why it failed, or how it ended."""
    claims: dict[str, Any] = field(default_factory=dict)
    roles: list[str] = field(default_factory=list)

    @property
    def email(self) -> str | None:
        return self.claims.get("email")


class _CookieJar:
    """Cookies by (path, name), sent whatever their Secure flag (see the module docstring)."""

    def __init__(self) -> None:
        self._cookies: dict[tuple[str, str, str], str] = {}

    def store(self, response: httpx.Response) -> None:
        host = response.url.host
        for header in response.headers.get_list("set-cookie"):
            parsed: SimpleCookie = SimpleCookie()
            parsed.load(header)
            for name, morsel in parsed.items():
                key = (f"{host}:{response.url.port}", morsel["path"] or "/", name)
                if morsel["max-age"] == "0" or not morsel.value:
                    self._cookies.pop(key, None)
                else:
                    self._cookies[key] = morsel.value

    def header(self, url: str) -> dict[str, str]:
        parts = httpx.URL(url)
        origin = f"{parts.host}:{parts.port}"
        pairs = [
            f"{name}={value}"
            for (host, prefix, name), value in self._cookies.items()
            if host == origin and parts.path.startswith(prefix)
        ]
        return {"Cookie": "; ".join(pairs)} if pairs else {}


def _attributes(tag: str) -> dict[str, str]:
    return {name.lower(): html.unescape(value[1:-1]) for name, value in _ATTR.findall(tag)}


def _login_form(page: str) -> tuple[str, dict[str, str], str] | None:
    """(action, hidden fields, user field name) of the first form with a password input."""
    for form in _FORM.findall(page):
        inputs = [_attributes(tag) for tag in _INPUT.findall(form)]
        if not any(i.get("type") == "password" for i in inputs):
            continue
        names = [i.get("name", "") for i in inputs]
        user_field = next((n for n in _USER_FIELDS if n in names), "")
        hidden = {i["name"]: i.get("value", "") for i in inputs if i.get("type") == "hidden" and "name" in i}
        action = _attributes(form[: form.index(">") + 1]).get("action", "")
        return action, hidden, user_field
    return None


_SAML_MESSAGES = ("SAMLRequest", "SAMLResponse")


def _auto_post_form(page: str) -> tuple[str, dict[str, str]] | None:
    """(action, fields) of a SAML HTTP-POST binding page: a form that carries a SAML message in a
    hidden field and that a browser submits on load (no password field: not a login form)."""
    for form in _FORM.findall(page):
        inputs = [_attributes(tag) for tag in _INPUT.findall(form)]
        if any(i.get("type") == "password" for i in inputs):
            continue
        fields = {i["name"]: i.get("value", "") for i in inputs if i.get("type") == "hidden" and "name" in i}
        if any(name in fields for name in _SAML_MESSAGES):
            return _attributes(form[: form.index(">") + 1]).get("action", ""), fields
    return None


PROFILE_FIELDS = {"email": "email", "firstName": "given_name", "lastName": "family_name"}
"""Keycloak's profile form fields -> the ID-token claims that would have filled them."""


def _missing_profile(page: str) -> list[str]:
    """Claims the broker's profile-review form asks for because the IdP's token lacked them."""
    for form in _FORM.findall(page):
        inputs = [_attributes(tag) for tag in _INPUT.findall(form)]
        if any(i.get("type") == "password" for i in inputs):
            continue
        empty = [
            PROFILE_FIELDS[i["name"]]
            for i in inputs
            if i.get("name") in PROFILE_FIELDS and not i.get("value")
        ]
        if empty:
            return empty
    return []


def _asks_to_link_accounts(page: str) -> bool:
    """Keycloak's first-broker-login page for an email or username the realm already has."""
    buttons = (_attributes(tag) for tag in _BUTTON.findall(page))
    return any(b.get("name") == "submitAction" and b.get("value") == "linkAccount" for b in buttons)


def _page_message(page: str) -> str:
    texts = (html.unescape(re.sub(r"<[^>]+>", "", text)).strip() for text in _MESSAGE.findall(page))
    return " ".join(text for text in texts if text)[:300]


def _unverified_claims(token: str) -> dict[str, Any]:
    """Claims of a token just received over our own TLS-or-loopback call from Keycloak's token endpoint."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


async def prepare_realm(broker_url: str, realm: str, environ: Mapping[str, str] | None = None) -> None:
    """Make sure `realm` and the verification client exist (admin credentials from the environment)."""
    from ssoprov.brokers.keycloak.client import from_environment

    async with from_environment(broker_url, environ) as admin:
        await admin.ensure_realm(realm)
        await admin.ensure_public_client(realm, VERIFY_CLIENT_ID, [VERIFY_REDIRECT_URI])


def verify_login(
    broker_url: str, realm: str, alias: str, *, login: str, password: str, timeout: float = 30.0
) -> LoginReport:
    """Sign `login` in through identity provider `alias` of `realm`; never raises for a refusal,
    nor for a broker or IdP that does not answer."""
    try:
        return _sign_in(broker_url, realm, alias, login=login, password=password, timeout=timeout)
    except httpx.TransportError as exc:
        return LoginReport(
            login,
            False,
            f"no answer from {_url_of(exc, broker_url)} ({type(exc).__name__}: {exc}). Check that the "
            "broker (broker.url) and the identity provider are running and reachable from here",
        )


def _url_of(exc: httpx.TransportError, fallback: str) -> str:
    """The URL a failed request went to, without its query (state, nonce, code challenge)."""
    try:
        return str(exc.request.url.copy_with(query=None))
    except RuntimeError:  # httpx raises it when the error carries no request
        return fallback


def _sign_in(
    broker_url: str, realm: str, alias: str, *, login: str, password: str, timeout: float
) -> LoginReport:
    jar = _CookieJar()
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    realm_url = f"{broker_url.rstrip('/')}/realms/{realm}"
    with httpx.Client(timeout=timeout, follow_redirects=False) as http:

        def send(method: str, url: str, **kwargs: Any) -> httpx.Response:
            response = http.request(method, url, headers=jar.header(url), **kwargs)
            jar.store(response)
            http.cookies.clear()
            return response

        response = send(
            "GET",
            f"{realm_url}/protocol/openid-connect/auth",
            params={
                "client_id": VERIFY_CLIENT_ID,
                "redirect_uri": VERIFY_REDIRECT_URI,
                "response_type": "code",
                "scope": "openid profile email",
                "state": secrets.token_urlsafe(8),
                "nonce": secrets.token_urlsafe(8),
                "kc_idp_hint": alias,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            },
        )
        submitted = False
        idp_refusal = ""
        for _ in range(30):
            if response.is_redirect:
                location = urljoin(str(response.url), response.headers["location"])
                query = parse_qs(urlsplit(location).query)
                if location.startswith(VERIFY_REDIRECT_URI):
                    return _finish(send, realm_url, login, query, verifier)
                if "error" in query:  # the IdP sends its refusal to the broker's callback
                    idp_refusal = query.get("error_description", query["error"])[0]
                response = send("GET", location)
                continue
            form = _login_form(response.text) if response.status_code in (200, 401) else None
            if form is not None and not submitted:
                action, hidden, user_field = form
                target = urljoin(str(response.url), action) if action else str(response.url)
                response = send("POST", target, data={**hidden, user_field: login, "password": password})
                submitted = True
                continue
            posted = _auto_post_form(response.text) if response.status_code == 200 else None
            if posted is not None:
                action, fields = posted
                response = send("POST", urljoin(str(response.url), action), data=fields)
                continue
            missing = _missing_profile(response.text) if response.status_code == 200 else []
            if missing:
                return LoginReport(
                    login,
                    False,
                    f"the broker asks the user to complete their profile: the identity provider's token "
                    f"lacks {', '.join(missing)} (check the app's optional claims)",
                )
            shown = _page_message(response.text)
            if response.status_code == 200 and _asks_to_link_accounts(response.text):
                return LoginReport(
                    login,
                    False,
                    f"the broker asks to link accounts ({shown}): realm {realm} already has this user, "
                    "from another identity provider or made by hand. Fix: link them once in a browser, "
                    "delete the realm's user if it is stale, or give organizations that share users a "
                    "realm each",
                )
            if idp_refusal:
                shown = f"the identity provider refused: {idp_refusal} (the broker showed: {shown})"
            return LoginReport(login, False, f"stopped at HTTP {response.status_code}: {shown}")
    return LoginReport(login, False, "too many redirects")


def _finish(send: Any, realm_url: str, login: str, query: dict[str, list[str]], verifier: str) -> LoginReport:
    if "code" not in query:
        reason = query.get("error_description", query.get("error", ["unknown"]))[0]
        return LoginReport(login, False, f"the broker refused: {reason}")
    token = send(
        "POST",
        f"{realm_url}/protocol/openid-connect/token",
        data={
            "grant_type": "authorization_code",
            "code": query["code"][0],
            "redirect_uri": VERIFY_REDIRECT_URI,
            "client_id": VERIFY_CLIENT_ID,
            "code_verifier": verifier,
        },
    )
    if token.status_code != 200:
        return LoginReport(login, False, f"the broker's token endpoint answered HTTP {token.status_code}")
    tokens = token.json()
    claims = _unverified_claims(tokens["id_token"])
    access = _unverified_claims(tokens["access_token"])
    roles = sorted(access.get("realm_access", {}).get("roles", []))
    return LoginReport(login, True, "signed in", claims=claims, roles=roles)


def report_lines(report: LoginReport) -> list[str]:
    """What the command prints: the outcome, then the claims a connection check cares about."""
    if not report.signed_in:
        return [f"{report.user}: not signed in: {report.detail}"]
    keep = ("sub", "preferred_username", "email", "given_name", "family_name", "name")
    lines = [f"{report.user}: signed in; realm roles: {', '.join(report.roles) or '(none)'}"]
    lines += [f"  {claim}: {report.claims[claim]}" for claim in keep if claim in report.claims]
    return lines
