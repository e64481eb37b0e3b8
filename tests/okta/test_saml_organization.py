"""The Organization component's SAML branch (Pulumi mocks, no Okta, no Keycloak): an Okta SAML spec
declares the SAML app, its group assignments, its signing keys and key switch, and Keycloak's SAML
identity provider with its mappers and default role, never an OIDC client or secret; its stack
outputs are the SAML ones."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pulumi
import pytest

from ssoprov.organization import Organization
from ssoprov.spec.models import OrganizationSpec
from tests.support.pulumi_mocks import RecordingMocks, mocked_runtime

KEYCLOAK = "https://sso.example.com"
ACS = f"{KEYCLOAK}/realms/customers/broker/vandelay/endpoint"
METADATA = "https://vandelay.okta.com/app/exk1vandelay/sso/saml/metadata"
CERTIFICATE = "MIIDqDCCApCgAwIBAgIGAZNsamlTest"
KID = "signing-kid-1"
EXPIRES_AT = "2036-12-02T09:30:00.000Z"
EMAIL_FORMAT = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
GROUPS_ATTRIBUTE = {"name": "memberOf", "filterType": "regex", "value": "Engineering|Admins"}
OIDC_TYPES = (
    "okta:OidcApp",
    "okta:ClientSecret",
    "okta:GroupsClaim",
    "okta:AppJwk",
    "keycloak:IdentityProvider",
)
"""What an OIDC organization has and a SAML one must not: a client, its secret, its claims, its key."""

SPEC = {
    "name": "vandelay",
    "displayName": "Vandelay Industries",
    "identityProvider": {
        "kind": "okta",
        "orgUrl": "https://vandelay.okta.com/",
        "groups": ["Engineering", "Admins", "Sales"],
        "protocol": "saml",
        "saml": {
            "nameIdFormat": "emailAddress",
            "groupsAttribute": GROUPS_ATTRIBUTE,
            "rotateBeforeExpiryDays": 60,
        },
    },
    "broker": {"kind": "keycloak", "url": f"{KEYCLOAK}/", "realm": "customers"},
    "roleMappings": [{"group": "Engineering", "role": "developer"}, {"group": "Admins", "role": "admin"}],
    "defaultRole": "member",
}


def _created_by_okta(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    """What the creates read back from Okta: the app's metadata URL, and its one signing key."""
    if args.typ.endswith("okta:SamlApp"):
        return {"metadata_url": METADATA}
    if args.typ.endswith("okta:SamlSigningKeys"):
        return {
            "signing_kid": KID,
            "next_kid": KID,
            "next_certificate": CERTIFICATE,
            "next_expires_at": EXPIRES_AT,
            "trusted_certificates": [CERTIFICATE],
        }
    return {}


@pytest.fixture
def mocks() -> Iterator[RecordingMocks]:
    mocks = RecordingMocks(_created_by_okta)
    with mocked_runtime(mocks):
        yield mocks


def test_an_okta_saml_spec_builds_the_saml_app_and_broker_side_and_no_oidc_client(
    mocks: RecordingMocks,
) -> None:
    outputs: dict[str, Any] = {}

    @pulumi.runtime.test
    def program() -> pulumi.Output:
        organization = Organization("vandelay", OrganizationSpec.model_validate(SPEC))
        return pulumi.Output.from_input(organization.stack_outputs()).apply(outputs.update)

    program()

    [(app_name, app)] = mocks.of_type("okta", "SamlApp").items()
    assert app_name == "vandelay-okta-saml-app"
    assert app["org_url"] == "https://vandelay.okta.com" and app["label"] == "Vandelay Industries SSO"
    assert app["acs_url"] == ACS and app["audience"] == f"{ACS}/descriptor"
    assert app["name_id_format"] == EMAIL_FORMAT
    assert app["groups_attribute"] == {
        "name": "memberOf",
        "filter_type": "regex",
        "value": GROUPS_ATTRIBUTE["value"],
    }
    assignments = mocks.of_type("okta", "GroupAssignment").values()
    assert sorted(a["group_name"] for a in assignments) == ["Admins", "Engineering", "Sales"]
    assert {a["app_id"] for a in assignments} == {"vandelay-okta-saml-app-id"}
    [keys] = mocks.of_type("okta", "SamlSigningKeys").values()
    assert keys["app_id"] == "vandelay-okta-saml-app-id" and keys["rotate_before_expiry_days"] == 60
    [switch] = mocks.of_type("okta", "SamlSigningSwitch").values()
    assert switch["app_id"] == "vandelay-okta-saml-app-id" and switch["kid"] == KID
    assert switch["broker_trusted"] == [CERTIFICATE]

    [provider] = mocks.of_type("keycloak", "SamlIdentityProvider").values()
    assert provider["alias"] == "vandelay" and provider["realm"] == "customers"
    assert provider["metadata_url"] == METADATA and provider["signing_certificates"] == [CERTIFICATE]
    assert provider["name_id_format"] == EMAIL_FORMAT
    declared = mocks.of_type("keycloak", "IdpMapper").values()
    mappers = {m["name"]: (m["mapper_type"], m["config"]) for m in declared}
    assert {name: kind for name, (kind, _) in mappers.items()} == {
        "Engineering -> developer": "saml-role-idp-mapper",
        "Admins -> admin": "saml-role-idp-mapper",
        "default role: member": "oidc-hardcoded-role-idp-mapper",
        "attribute email => email": "saml-user-attribute-idp-mapper",
        "attribute firstName => firstName": "saml-user-attribute-idp-mapper",
        "attribute lastName => lastName": "saml-user-attribute-idp-mapper",
    }
    engineering = mappers["Engineering -> developer"][1]
    assert engineering["attribute.name"] == "memberOf" and engineering["attribute.value"] == "Engineering"
    assert engineering["role"] == "developer" and mappers["default role: member"][1]["role"] == "member"
    [roles] = mocks.of_type("keycloak", "RealmRoles").values()
    assert roles["names"] == ["admin", "developer", "member"]

    assert [r.name for r in mocks.resources if r.typ.rsplit("/", 1)[-1] in OIDC_TYPES] == []
    assert not [r.name for r in mocks.resources if "secret" in r.name.lower()]

    # None-valued outputs are left out of the stack's outputs by the engine.
    exported = {key: value for key, value in outputs.items() if value is not None}
    assert exported["protocol"] == "saml" and exported["appId"] == "vandelay-okta-saml-app-id"
    assert exported["metadataUrl"] == METADATA and exported["signingCertificateExpiresAt"] == "2036-12-02"
    assert exported["signingCertificateRotateBy"] == "2036-10-03"  # 60 days before
    assert exported["connectionId"] == "vandelay" and exported["redirectUri"] == ACS
    assert not {"clientId", "discoveryUrl", "clientAuthentication", "secretExpiresAt"} & exported.keys()


def test_the_specs_warnings_reach_preview_and_up_for_an_okta_organization(
    mocks: RecordingMocks, caplog: pytest.LogCaptureFixture
) -> None:
    """Not only Entra ID's: an Okta app with no group assigned warns as `ssoprov validate` does."""
    spec = OrganizationSpec.model_validate(
        {**SPEC, "identityProvider": {**SPEC["identityProvider"], "groups": []}}
    )

    @pulumi.runtime.test
    def program() -> None:
        Organization("vandelay", spec, stack_file="stacks/Pulumi.vandelay.yaml")

    program()

    assert [r.getMessage() for r in caplog.records if r.levelname == "WARNING"] == [
        "stacks/Pulumi.vandelay.yaml: ssoprov:organization.identityProvider.groups: assigns no group or user "
        "to an app that requires assignment: nobody can sign in until an admin assigns someone by hand. "
        "Fix: list the Okta groups allowed to sign in in identityProvider.groups"
    ]
