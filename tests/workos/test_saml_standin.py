"""The WorkOS stand-in's SAML side through the real workos SDK: a connection made as the dashboard
makes it, configured from an Okta SAML app's metadata by PATCH (or made configured by a create with
saml_options: the metadata URL or the manual IdP fields), its IdP signing certificates
listed, added and deleted in the SDK's models, and sign-ins through it: the profile's groups from
the mapped attribute, and refusals of an assertion signed by an untrusted key, for another
audience, or expired."""

from __future__ import annotations

import base64
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import workos
from lxml import etree
from workos import WorkOSClient
from workos.sso._resource import CreateProtocolOptionsSAML, PatchProtocolOptionsSAML
from workos.sso.models import Connection as SdkConnection
from workos.sso.models import (
    CreateConnectionKeyPair,
    CreateConnectionSAMLOptions,
    PatchConnectionSAMLOptions,
)

from sandbox.common.oidc_issuer import SANDBOX_USER_PASSWORD
from sandbox.common.saml_idp import SigningCredential, Tampering
from sandbox.common.server import ServedApp
from sandbox.okta.app import OktaStandIn, build_okta_standin
from sandbox.okta.store import SamlApp
from sandbox.workos import GLOBEX, INITECH, build_workos_standin
from sandbox.workos.app import WorkosStandIn
from sandbox.workos.store import Connection
from ssoprov.brokers.workos.verify_login import verify_workos_login
from ssoprov.verify_login import LoginReport
from tests.support.workos_app import APP_REDIRECT_URI, workos_app

API_KEY = "sk_test_saml_standin"
SAML = {"samlp": "urn:oasis:names:tc:SAML:2.0:protocol", "saml": "urn:oasis:names:tc:SAML:2.0:assertion"}


@dataclass
class Setup:
    workos: WorkosStandIn
    workos_url: str
    okta: OktaStandIn
    okta_url: str
    app: SamlApp
    connection: Connection
    sdk: WorkOSClient

    def sign_in(self, login: str = "alice@acme.example") -> LoginReport:
        app = workos_app(self.workos_url, API_KEY, self.workos.client_id)
        return verify_workos_login(app, self.connection.id, login=login, password=SANDBOX_USER_PASSWORD)


def _okta_app(okta: OktaStandIn, acs: str, audience: str) -> SamlApp:
    """An Okta SAML app for a connection's ACS URL and SP entity ID, assigned the Engineering group,
    its groups attribute `memberOf`."""
    app = okta.store.create_saml_app(
        label="Initech",
        activate=True,
        sign_on={
            "ssoAcsUrl": acs,
            "audience": audience,
            "recipient": acs,
            "destination": acs,
            "subjectNameIdTemplate": "${user.email}",
            "subjectNameIdFormat": "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
            "responseSigned": True,
            "assertionSigned": True,
            "signatureAlgorithm": "RSA_SHA256",
            "digestAlgorithm": "SHA256",
            "attributeStatements": [
                {"type": "EXPRESSION", "name": "email", "values": ["user.email"]},
                {"type": "GROUP", "name": "memberOf", "filterType": "REGEX", "filterValue": ".*"},
            ],
        },
    )
    [engineering] = [g for g in okta.store.groups() if g.name == "Engineering"]
    okta.store.assign_group(app.id, engineering.id, None, None)
    return app


@pytest.fixture(scope="module")
def setup() -> Iterator[Setup]:
    stand_in = build_workos_standin(api_keys=[API_KEY])
    stand_in.store.redirect_uris.add(APP_REDIRECT_URI)
    okta = build_okta_standin()
    with ServedApp(stand_in.app) as served, ServedApp(okta.app) as okta_served:
        connection = stand_in.store.add_saml_connection(INITECH.id, served.url)
        assert connection.saml is not None
        app = _okta_app(okta, connection.saml.acs_url, connection.saml.sp_entity_id)
        sdk = WorkOSClient(api_key=API_KEY, client_id=stand_in.client_id, base_url=served.url, max_retries=0)
        patched = sdk.sso.update_connection(
            connection.id,
            attribute_maps=_Groups("memberOf"),
            protocol_options=PatchProtocolOptionsSAML(
                saml_options=PatchConnectionSAMLOptions(
                    idp_metadata_url=f"{okta_served.url}/app/{app.issuer_key}/sso/saml/metadata",
                    acs_url=connection.saml.acs_url,
                    sp_entity_id=connection.saml.sp_entity_id,
                )
            ),
        )
        assert patched.id == connection.id and patched.state == "active"
        yield Setup(stand_in, served.url, okta, okta_served.url, app, connection, sdk)


@dataclass(frozen=True)
class _Groups:
    attribute: str
    email: str | None = None
    custom: dict | None = None

    def to_dict(self) -> dict:
        email = {} if self.email is None else {"email": self.email}
        custom = {} if self.custom is None else {"custom_attributes": self.custom}
        return {"standard_attributes": {"groups": self.attribute, **email}, **custom}


def _create(setup: Setup, external_id: str, **options: object) -> SdkConnection:
    return setup.sdk.sso.create_connection(
        organization_id=INITECH.id,
        external_id=external_id,
        attribute_maps=_Groups("memberOf", custom={"mail": "email"}),
        protocol_options=CreateProtocolOptionsSAML(saml_options=CreateConnectionSAMLOptions(**options)),
    )


def test_a_saml_connection_created_from_the_idps_metadata_signs_users_in_with_custom_attributes(
    setup: Setup,
) -> None:
    acs = f"{setup.workos_url}/sso/saml/acs/initech-by-api"
    audience = "https://initech.example/saml"
    app = _okta_app(setup.okta, acs, audience)
    metadata_url = f"{setup.okta_url}/app/{app.issuer_key}/sso/saml/metadata"

    made = _create(setup, "initech-saml", idp_metadata_url=metadata_url, acs_url=acs, sp_entity_id=audience)
    again = _create(setup, "initech-saml", idp_metadata_url=metadata_url)  # its external_id: the same one

    assert (made.connection_type, made.state, again.id) == ("GenericSAML", "active", made.id)
    [certificate] = setup.sdk.sso.list_connection_saml_idp_signing_certs(made.id).data
    assert certificate.value == setup.okta.store.saml_key(app.id, app.signing_kid).credential.certificate_pem
    login = workos_app(setup.workos_url, API_KEY, setup.workos.client_id)
    report = verify_workos_login(login, made.id, login="alice@acme.example", password=SANDBOX_USER_PASSWORD)
    assert report.signed_in, report.detail
    assert "Engineering" in report.claims["groups"]
    assert report.claims["custom_attributes"] == {"mail": "alice@acme.example"}
    setup.sdk.sso.update_connection(made.id, attribute_maps=_Groups("memberOf", custom={"mail": None}))
    stored = setup.workos.store.connection(made.id)
    assert stored is not None and stored.custom_attribute_map == {}


def test_a_saml_connection_created_with_the_manual_fields_keeps_them(setup: Setup) -> None:
    pem = SigningCredential.generate("manual idp").certificate_pem
    made = setup.sdk.sso.create_connection(
        organization_id=INITECH.id,
        connection_type="AzureSAML",
        attribute_maps=_Groups("groups", email="mail"),
        protocol_options=CreateProtocolOptionsSAML(
            saml_options=CreateConnectionSAMLOptions(
                idp_entity_id="https://sts.windows.net/t/",
                idp_sso_url="https://login.microsoftonline.com/t/saml2",
                idp_signing_certs=[pem],
            )
        ),
    )

    assert (made.connection_type, made.state) == ("AzureSAML", "active")
    assert [c.value for c in setup.sdk.sso.list_connection_saml_idp_signing_certs(made.id).data] == [pem]
    stored = setup.workos.store.connection(made.id)
    assert stored is not None and stored.attribute_map == {"email": "mail"}
    options = stored.saml
    assert options is not None and options.acs_url == options.standard_acs_url
    assert options.acs_url.startswith(f"{setup.workos_url}/sso/saml/acs/")


@pytest.mark.parametrize(
    ("options", "code"),
    [
        ({"idp_sso_url": "https://idp.example/sso"}, "invalid_request_parameters"),
        (
            {"idp_metadata_url": "https://idp.example/md", "idp_sso_url": "https://idp.example/sso"},
            "idp_metadata_url_and_manual_fields_provided",
        ),
        (
            {"idp_sso_url": "https://idp.example/sso", "idp_signing_certs": ["not a certificate"]},
            "invalid_certificate",
        ),
        (
            {
                "idp_metadata_url": "https://idp.example/md",
                "sp_signing_key_pair": CreateConnectionKeyPair(key="k", cert="c"),
            },
            "customer_key_pairs_not_supported",
        ),
    ],
    ids=["manual-without-certificates", "metadata-and-manual", "bad-certificate", "customer-key-pair"],
)
def test_a_saml_create_the_stand_in_cannot_honour_is_refused(setup: Setup, options: dict, code: str) -> None:
    before = len(setup.workos.store.connections)
    with pytest.raises(workos.UnprocessableEntityError) as refused:
        _create(setup, f"refused-{code}", **options)
    assert refused.value.code == code
    assert len(setup.workos.store.connections) == before


def test_the_metadata_patch_imports_the_idps_signing_certificate_and_sso_url(setup: Setup) -> None:
    [certificate] = setup.sdk.sso.list_connection_saml_idp_signing_certs(setup.connection.id).data
    signing = setup.okta.store.saml_key(setup.app.id, setup.app.signing_kid).credential
    assert certificate.value == signing.certificate_pem
    assert certificate.not_after is not None and certificate.not_after.date() == (
        signing.certificate.not_valid_after_utc.date()
    )
    assert certificate.id.startswith("cert_")
    assert setup.connection.saml is not None
    assert setup.connection.saml.idp_sso_url and setup.app.issuer_key in setup.connection.saml.idp_sso_url


def test_certificates_are_added_oldest_first_deleted_but_never_the_last(setup: Setup) -> None:
    conn = setup.connection.id
    extra = SigningCredential.generate("rollover").certificate_pem
    created = setup.sdk.sso.create_connection_saml_idp_signing_cert(conn, value=extra)
    listed = setup.sdk.sso.list_connection_saml_idp_signing_certs(conn).data
    assert [c.id for c in listed][-1] == created.id and created.value == extra
    setup.sdk.sso.delete_connection_saml_idp_signing_cert(conn, created.id)
    [last] = setup.sdk.sso.list_connection_saml_idp_signing_certs(conn).data

    with pytest.raises(workos.BadRequestError) as refused:
        setup.sdk.sso.delete_connection_saml_idp_signing_cert(conn, last.id)
    assert refused.value.code == "last_idp_signing_certificate"
    with pytest.raises(workos.UnprocessableEntityError) as bad:
        setup.sdk.sso.create_connection_saml_idp_signing_cert(conn, value="not a certificate")
    assert bad.value.code == "invalid_certificate"
    with pytest.raises(workos.NotFoundError):
        setup.sdk.sso.delete_connection_saml_idp_signing_cert(conn, "cert_01MISSING")


def test_authorize_sends_an_authn_request_for_the_connections_sp_to_the_idp(setup: Setup) -> None:
    url = setup.sdk.sso.get_authorization_url(
        redirect_uri=APP_REDIRECT_URI, connection=setup.connection.id, state="s"
    )
    to_idp = httpx.get(url)

    assert to_idp.status_code == 302
    location = to_idp.headers["location"]
    assert setup.connection.saml is not None and location.startswith(setup.connection.saml.idp_sso_url + "?")
    encoded = parse_qs(urlsplit(location).query)["SAMLRequest"][0]
    request = etree.fromstring(zlib.decompress(base64.b64decode(encoded), -15))
    assert request.get("AssertionConsumerServiceURL") == setup.connection.saml.acs_url
    assert request.findtext("saml:Issuer", namespaces=SAML) == setup.connection.saml.sp_entity_id


def test_a_sign_in_gets_the_profile_with_the_groups_of_the_mapped_attribute(setup: Setup) -> None:
    report = setup.sign_in()

    assert report.signed_in, report.detail
    assert "Engineering" in report.claims["groups"] and "Sales" not in report.claims["groups"]
    assert report.email == "alice@acme.example" and report.claims["idp_id"] == "alice@acme.example"
    assert report.claims["connection_type"] == "OktaSAML"


@pytest.mark.parametrize(
    ("tampering", "error"),
    [
        (Tampering(sign_with=SigningCredential.generate("attacker")), "saml_signature_invalid"),
        (Tampering(audience="https://another-sp.example"), "saml_assertion_invalid"),
        (Tampering(expired=True), "saml_assertion_invalid"),
    ],
    ids=["untrusted-key", "wrong-audience", "expired"],
)
def test_workos_refuses_a_bad_assertion_and_tells_the_app_why(
    setup: Setup, tampering: Tampering, error: str
) -> None:
    setup.okta.saml_idp.tampering = tampering
    try:
        report = setup.sign_in()
    finally:
        setup.okta.saml_idp.tampering = Tampering()

    assert not report.signed_in
    assert f"WorkOS refused: {error}: " in report.detail, report.detail


def test_connections_page_forward_and_back_by_their_cursors(setup: Setup) -> None:
    pem = SigningCredential.generate("paging idp").certificate_pem
    made = [
        setup.sdk.sso.create_connection(
            organization_id=GLOBEX.id,
            name=f"Globex {n}",
            protocol_options=CreateProtocolOptionsSAML(
                saml_options=CreateConnectionSAMLOptions(
                    idp_sso_url="https://idp.example/sso", idp_signing_certs=[pem]
                )
            ),
        ).id
        for n in range(3)
    ]

    def page(**cursor: str) -> tuple[list[str], str | None, str | None]:
        found = setup.sdk.sso.list_connections(organization_id=GLOBEX.id, limit=2, order="asc", **cursor)
        return [c.id for c in found.data], found.before, found.after

    assert page() == (made[:2], None, made[1])
    assert page(after=made[1]) == (made[2:], made[2], None)
    assert page(before=made[2]) == (made[:2], None, made[1])
    with pytest.raises(workos.UnprocessableEntityError):
        setup.sdk.sso.list_connections(domain="globex.example")  # no domains here: refused, not ignored
