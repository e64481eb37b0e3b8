"""KeycloakSamlIdentityProvider's provider (and SAML mappers) against the session's Keycloak and an
Okta stand-in SAML app, called in-process: a sign-in through it gets the mapped and default roles,
an unchanged spec diffs to nothing, a staged certificate is trusted beside the signing one, and
delete removes the provider."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sandbox.common.oidc_issuer import SANDBOX_USER_PASSWORD
from sandbox.common.server import ServedApp
from sandbox.keycloak import KeycloakServer
from sandbox.okta.app import OktaStandIn, build_okta_standin
from sandbox.okta.saml_apps import public_metadata_path
from ssoprov.brokers.keycloak.mapper import (
    DEFAULT_ROLE_MAPPER,
    SAML_ATTRIBUTE_MAPPER,
    SAML_ROLE_MAPPER,
    _KeycloakIdpMapperProvider,
    default_role_config,
    saml_role_mapping_config,
    saml_user_attribute_config,
)
from ssoprov.brokers.keycloak.saml_identity_provider import (
    _KeycloakSamlIdentityProviderProvider,
    service_provider,
)
from ssoprov.verify_login import verify_login
from tests.brokers.conftest import AdminHttp
from tests.brokers.keycloak_realms import create_broker_realm

ALIAS = "globex-saml"
EMAIL_FORMAT = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"

pytestmark = pytest.mark.usefixtures("keycloak_admin_env")


@pytest.fixture
def okta() -> Iterator[tuple[OktaStandIn, str]]:
    stand_in = build_okta_standin()
    with ServedApp(stand_in.app) as served:
        yield stand_in, served.url


def _saml_app(stand_in: OktaStandIn, url: str, keycloak: KeycloakServer, realm: str) -> dict[str, Any]:
    entity_id, acs = service_provider(keycloak.url, realm, ALIAS)
    app = {
        "label": "Globex SAML",
        "signOnMode": "SAML_2_0",
        "settings": {
            "signOn": {
                "ssoAcsUrl": acs,
                "audience": entity_id,
                "subjectNameIdTemplate": "${user.email}",
                "subjectNameIdFormat": EMAIL_FORMAT,
                "attributeStatements": [
                    {"type": "EXPRESSION", "name": "firstName", "values": ["user.firstName"]},
                    {"type": "EXPRESSION", "name": "lastName", "values": ["user.lastName"]},
                    {"type": "GROUP", "name": "groups", "filterType": "REGEX", "filterValue": ".*"},
                ],
            }
        },
    }
    with httpx.Client(base_url=url, headers={"Authorization": f"SSWS {stand_in.auth.api_token}"}) as http:
        created = http.post("/api/v1/apps", json=app).json()
        engineering = next(g for g in stand_in.store.groups() if g.name == "Engineering")
        http.put(f"/api/v1/apps/{created['id']}/groups/{engineering.id}", json={})
    return created


def _props(
    keycloak: KeycloakServer, realm: str, metadata_url: str, certificates: list[str]
) -> dict[str, Any]:
    return {
        "url": keycloak.url,
        "realm": realm,
        "alias": ALIAS,
        "display_name": "Globex",
        "metadata_url": metadata_url,
        "signing_certificates": certificates,
        "name_id_format": EMAIL_FORMAT,
        "sync_mode": "FORCE",
    }


def _mapper(keycloak: KeycloakServer, realm: str, name: str, kind: str, config: dict[str, Any]) -> None:
    _KeycloakIdpMapperProvider().create(
        {
            "url": keycloak.url,
            "realm": realm,
            "alias": ALIAS,
            "name": name,
            "mapper_type": kind,
            "config": config,
        }
    )


def test_a_saml_provider_from_okta_s_metadata_signs_users_in_with_their_roles(
    keycloak: KeycloakServer, admin_http: AdminHttp, okta: tuple[OktaStandIn, str]
) -> None:
    stand_in, okta_url = okta
    realm = create_broker_realm(admin_http)
    for role in ("developer", "member"):
        admin_http.call("POST", f"/{realm}/roles", json={"name": role})
    app = _saml_app(stand_in, okta_url, keycloak, realm)
    signing = stand_in.store.saml_key(app["id"], app["credentials"]["signing"]["kid"])
    metadata_url = okta_url + public_metadata_path(stand_in.store.get_saml_app(app["id"]))
    provider = _KeycloakSamlIdentityProviderProvider()
    props = _props(keycloak, realm, metadata_url, [signing.credential.certificate_base64])

    created = provider.create(props)
    _mapper(
        keycloak,
        realm,
        "engineering",
        SAML_ROLE_MAPPER,
        saml_role_mapping_config("groups", "Engineering", "developer"),
    )
    _mapper(keycloak, realm, "default", DEFAULT_ROLE_MAPPER, default_role_config("member"))
    for attribute in ("firstName", "lastName"):
        _mapper(
            keycloak,
            realm,
            attribute,
            SAML_ATTRIBUTE_MAPPER,
            saml_user_attribute_config(attribute, attribute),
        )
    report = verify_login(
        keycloak.url, realm, ALIAS, login="bob@acme.example", password=SANDBOX_USER_PASSWORD
    )
    refused = verify_login(
        keycloak.url, realm, ALIAS, login="carol@acme.example", password=SANDBOX_USER_PASSWORD
    )

    assert report.signed_in, report.detail
    assert {"developer", "member"} <= set(report.roles) and report.email == "bob@acme.example"
    assert not refused.signed_in and "you are not assigned this app in Okta" in refused.detail
    held = admin_http.get(f"/{realm}/identity-provider/instances/{ALIAS}")
    assert (
        held["config"]["idpEntityId"]
        == f"http://www.okta.com/{stand_in.store.get_saml_app(app['id']).issuer_key}"
    )
    assert held["config"]["entityId"] == created.outs["service_provider_entity_id"]
    assert held["config"]["validateSignature"] == held["config"]["wantAssertionsSigned"] == "true"

    read = provider.read(ALIAS, created.outs)
    assert not provider.diff(ALIAS, read.outs, props).changes

    staged = stand_in.store.generate_saml_key(app["id"], 2).credential.certificate_base64
    both = {**props, "signing_certificates": [signing.credential.certificate_base64, staged]}
    assert provider.diff(ALIAS, read.outs, both).changes
    provider.update(ALIAS, read.outs, both)
    trusted = admin_http.get(f"/{realm}/identity-provider/instances/{ALIAS}")["config"]["signingCertificate"]
    assert trusted.split(",") == both["signing_certificates"]
    assert verify_login(
        keycloak.url, realm, ALIAS, login="alice@acme.example", password=SANDBOX_USER_PASSWORD
    ).signed_in

    provider.delete(ALIAS, created.outs)
    assert provider.read(ALIAS, created.outs).id is None  # gone
