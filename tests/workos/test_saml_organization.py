"""An Okta SAML organization brokered by WorkOS (Pulumi mocks, no Okta): the SAML app is made from the
ACS URL and SP entity ID of the connection made in the WorkOS dashboard, that connection is
configured from the app (metadata URL, attribute map, the certificates to trust) before the app's
signing switch, and `manualSteps` names only the role mappings."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pulumi
import pytest

from sandbox.workos import INITECH
from ssoprov.organization import Organization
from ssoprov.spec.models import OrganizationSpec
from tests.support.pulumi_mocks import RecordingMocks, mocked_runtime

CONNECTION = "conn_01J9SAMLINITECH0000000000"
ACS = "https://auth.workos.com/sso/saml/acs/aW5pdGVjaC1zYW1s"
ENTITY_ID = "https://auth.workos.com/01J9SAMLINITECH0000000000"
METADATA = "https://initech.okta.com/app/exk1initech/sso/saml/metadata"
CERTIFICATE = "MIIDqDCCApCgAwIBAgIGAZNsamlTest"


def spec() -> OrganizationSpec:
    return OrganizationSpec.model_validate(
        {
            "name": "initech-saml",
            "displayName": "Initech",
            "identityProvider": {
                "kind": "okta",
                "orgUrl": "https://initech.okta.com",
                "groups": ["Engineering", "Admins"],
                "protocol": "saml",
                "saml": {"groupsAttribute": {"name": "memberOf", "filterType": "regex", "value": ".*"}},
            },
            "broker": {
                "kind": "workos",
                "organizationId": INITECH.id,
                "manualStepsAcknowledged": True,
                "saml": {"connectionId": CONNECTION, "acsUrl": ACS, "spEntityId": ENTITY_ID},
            },
            "roleMappings": [{"group": "Engineering", "role": "developer"}],
            "defaultRole": "member",
        }
    )


def _created_by_okta(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    if args.typ.endswith("okta:SamlApp"):
        return {"metadata_url": METADATA}
    if args.typ.endswith("workos:SamlConnection"):
        return {"trusted_certificates": args.inputs["signing_certificates"]}
    if args.typ.endswith("okta:SamlSigningKeys"):
        return {
            "signing_kid": "kid-1",
            "next_kid": "kid-1",
            "next_certificate": CERTIFICATE,
            "next_expires_at": "2036-12-02T09:30:00.000Z",
            "trusted_certificates": [CERTIFICATE],
        }
    return {}


@pytest.fixture
def mocks() -> Iterator[RecordingMocks]:
    mocks = RecordingMocks(_created_by_okta)
    with mocked_runtime(mocks):
        yield mocks


def test_the_okta_app_takes_the_dashboard_connections_sp_values_and_the_steps_name_its_metadata(
    mocks: RecordingMocks,
) -> None:
    outputs: dict[str, Any] = {}

    @pulumi.runtime.test
    def program() -> pulumi.Output:
        organization = Organization("initech-saml", spec())
        return pulumi.Output.from_input(organization.stack_outputs()).apply(outputs.update)

    program()

    [app] = mocks.of_type("okta", "SamlApp").values()
    assert app["acs_url"] == ACS and app["audience"] == ENTITY_ID
    [connection] = mocks.of_type("workos", "SamlConnection").values()
    assert connection["connection_id"] == CONNECTION and connection["metadata_url"] == METADATA
    assert connection["signing_certificates"] == [CERTIFICATE]
    assert connection["attribute_map"] == {
        "groups": "memberOf",
        "email": "email",
        "first_name": "firstName",
        "last_name": "lastName",
    }
    # The IdP's signing switch waits for what WorkOS trusts (a rollover's step c after step b).
    [switch] = mocks.of_type("okta", "SamlSigningSwitch").values()
    assert switch["broker_trusted"] == [CERTIFICATE]
    assert outputs["connectionId"] == CONNECTION and outputs["redirectUri"] == ACS
    assert outputs["protocol"] == "saml" and outputs["metadataUrl"] == METADATA
    engineering, default = outputs["manualSteps"]
    where = f"WorkOS dashboard > Organizations > {INITECH.id} > SSO connection {CONNECTION} > "
    assert engineering.startswith(where) and "'Engineering'" in engineering and "'developer'" in engineering
    assert "'member' the default role" in default
