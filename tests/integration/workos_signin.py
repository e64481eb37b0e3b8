"""Sign a user in through a WorkOS connection, as an app using the workos SDK and a browser would:
the SDK's authorization URL, the IdP's login form, WorkOS's callback (OIDC) or ACS URL (SAML: the
IdP's auto-posting form), then the SDK's code exchange for the profile. The app's own callback is
never served: its URL only carries the code."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import httpx
from workos import WorkOSClient

from sandbox.common.oidc_issuer import SANDBOX_USER_PASSWORD
from ssoprov.verify_login import LoginReport
from tests.support.saml_browser import posted

APP_REDIRECT_URI = "http://127.0.0.1:9/sso/callback"
"""The app's callback: registered with the WorkOS environment, never requested."""


def workos_sign_in(
    workos_url: str, api_key: str, client_id: str, connection_id: str, login: str
) -> LoginReport:
    sdk = WorkOSClient(api_key=api_key, client_id=client_id, base_url=workos_url, max_retries=0)
    url = sdk.sso.get_authorization_url(
        redirect_uri=APP_REDIRECT_URI, connection=connection_id, state="app-1"
    )
    with httpx.Client(timeout=15) as browser:
        to_idp = browser.get(url)
        if to_idp.status_code != 302:
            return LoginReport(login, False, f"WorkOS authorize answered {to_idp.status_code}: {to_idp.text}")
        form_page = browser.get(to_idp.headers["location"])
        if form_page.status_code != 200:
            return LoginReport(login, False, f"the IdP's sign-in page answered {form_page.status_code}")
        hidden = {k: unescape(v) for k, v in re.findall(r"name='(\w+)' value='([^']*)'", form_page.text)}
        answer = browser.post(
            to_idp.headers["location"].split("?")[0],
            data={**hidden, "login": login, "password": SANDBOX_USER_PASSWORD},
        )
        if answer.status_code == 200 and "SAMLResponse" in answer.text:  # SAML: the POST binding to the ACS
            action, fields = posted(answer)
            to_app = browser.post(action, data=fields)
        elif answer.status_code == 302:  # OIDC: back to WorkOS's callback
            to_app = browser.get(answer.headers["location"])
        else:
            refusal = f"the IdP refused the sign-in: {answer.status_code} {answer.text}"
            return LoginReport(login, False, refusal)
    if to_app.status_code != 302:
        return LoginReport(login, False, f"WorkOS answered {to_app.status_code}: {to_app.text}")
    query = {key: values[0] for key, values in parse_qs(urlsplit(to_app.headers["location"]).query).items()}
    if "code" not in query or query.get("state") != "app-1":
        return LoginReport(login, False, f"WorkOS sent the app back {query}")
    profile = sdk.sso.get_profile_and_token(code=query["code"]).profile
    roles = [role.slug for role in profile.roles or []]
    # The profile as the app reads it: email, groups (from the mapped claim or attribute), raw_attributes.
    return LoginReport(login, True, "signed in", claims=profile.to_dict(), roles=roles)
