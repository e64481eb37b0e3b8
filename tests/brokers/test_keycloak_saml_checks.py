"""The sandbox's SAML responses against the real Keycloak: signature compatibility first.

A SAML identity provider is made by hand in a broker realm, configured from the stand-in IdP's
metadata document by Keycloak's own `import-config`. A sign-in through it proves Keycloak
accepts what `sandbox.common.saml_idp` signs (RSA-SHA256, SHA-256, exclusive c14n, KeyInfo);
the refusals prove the checks are Keycloak's: the stand-in is told to emit a response signed by
another key, for another audience, or expired, and Keycloak must refuse it on its own, with its
reason in its log (the login event's error and, for the conditions, its SAML validator).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from starlette.applications import Starlette

from sandbox.common.oidc_issuer import SANDBOX_USER_PASSWORD, SignInRefused
from sandbox.common.saml_idp import (
    EMAIL_NAME_ID,
    SamlIdp,
    ServiceProvider,
    SigningCredential,
    Subject,
    Tampering,
)
from sandbox.common.server import ServedApp
from sandbox.keycloak import KeycloakServer
from ssoprov.verify_login import verify_login
from tests.brokers.conftest import AdminHttp
from tests.brokers.keycloak_realms import create_broker_realm

ALIAS = "saml-probe"
MEMBERS = {"ada@customer.example": ["engineering"], "bob@customer.example": []}


@dataclass
class _OneAppPolicy:
    """A SAML IdP with one app and two users; `bob` is not assigned to the app."""

    service: ServiceProvider
    credential: SigningCredential

    def service_provider(self, app_id: str) -> ServiceProvider | None:
        return self.service if app_id == "probe" else None

    def idp_entity_id(self, app_id: str) -> str:
        return f"http://idp.example/{app_id}"

    def sso_path(self, app_id: str) -> str:
        return f"/sso/{app_id}"

    def signing_credential(self, app_id: str) -> SigningCredential:
        return self.credential

    def authenticate(self, login: str, password: str) -> str | None:
        return login if login in MEMBERS and password == SANDBOX_USER_PASSWORD else None

    def response_url(self, _app_id: str, sp: ServiceProvider, _requested: str) -> str:
        return sp.acs_url

    def subject(self, app_id: str, user_id: str) -> Subject:
        if not MEMBERS[user_id]:
            raise SignInRefused("access_denied", "User is not assigned to this application.")
        first = user_id.split("@")[0].title()
        attributes = {"firstName": [first], "lastName": ["Example"], "groups": MEMBERS[user_id]}
        return Subject(user_id, attributes)


@dataclass
class _Setup:
    realm: str
    idp: SamlIdp


@pytest.fixture(scope="module")
def saml_setup(keycloak: KeycloakServer, admin_http: AdminHttp) -> Iterator[_Setup]:
    realm = create_broker_realm(admin_http)
    admin_http.call("POST", f"/{realm}/roles", json={"name": "engineer"})
    endpoint = f"{keycloak.url}/realms/{realm}/broker/{ALIAS}/endpoint"
    sp = ServiceProvider(
        audience=f"{endpoint}/descriptor",
        acs_url=endpoint,
        recipient=endpoint,
        destination=endpoint,
        name_id_format=EMAIL_NAME_ID,
    )
    idp = SamlIdp(
        _OneAppPolicy(sp, SigningCredential.generate("probe")),
        sso_route="/sso/{app_id}",
        metadata_route="/metadata/{app_id}",
    )
    with ServedApp(Starlette(routes=idp.routes())) as served:
        idp.base_url = served.url
        imported = admin_http.call(
            "POST",
            f"/{realm}/identity-provider/import-config",
            json={"providerId": "saml", "fromUrl": f"{served.url}/metadata/probe"},
        ).json()
        config = {
            **imported,
            "entityId": sp.audience,
            "principalType": "SUBJECT",
            "postBindingAuthnRequest": "false",  # the Redirect binding
            "postBindingResponse": "true",
            "validateSignature": "true",
            "wantAssertionsSigned": "true",
            "syncMode": "FORCE",
        }
        admin_http.call(
            "POST",
            f"/{realm}/identity-provider/instances",
            json={
                "alias": ALIAS,
                "providerId": "saml",
                "enabled": True,
                "trustEmail": True,
                "config": config,
            },
        )
        for attribute in ("firstName", "lastName"):
            _add_mapper(
                admin_http,
                realm,
                "saml-user-attribute-idp-mapper",
                {"attribute.name": attribute, "user.attribute": attribute, "syncMode": "INHERIT"},
            )
        _add_mapper(
            admin_http,
            realm,
            "saml-role-idp-mapper",
            {
                "attribute.name": "groups",
                "attribute.value": "engineering",
                "role": "engineer",
                "syncMode": "INHERIT",
            },
        )
        yield _Setup(realm, idp)


def _add_mapper(admin: AdminHttp, realm: str, kind: str, config: dict[str, str]) -> None:
    admin.call(
        "POST",
        f"/{realm}/identity-provider/instances/{ALIAS}/mappers",
        json={
            "name": f"{kind}-{secrets.token_hex(2)}",
            "identityProviderAlias": ALIAS,
            "identityProviderMapper": kind,
            "config": config,
        },
    )


@pytest.fixture
def setup(saml_setup: _Setup) -> Iterator[_Setup]:
    saml_setup.idp.tampering = Tampering()
    yield saml_setup
    saml_setup.idp.tampering = Tampering()


def _sign_in(keycloak: KeycloakServer, setup: _Setup, login: str = "ada@customer.example"):
    return verify_login(keycloak.url, setup.realm, ALIAS, login=login, password=SANDBOX_USER_PASSWORD)


def test_keycloak_accepts_the_signed_response_and_maps_the_group(
    keycloak: KeycloakServer, setup: _Setup
) -> None:
    report = _sign_in(keycloak, setup)

    assert report.signed_in, report.detail
    assert report.email == "ada@customer.example"
    assert report.claims["given_name"] == "Ada"
    assert "engineer" in report.roles


def test_an_unassigned_user_stops_at_the_idp_with_its_reason(keycloak: KeycloakServer, setup: _Setup) -> None:
    report = _sign_in(keycloak, setup, "bob@customer.example")

    assert not report.signed_in
    assert "User is not assigned to this application." in report.detail


@pytest.mark.parametrize(
    ("tampering", "keycloak_error", "validator_says"),
    [
        (Tampering(sign_with=SigningCredential.generate("intruder")), "invalid_signature", None),
        (
            Tampering(audience="https://another-sp.example/"),
            "invalid_saml_response",
            "is not addressed to this SP",
        ),
        (Tampering(expired=True), "invalid_saml_response", "expired"),
    ],
    ids=["wrong-key", "wrong-audience", "expired"],
)
def test_keycloak_refuses_a_response_it_must_not_trust(
    keycloak: KeycloakServer,
    setup: _Setup,
    tampering: Tampering,
    keycloak_error: str,
    validator_says: str | None,
) -> None:
    """Keycloak's reason is read from its own log: the event it logs for the refused login
    (`error=`) and, for the assertion's conditions, what its SAML validator said."""
    setup.idp.tampering = tampering
    log_size = keycloak.log_path.stat().st_size

    report = _sign_in(keycloak, setup)

    with open(keycloak.log_path, errors="replace") as log:
        log.seek(log_size)
        logged = log.read().splitlines()
    events = [line for line in logged if f'realmName="{setup.realm}"' in line and "error=" in line]
    validator = [line for line in logged if "org.keycloak.saml.validators" in line]
    assert not report.signed_in
    assert any(f'error="{keycloak_error}"' in line for line in events), (report.detail, events)
    if validator_says:
        assert any(validator_says in line for line in validator), validator
