"""The Graph stand-in's non-gallery SAML apps: instantiate and addTokenSigningCertificate held to
msgraph-sdk's models through GraphClient, and Entra as the SAML IdP an SP then meets (its federation
metadata, its signed assertion with Entra's attribute names, its refusals)."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import httpx
from cryptography import x509
from lxml import etree
from signxml import XMLVerifier

from sandbox.graph.saml_signin import GROUPS_ATTRIBUTE
from sandbox.graph.seed import CONTOSO
from tests.entra.conftest import ServedGraph
from tests.support.graph_contract import contract_violations
from tests.support.saml_browser import SAML, attributes, posted, sign_in, sso_url

ACS = "https://broker.example/realms/acme/broker/acme/endpoint"
SP_ENTITY = ACS + "/descriptor"
TENANT = CONTOSO.tenant_id
CLAIMS = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims"
UNKNOWN_TEMPLATE = "00000000-0000-0000-0000-000000000001"


def _saml_app(graph: ServedGraph, groups: str | None = "ApplicationGroup") -> dict[str, Any]:
    """A SAML app made as ssoprov makes one, Engineering assigned; its ids and certificate."""
    client = graph.client()

    async def make() -> dict[str, Any]:
        application, principal = await client.instantiate_non_gallery_app("Acme SAML")
        await client.update_application(
            application["object_id"],
            {"identifier_uris": [SP_ENTITY], "redirect_uris": [ACS], "group_membership_claims": groups},
        )
        certificate = await client.add_token_signing_certificate(principal["object_id"], "CN=Acme SAML SSO")
        await client.update_service_principal(
            principal["object_id"], assignment_required=True, single_sign_on_mode="saml"
        )
        await client.prefer_token_signing_certificate(principal["object_id"], certificate.kid)
        engineering = await client.resolve_group("Engineering")
        await client.assign(principal["object_id"], engineering)
        return {
            "application": application,
            "principal": await client.get_service_principal(principal["object_id"]),
            "signing": await client.list_token_signing_certificates(principal["object_id"]),
            "certificate": certificate,
            "engineering": engineering,
        }

    return asyncio.run(make())


def _metadata(graph: ServedGraph, app_id: str) -> httpx.Response:
    path = f"/{TENANT}/federationmetadata/2007-06/federationmetadata.xml"
    return httpx.get(f"{graph.url}{path}", params={"appid": app_id}, timeout=10)


def test_instantiate_and_the_token_signing_certificate_answer_within_msgraph_s_models(
    graph: ServedGraph,
) -> None:
    made = _saml_app(graph)

    application, principal, certificate = made["application"], made["principal"], made["certificate"]
    stored = graph.standin.store.stored_application(application["object_id"])
    assert stored["applicationTemplateId"] == "8adf8e6e-67b2-4cf2-a259-e3dc5476c621"
    assert stored["identifierUris"] == [SP_ENTITY] and stored["web"]["redirectUris"] == [ACS]
    assert principal["preferred_single_sign_on_mode"] == "saml"
    assert principal["app_role_assignment_required"] is True
    issued = x509.load_der_x509_certificate(base64.b64decode(certificate.certificate))
    assert issued.subject.rfc4514_string() == "CN=Acme SAML SSO"
    # Only a read that selects keyCredentials sees the certificate; the thumbprint names it.
    assert made["signing"] == (certificate.kid, [certificate])
    assert all(
        c["key"] is None
        for c in graph.standin.store.get_service_principal(principal["object_id"])["keyCredentials"]
    )
    with graph.http() as http:
        unknown = http.post(
            f"/applicationTemplates/{UNKNOWN_TEMPLATE}/instantiate", json={"displayName": "X"}
        )
        no_cn = http.post(
            f"/servicePrincipals/{principal['object_id']}/addTokenSigningCertificate",
            json={"displayName": "X"},
        )
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "Request_ResourceNotFound"
    assert no_cn.status_code == 400 and "CN=" in no_cn.json()["error"]["message"]
    assert contract_violations(graph.recorder.responses) == []


def test_an_assigned_user_gets_a_signed_assertion_with_entra_s_claims_for_the_app_s_identifier(
    graph: ServedGraph,
) -> None:
    made = _saml_app(graph)
    metadata = _metadata(graph, made["application"]["app_id"])
    assert metadata.status_code == 200
    descriptor = etree.fromstring(metadata.content)
    assert descriptor.get("entityID") == f"https://sts.windows.net/{TENANT}/"
    assert descriptor.findtext(".//{*}X509Certificate") == made["certificate"].certificate

    answer = sign_in(sso_url(metadata.content), "alice@contoso.example", issuer=SP_ENTITY, acs_url=ACS)

    action, fields = posted(answer)
    assert action == ACS and fields["RelayState"] == "state-1"
    response = etree.fromstring(base64.b64decode(fields["SAMLResponse"]))
    assertion = response.find("saml:Assertion", SAML)
    pem = f"-----BEGIN CERTIFICATE-----\n{made['certificate'].certificate}\n-----END CERTIFICATE-----\n"
    XMLVerifier().verify(etree.tostring(assertion), x509_cert=pem)
    assert assertion.findtext("saml:Issuer", namespaces=SAML) == f"https://sts.windows.net/{TENANT}/"
    assert assertion.findtext(".//saml:Audience", namespaces=SAML) == SP_ENTITY
    confirmation = assertion.find(".//saml:SubjectConfirmationData", SAML)
    assert confirmation.get("Recipient") == ACS and confirmation.get("NotOnOrAfter")
    assert assertion.findtext(".//saml:NameID", namespaces=SAML) == "alice@contoso.example"
    sent = attributes(assertion)
    # ApplicationGroup: only Engineering (assigned) of Alice's groups, by object ID.
    assert sent[GROUPS_ATTRIBUTE] == [made["engineering"]]
    assert sent[f"{CLAIMS}/emailaddress"] == ["alice@contoso.example"]
    assert (sent[f"{CLAIMS}/givenname"], sent[f"{CLAIMS}/surname"]) == (["Alice"], ["Anders"])


def test_an_unassigned_user_and_an_unknown_identifier_are_refused_with_entra_s_codes(
    graph: ServedGraph,
) -> None:
    made = _saml_app(graph)
    url = sso_url(_metadata(graph, made["application"]["app_id"]).content)

    unassigned = sign_in(url, "erin@contoso.example", issuer=SP_ENTITY, acs_url=ACS)
    unknown = sign_in(url, "alice@contoso.example", issuer="https://other.example/sp", acs_url=ACS)

    assert unassigned.status_code == 403 and "SAMLResponse" not in unassigned.text
    assert "AADSTS50105" in unassigned.text
    assert "AADSTS700016" in unknown.text and "SAMLResponse" not in unknown.text


def test_a_member_of_a_nested_group_only_is_refused_and_gets_no_nested_group(graph: ServedGraph) -> None:
    """Leadership nests Admins: Dave (Admins) is not assigned through it, and Alice's assertion
    carries only the assigned group she is a direct member of (Engineering)."""
    made = _saml_app(graph)
    asyncio.run(graph.client().assign(made["principal"]["object_id"], CONTOSO.group("Leadership").id))
    url = sso_url(_metadata(graph, made["application"]["app_id"]).content)

    dave = sign_in(url, "dave@contoso.example", issuer=SP_ENTITY, acs_url=ACS)
    alice = sign_in(url, "alice@contoso.example", issuer=SP_ENTITY, acs_url=ACS)

    assert dave.status_code == 403 and "AADSTS50105" in dave.text
    assertion = etree.fromstring(base64.b64decode(posted(alice)[1]["SAMLResponse"])).find(
        "saml:Assertion", SAML
    )
    assert attributes(assertion)[GROUPS_ATTRIBUTE] == [made["engineering"]]


def test_a_request_for_a_reply_url_the_app_lacks_is_refused_with_aadsts50011(graph: ServedGraph) -> None:
    made = _saml_app(graph)
    url = sso_url(_metadata(graph, made["application"]["app_id"]).content)

    elsewhere = sign_in(url, "alice@contoso.example", issuer=SP_ENTITY, acs_url="https://evil.example/acs")

    assert elsewhere.status_code == 400 and "SAMLResponse" not in elsewhere.text
    assert "AADSTS50011" in elsewhere.text and "password" not in elsewhere.text
