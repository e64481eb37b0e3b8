"""Prove a connection works: sign a user in through the broker, as a browser would, without one.

Client -> Keycloak (kc_idp_hint=<alias>) -> the IdP's login form -> the broker's callback, where
Keycloak redeems the IdP's code with the connection's client secret (OIDC) or checks the posted
SAML response (SAML: the HTTP-POST binding's auto-submitting forms are submitted as a browser
would) and applies the role mappers -> back to our client with a code -> Keycloak's token, whose
claims and realm roles are the report. The IdP's login page must be a plain HTML form with a
password field (the sandbox's, or Keycloak's when another realm plays the IdP); real Entra and
Okta pages need a browser, so against them use a real browser.

`Browser` is that browser, for any broker: WorkOS sign-ins (ssoprov.brokers.workos.verify_login)
walk the same pages from WorkOS's authorization URL. Keycloak marks cookies `Secure` even on
http://127.0.0.1 and httpx will not send those over plain http, so `Browser` keeps its own
cookie jar.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import secrets
from collections.abc import Mapping, Sequence
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


def _page_message(response: httpx.Response) -> str:
    """The error a page shows, or an API's error body (`error_description`, `message`, `error`)."""
    if response.headers.get("content-type", "").startswith("application/json"):
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            parts = (body.get(key) for key in ("error", "code", "error_description", "message"))
            return " ".join(str(part) for part in parts if part)[:300]
    texts = (html.unescape(re.sub(r"<[^>]+>", "", text)).strip() for text in _MESSAGE.findall(response.text))
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


class Browser:
    """What a browser does in a sign-in, over one httpx client: redirects followed one by one, the
    IdP's login form filled once, SAML auto-posting forms submitted, cookies kept in our own jar."""

    def __init__(
        self,
        http: httpx.Client,
        broker: str = "the broker",
        *,
        idp: str = "the identity provider",
        own_pages: str | None = None,
    ) -> None:
        self._http = http
        self._jar = _CookieJar()
        self._broker = broker
        """How reports name the broker ("realm customers")."""
        self._idp = idp
        """How reports name the identity provider ("identity provider globex-okta")."""
        self._own_pages = own_pages
        """The URL prefix of the broker's own pages: a login form there is the broker's, not the
        IdP's, and never gets the user's IdP password (Keycloak shows its own form when
        `kc_idp_hint` names no identity provider of the realm)."""

    def send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        response = self._http.request(method, url, headers=self._jar.header(url), **kwargs)
        self._jar.store(response)
        self._http.cookies.clear()
        return response

    def sign_in(
        self, start_url: str, callback_url: str, *, login: str, password: str
    ) -> Callback | LoginReport:
        """From `start_url` until a redirect to the app's `callback_url` (never requested: its
        query is the result), or the report of the page where the sign-in stopped."""
        try:
            return self._walk(start_url, callback_url, login, password)
        except httpx.TransportError as exc:  # raised by `send`, so it names its request
            where = exc.request.url.copy_with(query=None)  # no state, nonce or code challenge
            return LoginReport(
                login,
                False,
                f"no answer from {where} ({exc.__class__.__name__}: {exc}). Check that the broker and "
                "the identity provider are running and reachable from here",
            )

    def _walk(self, start_url: str, callback_url: str, login: str, password: str) -> Callback | LoginReport:
        response = self.send("GET", start_url)
        submitted = False
        idp_refusal = ""
        for _ in range(30):
            if response.is_redirect:
                location = urljoin(str(response.url), response.headers["location"])
                query = parse_qs(urlsplit(location).query)
                if _same_endpoint(location, callback_url):
                    return Callback(query, idp_refusal)
                if "error" in query:  # the IdP sends its refusal to the broker's callback
                    idp_refusal = query.get("error_description", query["error"])[0]
                response = self.send("GET", location)
                continue
            form = _login_form(response.text) if response.status_code in (200, 401) else None
            if form is not None and not submitted and self._serves(response):
                return LoginReport(
                    login,
                    False,
                    f"{self._broker} showed its own sign-in form instead of sending the user to "
                    f"{self._idp}, so no password was entered: {self._broker} has no enabled "
                    f"{self._idp}. Fix: deploy the stack (ssoprov up), or check broker.alias against "
                    "the realm's identity providers",
                )
            if form is not None and not submitted:
                action, hidden, user_field = form
                target = urljoin(str(response.url), action) if action else str(response.url)
                response = self.send("POST", target, data={**hidden, user_field: login, "password": password})
                submitted = True
                continue
            posted = _auto_post_form(response.text) if response.status_code == 200 else None
            if posted is not None:
                action, fields = posted
                response = self.send("POST", urljoin(str(response.url), action), data=fields)
                continue
            missing = _missing_profile(response.text) if response.status_code == 200 else []
            if missing:
                return LoginReport(
                    login,
                    False,
                    f"the broker asks the user to complete their profile: the identity provider's token "
                    f"lacks {', '.join(missing)} (check the app's optional claims)",
                )
            shown = _page_message(response)
            if response.status_code == 200 and _asks_to_link_accounts(response.text):
                return LoginReport(
                    login,
                    False,
                    f"the broker asks to link accounts ({shown}): {self._broker} already has this user, "
                    "from another identity provider or made by hand. Fix: link them once in a browser, "
                    "delete the broker's user if it is stale, or give organizations that share users a "
                    "realm each",
                )
            if idp_refusal:
                shown = f"the identity provider refused: {idp_refusal} (the broker showed: {shown})"
            return LoginReport(login, False, f"stopped at HTTP {response.status_code}: {shown}")
        return LoginReport(login, False, "too many redirects")

    def _serves(self, response: httpx.Response) -> bool:
        """Whether `response` is one of the broker's own pages."""
        return self._own_pages is not None and str(response.url).startswith(self._own_pages)


@dataclass(frozen=True)
class Callback:
    """The broker's redirect back to the app: its query (`code`, or `error` and
    `error_description`; `state`), and the IdP's refusal if one passed through the broker first."""

    query: dict[str, list[str]]
    idp_refusal: str

    def first(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


def _same_endpoint(url: str, endpoint: str) -> bool:
    """Whether `url` is `endpoint` with a query: same scheme, host, port and path."""
    a, b = urlsplit(url), urlsplit(endpoint)
    return (a.scheme, a.netloc, a.path) == (b.scheme, b.netloc, b.path)


def verify_login(
    broker_url: str, realm: str, alias: str, *, login: str, password: str, timeout: float = 30.0
) -> LoginReport:
    """Sign `login` in through identity provider `alias` of `realm`; never raises for a refusal."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    realm_url = f"{broker_url.rstrip('/')}/realms/{realm}"
    start = httpx.URL(
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
    with httpx.Client(timeout=timeout, follow_redirects=False) as http:
        browser = Browser(
            http, broker=f"realm {realm}", idp=f"identity provider {alias}", own_pages=f"{realm_url}/"
        )
        ended = browser.sign_in(str(start), VERIFY_REDIRECT_URI, login=login, password=password)
        if isinstance(ended, LoginReport):
            return ended
        return _finish(browser, realm_url, login, ended, verifier)


def _finish(browser: Browser, realm_url: str, login: str, callback: Callback, verifier: str) -> LoginReport:
    code = callback.first("code")
    if code is None:
        reason = callback.first("error_description") or callback.first("error") or "unknown"
        return LoginReport(login, False, f"the broker refused: {reason}")
    token = browser.send(
        "POST",
        f"{realm_url}/protocol/openid-connect/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
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


TOKEN_CLAIMS = ("sub", "preferred_username", "email", "given_name", "family_name", "name")
"""The ID-token claims a connection check through Keycloak cares about."""


def report_lines(
    report: LoginReport, *, roles: str = "realm roles", shown: Sequence[str] = TOKEN_CLAIMS
) -> list[str]:
    """What the command prints: the outcome, the `roles` the user got, then the `shown` claims
    (lists joined; an empty one shown as such, since missing groups are worth seeing)."""
    if not report.signed_in:
        return [f"{report.user}: not signed in: {report.detail}"]
    lines = [f"{report.user}: signed in; {roles}: {', '.join(report.roles) or '(none)'}"]
    for claim in shown:
        value = report.claims.get(claim)
        if isinstance(value, list):
            lines.append(f"  {claim}: {', '.join(map(str, value)) or '(none)'}")
        elif value is not None:
            lines.append(f"  {claim}: {value}")
    return lines
