"""Apps: `/api/v1/apps` create, list, read, replace, lifecycle (activate/deactivate), delete.

OIDC (`oidc_client`) apps are checked here; custom SAML 2.0 apps in `saml_apps`.
Validation follows Okta's documented rules for OAuth 2.0
client apps: grant types allowed per application type, `code` with `authorization_code`, absolute
redirect URIs without fragments, client secrets of 14 to 100 printable ASCII characters, PKCE
required when the client has no secret. Create and replace answers show `client_secret`; reads
never do.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.okta import errors
from sandbox.okta.render import app_json, json_answer, org_base, paginate, read_json, saml_app_json
from sandbox.okta.saml_apps import parse_saml_app
from sandbox.okta.search import parse_search
from sandbox.okta.store import App, OktaStore, SamlApp

AUTH_METHODS = ("none", "client_secret_post", "client_secret_basic", "client_secret_jwt", "private_key_jwt")
GRANTS_BY_TYPE = {
    "web": {"authorization_code", "implicit", "refresh_token", "client_credentials"},
    "browser": {"authorization_code", "implicit"},
    "native": {"authorization_code", "implicit", "password", "refresh_token"},
    "service": {"client_credentials"},
}
RESPONSE_TYPES = {"code", "token", "id_token"}
ISSUER_MODES = {"ORG_URL", "CUSTOM_URL", "DYNAMIC"}
FILTERABLE = frozenset({"id", "status", "name", "credentials.signing.kid"})


def app_routes(store: OktaStore) -> list[Route]:
    async def create(request: Request) -> Response:
        body = await read_json(request)
        activate = request.query_params.get("activate", "true").lower() != "false"
        if isinstance(body, dict) and body.get("signOnMode") == "SAML_2_0":
            fields = parse_saml_app(body)
            fields.pop("signing_kid")
            return json_answer(
                saml_app_json(store.create_saml_app(**fields, activate=activate), org_base(request))
            )
        fields = parse_oidc_app(body)
        app, secret = store.create_app(**fields, activate=activate)
        return json_answer(app_json(app, org_base(request), secret.value if secret else None))

    async def list_apps(request: Request) -> Response:
        """`q` matches the start of the name or label, as Okta documents; `filter` takes `eq`
        comparisons of the properties it documents (but settings.slo.enabled: no app here has
        single logout), joined by and/or; 20 a page by default."""
        found = store.apps()
        q = request.query_params.get("q")
        if q is not None:
            prefix = q.lower()
            found = [a for a in found if a.label.lower().startswith(prefix) or _name(a).startswith(prefix)]
        expression = request.query_params.get("filter")
        if expression is not None:
            matches = parse_search(expression, FILTERABLE, operators=frozenset({"eq"}))
            found = [a for a in found if matches(_filterable(a))]
        page, links = paginate(request, found, default_limit=20, max_limit=200)
        base = org_base(request)
        return json_answer([_json(a, base) for a in page], links=links)

    async def read(request: Request) -> Response:
        app = store.get_app(request.path_params["app_id"])
        return json_answer(_json(app, org_base(request)))

    async def replace(request: Request) -> Response:
        app_id = request.path_params["app_id"]
        if isinstance(store.get_app(app_id), SamlApp):
            body = await read_json(request)
            if not isinstance(body, dict) or body.get("signOnMode", "SAML_2_0") != "SAML_2_0":
                raise errors.validation_failed("signOnMode", "signOnMode: The signOnMode can't be changed.")
            app = store.replace_saml_app(app_id, **parse_saml_app(body))
            return json_answer(saml_app_json(app, org_base(request)))
        fields = parse_oidc_app(await read_json(request))
        fields.pop("client_secret")
        client_id = fields.pop("client_id")
        if client_id is not None and client_id != store.get_app(app_id).client_id:
            raise errors.validation_failed("client_id", "client_id: The client_id can't be changed.")
        app = store.replace_app(app_id, **fields)
        return json_answer(app_json(app, org_base(request), store.active_secret_value(app_id)))

    async def delete(request: Request) -> Response:
        store.delete_app(request.path_params["app_id"])
        return Response(status_code=204)

    async def activate(request: Request) -> Response:
        store.set_app_status(request.path_params["app_id"], "ACTIVE")
        return json_answer({})

    async def deactivate(request: Request) -> Response:
        store.set_app_status(request.path_params["app_id"], "INACTIVE")
        return json_answer({})

    return [
        Route("/api/v1/apps", create, methods=["POST"]),
        Route("/api/v1/apps", list_apps, methods=["GET"]),
        Route("/api/v1/apps/{app_id}", read, methods=["GET"]),
        Route("/api/v1/apps/{app_id}", replace, methods=["PUT"]),
        Route("/api/v1/apps/{app_id}", delete, methods=["DELETE"]),
        Route("/api/v1/apps/{app_id}/lifecycle/activate", activate, methods=["POST"]),
        Route("/api/v1/apps/{app_id}/lifecycle/deactivate", deactivate, methods=["POST"]),
    ]


def _filterable(app: App | SamlApp) -> dict[str, str]:
    kid = app.signing_kid
    return {"id": app.id, "status": app.status, "name": _name(app), "credentials.signing.kid": kid}


def _name(app: App | SamlApp) -> str:
    return app.name if isinstance(app, SamlApp) else "oidc_client"


def _json(app: App | SamlApp, base: str) -> dict:
    return saml_app_json(app, base) if isinstance(app, SamlApp) else app_json(app, base)


def parse_oidc_app(body: object) -> dict:
    """Check an OIDC app body the way Okta does and return the store's fields for it."""
    if not isinstance(body, dict):
        raise errors.malformed_body()
    name = body.get("name")
    if name != "oidc_client":
        raise errors.validation_failed(
            "name", f"name: The stand-in models OpenID Connect apps only ('oidc_client'), not {name!r}."
        )
    if body.get("signOnMode", "OPENID_CONNECT") != "OPENID_CONNECT":
        raise errors.validation_failed(
            "signOnMode", "signOnMode: oidc_client apps sign on with OPENID_CONNECT."
        )
    label = body.get("label")
    if not isinstance(label, str) or not label.strip():
        raise errors.validation_failed("label", "label: The field cannot be left blank.")
    credentials = _object(body, "credentials", "oauthClient")
    settings = _object(body, "settings", "oauthClient")
    if not settings:
        raise errors.validation_failed("settings", "settings: The oauthClient settings are required.")

    auth_method = credentials.get("token_endpoint_auth_method", "client_secret_basic")
    if auth_method not in AUTH_METHODS:
        raise errors.validation_failed(
            "token_endpoint_auth_method",
            f"token_endpoint_auth_method: '{auth_method}' is invalid. "
            f"Valid values: [{', '.join(AUTH_METHODS)}].",
        )
    oauth = _oauth_settings(settings)
    default_pkce = oauth["application_type"] in ("browser", "native")
    pkce_required = credentials.get("pkce_required", default_pkce)
    if not isinstance(pkce_required, bool):
        raise errors.validation_failed("pkce_required", "pkce_required: must be a boolean.")
    if auth_method == "none" and not pkce_required:
        raise errors.validation_failed(
            "pkce_required",
            "pkce_required: 'pkce_required' must be true when 'token_endpoint_auth_method' is 'none'.",
        )
    client_secret = credentials.get("client_secret")
    if client_secret is not None:
        check_client_secret(client_secret, auth_method)
    client_id = credentials.get("client_id")
    if client_id is not None and (not isinstance(client_id, str) or not 6 <= len(client_id) <= 100):
        raise errors.validation_failed("client_id", "client_id: must be between 6 and 100 characters long.")
    profile = body.get("profile")
    admin_settings = {k: v for k, v in (body.get("settings") or {}).items() if k != "oauthClient"}
    return {
        "label": label,
        "client_id": client_id,
        "auth_method": auth_method,
        "pkce_required": pkce_required,
        "auto_key_rotation": bool(credentials.get("autoKeyRotation", True)),
        "oauth_settings": oauth,
        "client_secret": client_secret,
        "profile": profile if isinstance(profile, dict) else None,
        "settings_extra": admin_settings,
        "accessibility": _optional_object(body, "accessibility"),
        "visibility": _optional_object(body, "visibility"),
    }


def check_client_secret(value: object, auth_method: str) -> None:
    """Okta's rules for a client secret the caller brings (app create, secrets API)."""
    cause = None
    if not isinstance(value, str):
        cause = "client_secret: 'client_secret' must be a string."
    elif len(value) > 100:
        cause = "client_secret: 'client_secret' cannot be more than '100' characters long."
    elif len(value) < 14:
        cause = "client_secret: 'client_secret' must be at least '14' characters long."
    elif auth_method == "client_secret_jwt" and len(value) < 32:
        cause = (
            "client_secret: 'client_secret' must be at least '32' characters long when "
            "'token_endpoint_auth_method' is 'client_secret_jwt'."
        )
    elif not all(0x20 <= ord(ch) <= 0x7E for ch in value):
        cause = "client_secret: ''client_secret'' must only contain printable ASCII: [x20-x7E]+"
    if cause:
        raise errors.validation_failed("client_secret", cause)


def _object(body: dict, outer: str, inner: str) -> dict:
    value = body.get(outer) or {}
    if not isinstance(value, dict) or not isinstance(value.get(inner) or {}, dict):
        raise errors.validation_failed(outer, f"{outer}: must be an object.")
    return dict(value.get(inner) or {})


def _optional_object(body: dict, key: str) -> dict | None:
    value = body.get(key)
    if value is not None and not isinstance(value, dict):
        raise errors.validation_failed(key, f"{key}: must be an object.")
    return value


def _oauth_settings(settings: dict) -> dict:
    app_type = settings.get("application_type")
    if app_type not in GRANTS_BY_TYPE:
        raise errors.validation_failed(
            "application_type", "application_type: must be one of web, native, browser or service."
        )
    grants = _string_list(settings, "grant_types")
    if not grants:
        raise errors.validation_failed("grant_types", "grant_types: The field cannot be left blank.")
    invalid = [g for g in grants if g not in GRANTS_BY_TYPE[app_type]]
    if invalid:
        raise errors.validation_failed(
            "grant_types", f"grant_types: {', '.join(invalid)} is not allowed for a {app_type} application."
        )
    if app_type in ("web", "native") and "authorization_code" not in grants:
        raise errors.validation_failed(
            "grant_types", f"grant_types: A {app_type} application must have at least 'authorization_code'."
        )
    response_types = _string_list(settings, "response_types")
    unknown = [r for r in response_types if r not in RESPONSE_TYPES]
    if unknown:
        raise errors.validation_failed("response_types", f"response_types: '{unknown[0]}' is invalid.")
    if "authorization_code" in grants and "code" not in response_types:
        raise errors.validation_failed(
            "response_types",
            "response_types: 'code' is required when 'grant_types' contains 'authorization_code'.",
        )
    redirect_uris = _uris(settings, "redirect_uris")
    if {"authorization_code", "implicit"} & set(grants) and not redirect_uris:
        raise errors.validation_failed("redirect_uris", "redirect_uris: The field cannot be left blank.")
    # New OIDC apps get DYNAMIC unless the body says otherwise (recorded against a real org, 2026).
    issuer_mode = settings.get("issuer_mode", "DYNAMIC")
    if issuer_mode not in ISSUER_MODES:
        raise errors.validation_failed("issuer_mode", f"issuer_mode: '{issuer_mode}' is invalid.")
    known = {
        "application_type": app_type,
        "grant_types": grants,
        "response_types": response_types,
        "redirect_uris": redirect_uris,
        "consent_method": settings.get("consent_method", "TRUSTED"),
        "issuer_mode": issuer_mode,
        "wildcard_redirect": settings.get("wildcard_redirect", "DISABLED"),
        "idp_initiated_login": settings.get("idp_initiated_login")
        or {"mode": "DISABLED", "default_scope": []},
    }
    if "post_logout_redirect_uris" in settings:  # Okta shows it only once set
        known["post_logout_redirect_uris"] = _uris(settings, "post_logout_redirect_uris")
    return {**settings, **known}


def _string_list(settings: dict, key: str) -> list[str]:
    value = settings.get(key) or []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise errors.validation_failed(key, f"{key}: must be an array of strings.")
    return value


def _uris(settings: dict, key: str) -> list[str]:
    uris = _string_list(settings, key)
    for uri in uris:
        parts = urlsplit(uri)
        if not parts.scheme or not (parts.netloc or parts.path) or parts.fragment:
            raise errors.validation_failed(
                key, f"{key}: '{uri}' must be an absolute URI without a fragment component."
            )
    return uris
