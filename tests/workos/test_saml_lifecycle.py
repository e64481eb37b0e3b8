"""The real program on the real Pulumi CLI: Okta SAML and Entra ID SAML organizations brokered by
WorkOS, whose SAML connection was made in the WorkOS dashboard. The IdP's SAML app is made from the
connection's ACS URL and SP entity ID, the outputs say what to enter back in WorkOS, nothing is
asked of WorkOS's API, a second `up` changes nothing and `destroy` removes the app."""

from __future__ import annotations

from collections.abc import Callable

from sandbox.common.server import ServedApp
from sandbox.environment import LocalSandbox
from sandbox.graph.saml_signin import GROUPS_ATTRIBUTE
from sandbox.graph.seed import CONTOSO
from sandbox.okta.app import build_okta_standin
from sandbox.okta.store import SamlApp
from sandbox.workos import INITECH
from tests.support.projects import StackProject
from tests.workos.conftest import WorkosSandbox

CONNECTION = "conn_01J9SAMLINITECH0000000000"
ACS = "https://auth.workos.com/sso/saml/acs/aW5pdGVjaC1zYW1s"
ENTITY_ID = "https://auth.workos.com/01J9SAMLINITECH0000000000"


def organization_config(identity_provider: dict) -> dict:
    return {
        "ssoprov:organization": {
            "name": "initech-saml",
            "displayName": "Initech",
            "identityProvider": {**identity_provider, "protocol": "saml"},
            "broker": {
                "kind": "workos",
                "organizationId": INITECH.id,
                "manualStepsAcknowledged": True,
                "saml": {"connectionId": CONNECTION, "acsUrl": ACS, "spEntityId": ENTITY_ID},
            },
            "roleMappings": [{"group": "Engineering", "role": "developer"}],
        }
    }


def test_up_makes_the_okta_saml_app_for_the_dashboard_connection_twice_the_same_and_destroy_removes_it(
    stack_project: Callable[..., StackProject], workos_sandbox: WorkosSandbox
) -> None:
    okta = build_okta_standin()
    with ServedApp(okta.app) as okta_served:
        env = {**workos_sandbox.env(), "OKTA_API_TOKEN": okta.auth.api_token}
        okta_idp = {"kind": "okta", "orgUrl": okta_served.url, "groups": ["Engineering", "Admins"]}
        project = stack_project("initech-saml", organization_config(okta_idp), env=env)

        project.stack.up(show_secrets=False)

        [app] = [a for a in okta.store.apps() if isinstance(a, SamlApp)]
        assert app.sign_on["ssoAcsUrl"] == ACS and app.sign_on["audience"] == ENTITY_ID
        assert app.sign_on["recipient"] == ACS and app.sign_on["destination"] == ACS
        outputs = {key: value.value for key, value in project.stack.outputs().items()}
        assert outputs["connectionId"] == CONNECTION and outputs["protocol"] == "saml"
        metadata_url = outputs["metadataUrl"]
        assert metadata_url.startswith(f"{okta_served.url}/app/") and metadata_url.endswith(
            "/sso/saml/metadata"
        )
        metadata, attributes, engineering = outputs["manualSteps"]
        assert CONNECTION in metadata and metadata_url in metadata
        assert "map groups from the attribute 'groups'" in attributes
        assert "'Engineering'" in engineering and "'developer'" in engineering
        assert workos_sandbox.calls() == []  # the connection is WorkOS's dashboard's, not ours

        project.stack.preview(expect_no_changes=True)
        assert set(project.stack.up(show_secrets=False).summary.resource_changes) == {"same"}

        project.stack.destroy(show_secrets=False)

        assert not [a for a in okta.store.apps() if isinstance(a, SamlApp)]
        assert workos_sandbox.calls() == []


def test_up_makes_the_entra_saml_app_for_the_dashboard_connection_twice_the_same_and_destroy_removes_it(
    stack_project: Callable[..., StackProject],
) -> None:
    with LocalSandbox(with_keycloak=False) as sandbox:
        entra_idp = {
            "kind": "entra",
            "tenantId": CONTOSO.tenant_id,
            "assignments": {"groups": ["Engineering", "Admins"]},
        }
        project = stack_project("initech-saml", organization_config(entra_idp), env=sandbox.engine_env())

        project.stack.up(show_secrets=False)

        store = sandbox.graph.store
        application = store.find_application("Initech")
        assert application is not None
        assert application["identifierUris"] == [ENTITY_ID] and application["web"]["redirectUris"] == [ACS]
        outputs = {key: value.value for key, value in project.stack.outputs().items()}
        assert outputs["connectionId"] == CONNECTION and outputs["appId"] == application["appId"]
        metadata, attributes, engineering = outputs["manualSteps"]
        assert outputs["metadataUrl"] in metadata and f"?appid={application['appId']}" in metadata
        assert f"map groups from the attribute '{GROUPS_ATTRIBUTE}'" in attributes
        # Entra sends group object IDs: the mapping names the ID, the step the group's name too.
        assert f"'{CONTOSO.group('Engineering').id}'" in engineering and "'Engineering'" in engineering
        assert sandbox.workos.calls.all() == []

        project.stack.preview(expect_no_changes=True)
        assert set(project.stack.up(show_secrets=False).summary.resource_changes) == {"same"}

        project.stack.destroy(show_secrets=False)

        assert store.find_application("Initech") is None
        assert sandbox.workos.calls.all() == []
