"""Store records as Okta's JSON: camelCase objects with `_links`, snake_case inside `oauthClient`.

`base` is the org URL the request came in on (`http://127.0.0.1:PORT`), so links point back at
the stand-in the way Okta's point at `https://{yourOktaDomain}`.
"""

from __future__ import annotations

import copy
import json
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse

from sandbox.okta import errors
from sandbox.okta.client_jwks import ClientJwk
from sandbox.okta.errors import OktaError
from sandbox.okta.store import App, ClientSecret, Group, GroupAssignment, GroupsClaim, SamlApp, User


def org_base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


async def read_json(request: Request) -> object:
    """The request's JSON body (None when empty); E0000003 when it is not JSON."""
    raw = await request.body()
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise errors.malformed_body() from exc


def json_answer(
    body: object, status: int = 200, headers: dict[str, str] | None = None, links: list[str] | None = None
) -> JSONResponse:
    """A JSON answer; each of `links` goes out as its own `Link` header, as Okta sends them (one for
    self, another for next), never joined into one."""
    response = JSONResponse(body, status_code=status, headers=headers)
    for link in links or []:
        response.headers.append("Link", link)
    return response


def _href(url: str, *methods: str) -> dict:
    link: dict = {"href": url}
    if methods:
        link["hints"] = {"allow": list(methods)}
    return link


def user_json(user: User, base: str) -> dict:
    return {
        "id": user.id,
        "status": user.status,
        "created": user.created,
        "activated": user.created,
        "statusChanged": user.created,
        "lastLogin": None,
        "lastUpdated": user.created,
        "passwordChanged": user.created,
        "type": {"id": "oty" + user.id[3:]},
        "profile": {
            "firstName": user.first_name,
            "lastName": user.last_name,
            "mobilePhone": None,
            "secondEmail": None,
            "login": user.login,
            "email": user.email,
        },
        "credentials": {
            "password": {},
            "provider": {"type": "OKTA", "name": "OKTA"},
        },
        "_links": {"self": _href(f"{base}/api/v1/users/{user.id}")},
    }


def group_json(group: Group, base: str) -> dict:
    return {
        "id": group.id,
        "created": group.created,
        "lastUpdated": group.last_updated,
        "lastMembershipUpdated": group.last_membership_updated,
        "objectClass": ["okta:user_group"],
        "type": group.type,
        "profile": {"name": group.name, "description": group.description},
        "_links": {
            "logo": [
                {
                    "name": "medium",
                    "href": f"{base}/assets/img/logos/groups/okta-medium.png",
                    "type": "image/png",
                },
                {
                    "name": "large",
                    "href": f"{base}/assets/img/logos/groups/okta-large.png",
                    "type": "image/png",
                },
            ],
            "users": _href(f"{base}/api/v1/groups/{group.id}/users"),
            "apps": _href(f"{base}/api/v1/groups/{group.id}/apps"),
        },
    }


def _app_envelope(
    app: App | SamlApp,
    base: str,
    *,
    name: str,
    sign_on_mode: str,
    credentials: dict,
    settings: dict,
    links: dict | None = None,
) -> dict:
    """What every app answer has (Okta's `Application`), whatever its sign-on mode; `credentials`,
    `settings` and `links` are added to the mode's own parts of it."""
    app_url = f"{base}/api/v1/apps/{app.id}"
    lifecycle = "deactivate" if app.status == "ACTIVE" else "activate"
    return {
        "id": app.id,
        "name": name,
        "label": app.label,
        "status": app.status,
        "lastUpdated": app.last_updated,
        "created": app.created,
        "accessibility": copy.deepcopy(app.accessibility),
        "visibility": copy.deepcopy(app.visibility),
        "features": [],
        "signOnMode": sign_on_mode,
        "credentials": {
            "userNameTemplate": {"template": "${source.login}", "type": "BUILT_IN"},
            "signing": {"kid": app.signing_kid},
            **credentials,
        },
        "universalLogout": None,
        "settings": {**copy.deepcopy(app.settings_extra), **settings},
        "_links": {
            "appLinks": [
                {
                    "name": f"{name}_link",
                    "href": f"{base}/home/{name}/{app.id}/aln{app.id[3:]}",
                    "type": "text/html",
                }
            ],
            "groups": _href(f"{app_url}/groups"),
            "logo": [{"name": "medium", "href": f"{base}/assets/img/logos/default.png", "type": "image/png"}],
            **(links or {}),
            "users": _href(f"{app_url}/users"),
            "self": _href(app_url),
            lifecycle: _href(f"{app_url}/lifecycle/{lifecycle}"),
        },
    }


def app_json(app: App, base: str, client_secret: str | None = None) -> dict:
    """An OIDC app; `client_secret` only on the create and update answers, as Okta does."""
    oauth_client = {
        "autoKeyRotation": app.auto_key_rotation,
        "client_id": app.client_id,
        "pkce_required": app.pkce_required,
        "token_endpoint_auth_method": app.token_endpoint_auth_method,
    }
    if client_secret is not None:
        oauth_client["client_secret"] = client_secret
    body = _app_envelope(
        app,
        base,
        name="oidc_client",
        sign_on_mode="OPENID_CONNECT",
        credentials={"oauthClient": oauth_client},
        settings={"oauthClient": copy.deepcopy(app.oauth_settings)},
    )
    if app.profile is not None:
        body["profile"] = app.profile
    return body


def saml_app_json(app: SamlApp, base: str) -> dict:
    """A custom SAML 2.0 app, with the link to its metadata document."""
    metadata = f"{base}/api/v1/apps/{app.id}/sso/saml/metadata"
    return _app_envelope(
        app,
        base,
        name=app.name,
        sign_on_mode="SAML_2_0",
        credentials={},
        settings={"signOn": copy.deepcopy(app.sign_on)},
        links={"metadata": {"href": metadata, "type": "application/xml"}},
    )


def assignment_json(assignment: GroupAssignment, base: str) -> dict:
    app_url = f"{base}/api/v1/apps/{assignment.app_id}"
    return {
        "id": assignment.group_id,
        "lastUpdated": assignment.last_updated,
        "priority": assignment.priority,
        "profile": assignment.profile,
        "_links": {
            "app": _href(app_url),
            "self": _href(f"{app_url}/groups/{assignment.group_id}"),
            "group": _href(f"{base}/api/v1/groups/{assignment.group_id}"),
        },
    }


def secret_json(secret: ClientSecret, base: str) -> dict:
    secret_url = f"{base}/api/v1/apps/{secret.app_id}/credentials/secrets/{secret.id}"
    if secret.status == "ACTIVE":
        links = {"deactivate": _href(f"{secret_url}/lifecycle/deactivate", "POST")}
    else:
        links = {
            "activate": _href(f"{secret_url}/lifecycle/activate", "POST"),
            "delete": _href(secret_url, "DELETE"),
        }
    return {
        "id": secret.id,
        "client_secret": secret.value,
        "secret_hash": secret.secret_hash,
        "created": secret.created,
        "lastUpdated": secret.last_updated,
        "status": secret.status,
        "_links": links,
    }


def jwk_json(key: ClientJwk, base: str) -> dict:
    key_url = f"{base}/api/v1/apps/{key.app_id}/credentials/jwks/{key.id}"
    if key.status == "ACTIVE":
        links = {"deactivate": _href(f"{key_url}/lifecycle/deactivate", "POST")}
    else:
        links = {
            "activate": _href(f"{key_url}/lifecycle/activate", "POST"),
            "delete": _href(key_url, "DELETE"),
        }
    return {
        "id": key.id,
        "kid": key.kid,
        "kty": "RSA",
        "alg": key.alg,
        "use": "sig",
        "e": key.e,
        "n": key.n,
        "status": key.status,
        "created": key.created,
        "lastUpdated": key.last_updated,
        "_links": links,
    }


def groups_claim_json(claim: GroupsClaim | None, app: App, base: str) -> dict:
    """The internal idToken settings: issuer context always, the claim fields once one is set."""
    issuer_mode = app.oauth_settings.get("issuer_mode", "DYNAMIC")
    body: dict = {"issuer": base, "orgUrl": base, "audience": app.client_id, "issuerMode": issuer_mode}
    if claim is not None:
        body.update(
            {
                "valueType": claim.value_type,
                "groupFilterType": claim.group_filter_type,
                "issuerMode": claim.issuer_mode,
                "name": claim.name,
                "value": claim.value,
            }
        )
    return body


def paginate(
    request: Request, items: list, *, default_limit: int, max_limit: int, cursor_of=lambda item: item.id
) -> tuple[list, list[str]]:
    """One page of `items` after the `after` cursor, and the Link headers Okta sends with it (self,
    then next when there is more). A cursor that names no item is Okta's 400 E0000029."""
    try:
        limit = int(request.query_params.get("limit", default_limit))
    except ValueError as exc:
        raise OktaError(400, "E0000029", "Invalid paging request.") from exc
    if limit < 1:
        raise OktaError(400, "E0000029", "Invalid paging request.")
    limit = min(limit, max_limit)
    after = request.query_params.get("after")
    start = 0
    if after:
        cursors = [cursor_of(item) for item in items]
        if after not in cursors:
            raise OktaError(400, "E0000029", "Invalid paging request.", ["Invalid cursor."])
        start = cursors.index(after) + 1
    page = items[start : start + limit]
    links = [self_link(request, limit)]
    if start + limit < len(items):
        links.append(_link(request, {"after": cursor_of(page[-1]), "limit": limit}, "next"))
    return page, links


def self_link(request: Request, limit: int) -> str:
    """The `rel="self"` Link of a list answer: the request's own query, paging cursor dropped."""
    return _link(request, {"limit": limit}, "self")


def _link(request: Request, paging: dict, rel: str) -> str:
    kept = {k: v for k, v in request.query_params.items() if k not in ("after", "limit")}
    url = org_base(request) + request.url.path
    return f'<{url}?{urlencode({**kept, **paging})}>; rel="{rel}"'
