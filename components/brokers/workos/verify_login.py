"""Prove a WorkOS connection works: sign a user in the way an app using WorkOS SSO does.

The app (here ssoprov, holding the environment's API key and client ID) asks the workos SDK for the
connection's authorization URL (WorkOS docs, SSO: "Get authorization URL") with one of the redirect
URIs registered on the dashboard's Redirects page. `ssoprov.verify_login.Browser` follows it to the
IdP's login form, fills it in, and comes back through WorkOS: for OIDC the IdP redirects to
WorkOS's callback, for SAML the IdP's auto-submitting form posts the response to the connection's
ACS URL. WorkOS then redirects to the app's redirect URI with a code. That URI is never requested
(nothing has to serve it): the code is taken from the redirect's Location and exchanged through
the SDK ("Get a Profile and Token") for the profile: email, names, groups and role(s).

The IdP's login page must be a plain HTML form (the sandbox's); the real Entra ID and Okta pages
need a browser. Nothing secret is reported or logged: not the API key, WorkOS's code or its token.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx
from workos import WorkOSClient
from workos._errors import APIError, WorkOSConnectionError, WorkOSTimeoutError

from ssoprov.brokers.workos.client import API_KEY_VARIABLE, BASE_URL_VARIABLE
from ssoprov.errors import UsageError
from ssoprov.verify_login import Browser, Callback, LoginReport, report_lines

CLIENT_ID_VARIABLE = "WORKOS_CLIENT_ID"
REDIRECT_URI_VARIABLE = "WORKOS_REDIRECT_URI"
PROFILE_SHOWN = ("idp_id", "email", "first_name", "last_name", "name", "groups")
"""The profile fields a connection check cares about (the rest is in `LoginReport.claims`)."""


@dataclass(frozen=True)
class WorkosApp:
    """What an app that signs users in with WorkOS holds."""

    api_key: str = field(repr=False)
    client_id: str
    redirect_uri: str
    """One of the environment's registered redirect URIs; never requested."""
    base_url: str | None = None
    """The API's base URL; None for the SDK's default (WorkOS's public API)."""

    @classmethod
    def from_environment(
        cls, redirect_uri: str | None, environ: Mapping[str, str] | None = None
    ) -> WorkosApp:
        """The app from WORKOS_API_KEY, WORKOS_CLIENT_ID, WORKOS_BASE_URL and `redirect_uri` (else
        WORKOS_REDIRECT_URI); UsageError naming everything missing, before any call."""
        environ = os.environ if environ is None else environ
        api_key = environ.get(API_KEY_VARIABLE, "").strip()
        client_id = environ.get(CLIENT_ID_VARIABLE, "").strip()
        redirect = (redirect_uri or environ.get(REDIRECT_URI_VARIABLE, "")).strip()
        problems: list[tuple[str, str]] = []  # (what is wrong, its fix)
        if not api_key:
            fix = "sk_... (an API key of the environment that holds the connection)"
            problems.append((f"{API_KEY_VARIABLE} is not set", f"export {API_KEY_VARIABLE}={fix}"))
        if not client_id:
            fix = "client_... (that environment's client ID, on the dashboard's API Keys page)"
            problems.append((f"{CLIENT_ID_VARIABLE} is not set", f"export {CLIENT_ID_VARIABLE}={fix}"))
        registered = "one of the redirect URIs on the dashboard's Redirects page (it is never requested)"
        if not redirect:
            problems.append(
                (
                    f"no redirect URI (--redirect-uri or {REDIRECT_URI_VARIABLE})",
                    f"pass --redirect-uri URL or export {REDIRECT_URI_VARIABLE}=URL: {registered}",
                )
            )
        elif urlsplit(redirect).scheme not in ("http", "https") or not urlsplit(redirect).netloc:
            problems.append(
                (f"the redirect URI {redirect!r} is not an absolute http(s) URL", f"give {registered}")
            )
        if problems:
            what, fixes = zip(*problems, strict=True)
            raise UsageError(f"signing in through WorkOS: {'; '.join(what)}. Fix: {'; '.join(fixes)}")
        return cls(api_key, client_id, redirect, environ.get(BASE_URL_VARIABLE) or None)


def verify_workos_login(
    app: WorkosApp, connection_id: str, *, login: str, password: str, timeout: float = 30.0
) -> LoginReport:
    """Sign `login` in through WorkOS connection `connection_id`; never raises for a refusal."""
    sdk = WorkOSClient(
        api_key=app.api_key,
        client_id=app.client_id,
        base_url=app.base_url,
        request_timeout=int(timeout),
        max_retries=0,  # WorkOS's code is single-use: a retried exchange could only fail
    )
    state = secrets.token_urlsafe(16)
    start = sdk.sso.get_authorization_url(
        redirect_uri=app.redirect_uri, connection=connection_id, state=state
    )
    with httpx.Client(timeout=timeout, follow_redirects=False) as http:
        ended = Browser(http).sign_in(start, app.redirect_uri, login=login, password=password)
    if isinstance(ended, LoginReport):
        return ended
    return _profile_report(sdk, login, ended, state)


def _profile_report(sdk: WorkOSClient, login: str, callback: Callback, state: str) -> LoginReport:
    code = callback.first("code")
    if code is None:
        if callback.idp_refusal:
            return LoginReport(login, False, f"the identity provider refused: {callback.idp_refusal}")
        error = callback.first("error") or "no code and no error"
        description = callback.first("error_description")
        return LoginReport(
            login, False, f"WorkOS refused: {error}" + (f": {description}" if description else "")
        )
    if callback.first("state") != state:
        return LoginReport(
            login, False, "WorkOS redirected with another sign-in's state; the code was not used"
        )
    try:
        profile = sdk.sso.get_profile_and_token(code=code).profile
    except APIError as exc:
        return LoginReport(login, False, f"getting the profile from WorkOS: {_api_error(exc)}")
    except (WorkOSConnectionError, WorkOSTimeoutError) as exc:
        return LoginReport(login, False, f"getting the profile from WorkOS: {exc.__class__.__name__}: {exc}")
    roles = profile.roles or ([profile.role] if profile.role else [])
    return LoginReport(
        login, True, "signed in", claims=profile.to_dict(), roles=[role.slug for role in roles]
    )


def _api_error(exc: APIError) -> str:
    """`HTTP <status> <error> <description>` from WorkOS's error body (OAuth's or WorkOS's own
    fields), plus what to check when it refused the app's credentials."""
    body = exc.response_json
    if body is None:
        with contextlib.suppress(ValueError, TypeError):
            body = json.loads(exc.raw_body or exc.message)
    if not isinstance(body, Mapping):
        body = {"message": exc.message}
    error = body.get("error") or body.get("code")
    description = body.get("error_description") or body.get("message")
    text = " ".join(str(part) for part in (f"HTTP {exc.status_code}", error, description) if part).rstrip(".")
    if exc.status_code == 401:
        text += f". Fix: {API_KEY_VARIABLE} and {CLIENT_ID_VARIABLE} must be of the same WorkOS environment"
    return text


def profile_lines(report: LoginReport) -> list[str]:
    """What `ssoprov verify-login` prints for a WorkOS sign-in."""
    return report_lines(report, roles="WorkOS roles", shown=PROFILE_SHOWN)
