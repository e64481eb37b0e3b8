"""Drive a real brokered login through Keycloak like a browser would, without a browser.

Client app -> broker realm (kc_idp_hint) -> upstream realm's login form -> back to the
broker's callback, where Keycloak redeems the code at the upstream token endpoint with the
identity provider's client secret -> first broker login -> the app's redirect URI with a
code. The last step happens only if the stored client secret is the right one, which is
how the tests check what Keycloak never shows: the secret it keeps.

Keycloak marks its cookies `Secure` even on http://127.0.0.1, and httpx (like a browser off
localhost) will not send those over http, so the flow keeps its own small cookie jar.
"""

from __future__ import annotations

import html
import re
import secrets
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx

_LOGIN_FORM = re.compile(r'<form[^>]*id="kc-form-login"[^>]*>', re.IGNORECASE)
_ACTION = re.compile(r'action="([^"]+)"')
_ERROR_TEXT = re.compile(
    r"<(?:span|div|p)[^>]*(?:kc-feedback-text|alert-error|instruction)[^>]*>(.*?)</", re.S
)


@dataclass(frozen=True)
class LoginOutcome:
    code: str | None
    """The authorization code the app received, None if the login failed."""
    detail: str
    """Where it ended: the app's error parameters or the text of Keycloak's error page."""


class _Jar:
    """Cookies by (path, name), sent whatever their Secure flag (see the module docstring)."""

    def __init__(self) -> None:
        self._cookies: dict[tuple[str, str], str] = {}

    def store(self, response: httpx.Response) -> None:
        for header in response.headers.get_list("set-cookie"):
            parsed: SimpleCookie = SimpleCookie()
            parsed.load(header)
            for name, morsel in parsed.items():
                key = (morsel["path"] or "/", name)
                if morsel["max-age"] == "0" or not morsel.value:
                    self._cookies.pop(key, None)
                else:
                    self._cookies[key] = morsel.value

    def header(self, url: str) -> dict[str, str]:
        path = urlsplit(url).path
        pairs = [
            f"{name}={value}" for (prefix, name), value in self._cookies.items() if path.startswith(prefix)
        ]
        return {"Cookie": "; ".join(pairs)} if pairs else {}


def broker_login(
    base_url: str,
    realm: str,
    alias: str,
    *,
    username: str,
    password: str,
    client_id: str,
    redirect_uri: str,
) -> LoginOutcome:
    jar = _Jar()
    with httpx.Client(timeout=30.0, follow_redirects=False) as http:

        def send(method: str, url: str, **kwargs: object) -> httpx.Response:
            response = http.request(method, url, headers=jar.header(url), **kwargs)  # type: ignore[arg-type]
            jar.store(response)
            http.cookies.clear()
            return response

        response = send(
            "GET",
            f"{base_url}/realms/{realm}/protocol/openid-connect/auth",
            params={
                "client_id": client_id,
                "redirect_uri": redirect_uri,
                "response_type": "code",
                "scope": "openid",
                "state": secrets.token_urlsafe(8),
                "kc_idp_hint": alias,
            },
        )
        submitted = False
        for _ in range(30):
            if response.is_redirect:
                location = urljoin(str(response.url), response.headers["Location"])
                if location.startswith(redirect_uri):
                    query = parse_qs(urlsplit(location).query)
                    if "code" in query:
                        return LoginOutcome(query["code"][0], "redirected to the app with a code")
                    return LoginOutcome(None, f"redirected to the app with {query}")
                response = send("GET", location)
                continue
            form = _LOGIN_FORM.search(response.text) if response.status_code == 200 else None
            if form and not submitted:
                action = html.unescape(_ACTION.search(form.group(0)).group(1))
                response = send(
                    "POST", action, data={"username": username, "password": password, "credentialId": ""}
                )
                submitted = True
                continue
            shown = " ".join(html.unescape(text).strip() for text in _ERROR_TEXT.findall(response.text))
            return LoginOutcome(None, f"stopped at HTTP {response.status_code} {response.url}: {shown[:300]}")
        return LoginOutcome(None, "too many redirects")
