"""Drive a stand-in IdP's authorization-code flow over plain HTTP, as a browser would; make an
Okta app to sign in to."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt

from sandbox.common.client_assertion import ASSERTION_TYPE
from sandbox.common.oidc_issuer import SANDBOX_USER_PASSWORD
from sandbox.okta.store import GroupsClaim, OktaStore


@dataclass
class SignInResult:
    error: str | None
    claims: dict[str, Any]


def sign_in(
    discovery_url: str,
    client_id: str,
    secret: str,
    redirect_uri: str,
    login: str,
    *,
    scope: str = "openid profile email",
    auth_method: str = "client_secret_basic",
    assertion: Callable[[str], str] | None = None,
) -> SignInResult:
    """Sign `login` in; the client authenticates at the token endpoint by `auth_method`
    (client_secret_basic, client_secret_post, or private_key_jwt with `assertion`, which makes the
    client assertion for a token endpoint URL). A refused token request raises HTTPStatusError."""
    with httpx.Client(timeout=10) as http:
        metadata = http.get(discovery_url).json()
        params = {
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": scope,
            "state": "s1",
            "nonce": "n1",
        }
        form_page = http.get(metadata["authorization_endpoint"], params=params)
        form_page.raise_for_status()
        hidden = dict(re.findall(r"name='(\w+)' value='([^']*)'", form_page.text))
        answer = http.post(
            metadata["authorization_endpoint"],
            data={**hidden, "login": login, "password": SANDBOX_USER_PASSWORD},
        )
        if answer.status_code != 302:
            match = re.search(r"id='error_description'>([^<]*)<", answer.text)
            return SignInResult(error=match.group(1) if match else answer.text, claims={})
        query = parse_qs(urlsplit(answer.headers["location"]).query)
        if "error" in query:
            return SignInResult(error=query["error_description"][0], claims={})
        grant = {"grant_type": "authorization_code", "code": query["code"][0], "redirect_uri": redirect_uri}
        if auth_method == "private_key_jwt":
            assert assertion is not None
            token = http.post(
                metadata["token_endpoint"],
                data={
                    **grant,
                    "client_assertion_type": ASSERTION_TYPE,
                    "client_assertion": assertion(metadata["token_endpoint"]),
                },
            )
        elif auth_method == "client_secret_post":
            token = http.post(
                metadata["token_endpoint"], data={**grant, "client_id": client_id, "client_secret": secret}
            )
        else:
            token = http.post(metadata["token_endpoint"], auth=(client_id, secret), data=grant)
        token.raise_for_status()
        keys = jwt.PyJWKSet.from_dict(http.get(metadata["jwks_uri"]).json())
        id_token = token.json()["id_token"]
        key = keys[jwt.get_unverified_header(id_token)["kid"]]
        claims = jwt.decode(
            id_token, key.key, algorithms=["RS256"], audience=client_id, issuer=metadata["issuer"]
        )
        return SignInResult(error=None, claims=claims)


def okta_web_app(
    store: OktaStore,
    redirect_uri: str,
    groups: list[str],
    *,
    claim: GroupsClaim | None = None,
    auth_method: str = "client_secret_basic",
) -> tuple[str, str]:
    """An ACTIVE OIDC web app made in the Okta stand-in's store, registered for `auth_method` at
    the token endpoint and assigned `groups` (names); returns (client ID, client secret), the
    secret empty for a private_key_jwt app."""
    app, secret = store.create_app(
        label="Globex SSO",
        client_id=None,
        auth_method=auth_method,
        pkce_required=False,
        auto_key_rotation=True,
        client_secret=None,
        profile=None,
        activate=True,
        oauth_settings={
            "application_type": "web",
            "grant_types": ["authorization_code"],
            "response_types": ["code"],
            "redirect_uris": [redirect_uri],
        },
    )
    by_name = {group.name: group.id for group in store.groups()}
    for name in groups:
        store.assign_group(app.id, by_name[name], None, None)
    if claim is not None:
        store.set_groups_claim(app.id, claim)
    return app.client_id, secret.value if secret is not None else ""
