"""Okta as a SAML 2.0 IdP for the stand-in org's SAML apps, and the apps' signing-key API.

- The end-user side (no API token): the SSO URL `/app/{name}/{exk}/sso/saml` and the metadata
  `/app/{exk}/sso/saml/metadata`, where `exk...` is the app's issuer key; the IdP entity ID is
  `http://www.okta.com/{exk}`. Assertions follow the app's `settings.signOn`: NameID in its format
  from its template, its audience, recipient and destination, signatures where it asks for them,
  its attribute statements (GROUP: the user's group names that pass the filter). A user in no
  group assigned to the app is refused on Okta's page, as Okta refuses, and nothing is posted.
- The management side: `GET /api/v1/apps/{id}/credentials/keys[/{kid}]`,
  `POST .../keys/generate?validityYears=N` (a key that signs only once the app's
  `credentials.signing.kid` names it) and the metadata preview for any key,
  `GET /api/v1/apps/{id}/sso/saml/metadata?kid=`.
"""

from __future__ import annotations

import base64
import hashlib

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.common.oidc_issuer import SignInRefused
from sandbox.common.saml_idp import (
    SamlIdp,
    ServiceProvider,
    SigningCredential,
    Subject,
    metadata_document,
)
from sandbox.okta import errors
from sandbox.okta.render import json_answer
from sandbox.okta.saml_apps import USER_EXPRESSIONS, sso_path
from sandbox.okta.signin import OktaSignIn, assigned, filter_passes
from sandbox.okta.store import OktaStore, SamlApp, SamlKey, User

NAME_ID_TEMPLATES = {"${user.userName}": "login", "${user.email}": "email"}


def okta_entity_id(issuer_key: str) -> str:
    return f"http://www.okta.com/{issuer_key}"


class OktaSamlSignIn:
    """The SamlPolicy of one stand-in org; `app_id` in its routes is the app's issuer key."""

    def __init__(self, store: OktaStore) -> None:
        self._store = store
        self._users = OktaSignIn(store)

    def _app(self, issuer_key: str) -> SamlApp | None:
        return next(
            (
                app
                for app in self._store.apps()
                if isinstance(app, SamlApp) and app.issuer_key == issuer_key and app.status == "ACTIVE"
            ),
            None,
        )

    def service_provider(self, app_id: str) -> ServiceProvider | None:
        app = self._app(app_id)
        if app is None:
            return None
        sign_on = app.sign_on
        return ServiceProvider(
            audience=sign_on["audience"],
            acs_url=sign_on["ssoAcsUrl"],
            recipient=sign_on["recipient"],
            destination=sign_on["destination"],
            name_id_format=sign_on["subjectNameIdFormat"],
            sign_assertion=sign_on["assertionSigned"],
            sign_response=sign_on["responseSigned"],
            assertion_lifetime_seconds=int(sign_on.get("samlAssertionLifetimeSeconds") or 300),
        )

    def response_url(self, _app_id: str, sp: ServiceProvider, _requested: str) -> str:
        """The app's single sign-on URL, whatever the request asks: Okta honours another only when
        the app allows requesting other SSO URLs, which ssoprov's apps do not."""
        return sp.acs_url

    def idp_entity_id(self, app_id: str) -> str:
        return okta_entity_id(app_id)

    def sso_path(self, app_id: str) -> str:
        app = self._app(app_id)
        assert app is not None  # only asked after service_provider() found it
        return sso_path(app)

    def signing_credential(self, app_id: str) -> SigningCredential:
        app = self._app(app_id)
        assert app is not None
        return self._store.saml_key(app.id, app.signing_kid).credential

    def authenticate(self, login: str, password: str) -> str | None:
        return self._users.authenticate(login, password)

    def subject(self, app_id: str, user_id: str) -> Subject:
        app = self._app(app_id)
        assert app is not None
        if not assigned(self._store, app.id, user_id):
            raise SignInRefused(
                "access_denied",
                f"Sorry, you can't access {app.label} because you are not assigned this app in Okta.",
            )
        user = self._store.find_user(user_id)
        groups = [group.name for group in self._store.user_groups(user_id)]
        attributes: dict[str, list[str]] = {}
        for statement in app.sign_on["attributeStatements"]:
            if statement["type"] == "GROUP":
                values = [
                    name
                    for name in sorted(groups)
                    if filter_passes(statement["filterType"], statement["filterValue"], name)
                ]
            else:
                values = [getattr(user, USER_EXPRESSIONS[value]) for value in statement["values"]]
            attributes[statement["name"]] = values
        return Subject(_name_id(app, user), attributes)


def _name_id(app: SamlApp, user: User) -> str:
    template = app.sign_on["subjectNameIdTemplate"]
    if template not in NAME_ID_TEMPLATES:
        raise SignInRefused(
            "invalid_request", f"The stand-in cannot evaluate the NameID template {template}."
        )
    return getattr(user, NAME_ID_TEMPLATES[template])


def okta_saml_idp(store: OktaStore) -> SamlIdp:
    return SamlIdp(
        OktaSamlSignIn(store),
        sso_route="/app/{app_name}/{app_id}/sso/saml",
        metadata_route="/app/{app_id}/sso/saml/metadata",
    )


def key_json(key: SamlKey) -> dict:
    credential = key.credential
    numbers = credential.certificate.public_key().public_numbers()  # type: ignore[union-attr]

    def b64url(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    def unsigned(value: int) -> bytes:
        return value.to_bytes((value.bit_length() + 7) // 8, "big")

    der = base64.b64decode(credential.certificate_base64)
    return {
        "created": key.created,
        "lastUpdated": key.created,
        "expiresAt": key.expires_at,
        "x5c": [credential.certificate_base64],
        "e": b64url(unsigned(numbers.e)),
        "n": b64url(unsigned(numbers.n)),
        "kid": key.kid,
        "kty": "RSA",
        "use": "sig",
        "x5t#S256": b64url(hashlib.sha256(der).digest()),
    }


def saml_key_routes(store: OktaStore) -> list[Route]:
    async def list_keys(request: Request) -> Response:
        return json_answer([key_json(key) for key in store.saml_keys(request.path_params["app_id"])])

    async def read_key(request: Request) -> Response:
        return json_answer(
            key_json(store.saml_key(request.path_params["app_id"], request.path_params["kid"]))
        )

    async def generate(request: Request) -> Response:
        try:
            years = int(request.query_params.get("validityYears", ""))
        except ValueError as bad:
            raise errors.validation_failed(
                "generateKey", "validityYears: is required and must be an integer."
            ) from bad
        return json_answer(
            key_json(store.generate_saml_key(request.path_params["app_id"], years)), status=201
        )

    async def preview_metadata(request: Request) -> Response:
        app = store.get_saml_app(request.path_params["app_id"])
        kid = request.query_params.get("kid")
        if not kid:
            raise errors.validation_failed("kid", "kid: The field cannot be left blank.")
        key = store.saml_key(app.id, kid)
        sso_url = str(request.base_url).rstrip("/") + sso_path(app)
        document = metadata_document(okta_entity_id(app.issuer_key), sso_url, [key.credential])
        return Response(document, media_type="text/xml")

    base = "/api/v1/apps/{app_id}"
    return [
        Route(f"{base}/credentials/keys", list_keys, methods=["GET"]),
        Route(f"{base}/credentials/keys/generate", generate, methods=["POST"]),
        Route(f"{base}/credentials/keys/{{kid}}", read_key, methods=["GET"]),
        Route(f"{base}/sso/saml/metadata", preview_metadata, methods=["GET"]),
    ]
