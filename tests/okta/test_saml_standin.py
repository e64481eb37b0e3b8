"""The Okta stand-in's SAML 2.0 apps: the management API held to Okta's OpenAPI document, and the
sign-in an SP gets from such an app (its signed response, its refusal of an unassigned user)."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import httpx
import pytest
from lxml import etree
from signxml import XMLVerifier

from sandbox.common.server import ServedApp
from sandbox.okta.app import build_okta_standin
from tests.okta.conftest import OktaSandbox, assert_conforms
from tests.okta.contract import ContractRecorder, OktaContract
from tests.support.saml_browser import SAML, attributes, posted, sign_in, sso_url

ACS = "https://broker.example/realms/acme/broker/okta-saml/endpoint"
SP_ENTITY = ACS + "/descriptor"

SAML_APP = {
    "label": "Acme SAML",
    "signOnMode": "SAML_2_0",
    "settings": {
        "signOn": {
            "ssoAcsUrl": ACS,
            "audience": SP_ENTITY,
            "recipient": ACS,
            "destination": ACS,
            "subjectNameIdTemplate": "${user.email}",
            "subjectNameIdFormat": "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
            "responseSigned": True,
            "assertionSigned": True,
            "signatureAlgorithm": "RSA_SHA256",
            "digestAlgorithm": "SHA256",
            "attributeStatements": [
                {"type": "EXPRESSION", "name": "firstName", "values": ["user.firstName"]},
                {"type": "GROUP", "name": "groups", "filterType": "STARTS_WITH", "filterValue": "Eng"},
            ],
        }
    },
}


@pytest.fixture
def recorded_okta() -> Iterator[tuple[OktaSandbox, ContractRecorder]]:
    stand_in = build_okta_standin()
    recorder = ContractRecorder(stand_in.app)
    with ServedApp(recorder) as served:
        yield OktaSandbox(stand_in, served.url), recorder


def _group_id(http: httpx.Client, name: str) -> str:
    return next(
        g["id"] for g in http.get("/api/v1/groups", params={"q": name}).json() if g["profile"]["name"] == name
    )


def test_a_saml_app_its_keys_and_metadata_answer_within_okta_s_contract(
    recorded_okta: tuple[OktaSandbox, ContractRecorder], okta_contract: OktaContract | None
) -> None:
    okta, recorder = recorded_okta
    with okta.http() as http:
        app = http.post("/api/v1/apps", json=SAML_APP).json()
        http.put(f"/api/v1/apps/{app['id']}/groups/{_group_id(http, 'Engineering')}", json={})
        [first] = http.get(f"/api/v1/apps/{app['id']}/credentials/keys").json()
        staged = http.post(f"/api/v1/apps/{app['id']}/credentials/keys/generate", params={"validityYears": 2})
        refused = http.post(
            f"/api/v1/apps/{app['id']}/credentials/keys/generate", params={"validityYears": 1}
        )
        preview = http.get(
            f"/api/v1/apps/{app['id']}/sso/saml/metadata", params={"kid": staged.json()["kid"]}
        )
        http.get(f"/api/v1/apps/{app['id']}/credentials/keys/{first['kid']}")
        listed = http.get("/api/v1/apps").json()
        put = http.put(
            f"/api/v1/apps/{app['id']}",
            json={**app, "credentials": {"signing": {"kid": staged.json()["kid"]}}},
        )

    assert app["signOnMode"] == "SAML_2_0" and app["credentials"]["signing"]["kid"] == first["kid"]
    assert app["settings"]["signOn"]["audience"] == SP_ENTITY
    assert app["_links"]["metadata"]["href"].endswith(f"/api/v1/apps/{app['id']}/sso/saml/metadata")
    assert staged.status_code == 201 and staged.json()["kid"] != first["kid"]
    assert refused.status_code == 400
    assert (
        refused.json()["errorCauses"][0]["errorSummary"]
        == "Validity years out of range. It should be 2 - 10 years."
    )
    certificate = etree.fromstring(preview.content).findtext(
        ".//{http://www.w3.org/2000/09/xmldsig#}X509Certificate"
    )
    assert certificate == staged.json()["x5c"][0]
    assert [a["id"] for a in listed] == [app["id"]]
    assert put.status_code == 200 and put.json()["credentials"]["signing"]["kid"] == staged.json()["kid"]
    assert_conforms(okta_contract, recorder.exchanges)


def test_a_saml_sign_in_is_signed_by_the_app_s_key_and_follows_its_settings(
    okta_sandbox: OktaSandbox,
) -> None:
    with okta_sandbox.http() as http:
        app = http.post("/api/v1/apps", json=SAML_APP).json()
        http.put(f"/api/v1/apps/{app['id']}/groups/{_group_id(http, 'Engineering')}", json={})
        [key] = http.get(f"/api/v1/apps/{app['id']}/credentials/keys").json()
        metadata = http.get(f"/api/v1/apps/{app['id']}/sso/saml/metadata", params={"kid": key["kid"]}).content
    issuer_key = sso_url(metadata).split("/")[-3]
    public_metadata = httpx.get(f"{okta_sandbox.url}/app/{issuer_key}/sso/saml/metadata")
    assert public_metadata.status_code == 200 and public_metadata.content.startswith(b"<?xml")

    action, fields = posted(sign_in(sso_url(metadata), "bob@acme.example", issuer=SP_ENTITY, acs_url=ACS))

    assert action == ACS and fields["RelayState"] == "state-1"
    document = base64.b64decode(fields["SAMLResponse"])
    certificate = f"-----BEGIN CERTIFICATE-----\n{key['x5c'][0]}\n-----END CERTIFICATE-----\n"
    verified = XMLVerifier().verify(document, x509_cert=certificate, expect_references=1)
    response = etree.fromstring(document)
    assert response.get("Destination") == ACS and response.get("InResponseTo") == "idReq1"
    assertion = response.find("saml:Assertion", SAML)
    XMLVerifier().verify(etree.tostring(assertion), x509_cert=certificate)
    name_id = assertion.find(".//saml:NameID", SAML)
    assert (name_id.text, name_id.get("Format")) == (
        "bob@acme.example",
        SAML_APP["settings"]["signOn"]["subjectNameIdFormat"],
    )
    assert assertion.findtext(".//saml:Audience", namespaces=SAML) == SP_ENTITY
    confirmation = assertion.find(".//saml:SubjectConfirmationData", SAML)
    assert confirmation.get("Recipient") == ACS and confirmation.get("InResponseTo") == "idReq1"
    assert attributes(assertion) == {"firstName": ["Bob"], "groups": ["Engineering"]}
    assert verified.signed_xml is not None


def test_an_unassigned_user_is_refused_on_okta_s_page(okta_sandbox: OktaSandbox) -> None:
    with okta_sandbox.http() as http:
        app = http.post("/api/v1/apps", json=SAML_APP).json()
        http.put(f"/api/v1/apps/{app['id']}/groups/{_group_id(http, 'Engineering')}", json={})
        [key] = http.get(f"/api/v1/apps/{app['id']}/credentials/keys").json()
        metadata = http.get(f"/api/v1/apps/{app['id']}/sso/saml/metadata", params={"kid": key["kid"]}).content

    answer = sign_in(sso_url(metadata), "carol@acme.example", issuer=SP_ENTITY, acs_url=ACS)

    assert answer.status_code == 403 and "SAMLResponse" not in answer.text
    assert "you are not assigned this app in Okta" in answer.text
