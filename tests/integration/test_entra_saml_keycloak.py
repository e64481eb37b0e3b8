"""An Entra ID SAML organization end to end: the non-gallery SAML app and Keycloak's SAML identity
provider made by the real Pulumi CLI, proven by real sign-ins through the broker."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from sandbox.common.oidc_issuer import SANDBOX_USER_PASSWORD
from sandbox.environment import LocalSandbox
from sandbox.graph.saml_signin import GROUPS_ATTRIBUTE
from sandbox.graph.seed import CONTOSO
from ssoprov.cli import main
from ssoprov.clock import calendar_date, parse_timestamp
from ssoprov.errors import NotFoundError
from tests.integration.keycloak_view import connection_view, role_mappers
from tests.integration.organizations import entra_saml_organization, stack_config
from tests.integration.test_okta_keycloak import sign_in
from tests.support.projects import StackProject


def test_up_signs_users_in_with_their_roles_changes_nothing_twice_and_destroy_removes_both_sides(
    sandbox: LocalSandbox,
    realm: str,
    stack_project: Callable[..., StackProject],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    project = stack_project(
        "acme", stack_config(entra_saml_organization(sandbox, realm)), env=sandbox.engine_env()
    )

    project.stack.up(show_secrets=False)

    store = sandbox.graph.store
    outputs = {key: value.value for key, value in project.stack.outputs().items()}
    application = store.find_application("Acme Corporation")
    assert application is not None and outputs["appId"] == application["appId"]
    [principal] = [sp for sp in store.stored_service_principals() if sp["appId"] == application["appId"]]
    assert principal["preferredSingleSignOnMode"] == "saml" and principal["appRoleAssignmentRequired"]
    assert outputs["protocol"] == "saml" and outputs["metadataUrl"] == (
        f"{sandbox.graph_url}/{CONTOSO.tenant_id}/federationmetadata/2007-06/federationmetadata.xml"
        f"?appid={application['appId']}"
    )
    certificate = store.token_signing_certificate(application["appId"])
    assert certificate is not None
    expires = parse_timestamp(certificate.answer["endDateTime"])
    assert outputs["signingCertificateExpiresAt"] == calendar_date(expires)
    assert outputs["signingCertificateRotateBy"] == calendar_date(expires - timedelta(days=30))
    view = connection_view(sandbox, realm, "acme")
    config = view.provider["config"]
    assert view.provider["providerId"] == "saml"
    assert config["idpEntityId"] == f"https://sts.windows.net/{CONTOSO.tenant_id}/"
    assert config["signingCertificate"] == certificate.credential.certificate_base64
    assert application["identifierUris"] == [config["entityId"]]
    assert application["web"]["redirectUris"] == [outputs["redirectUri"]]
    groups = {name: CONTOSO.group(name).id for name in ("Engineering", "Admins")}
    assert role_mappers(view) == {
        groups["Engineering"]: "developer",
        groups["Admins"]: "admin",
        "default": "member",
    }
    assert {m["config"].get("attribute.name") for m in view.mappers} >= {GROUPS_ATTRIBUTE}

    alice = sign_in(sandbox, realm, "alice@contoso.example", alias="acme")
    assert alice.signed_in, alice.detail
    assert {"developer", "admin", "member"} <= set(alice.roles) and alice.email == "alice@contoso.example"
    frank = sign_in(sandbox, realm, "frank@contoso.example", alias="acme")  # assigned directly
    assert frank.signed_in, frank.detail
    assert "member" in frank.roles and not {"developer", "admin"} & set(frank.roles)
    erin = sign_in(sandbox, realm, "erin@contoso.example", alias="acme")
    assert not erin.signed_in and "AADSTS50105" in erin.detail
    monkeypatch.setenv("SSOPROV_VERIFY_PASSWORD", SANDBOX_USER_PASSWORD)
    assert main(["verify-login", str(project.stack_file), "--user", "carol@contoso.example"]) == 0
    assert "developer" in capsys.readouterr().out
    assert main(["verify-login", str(project.stack_file), "--user", "erin@contoso.example"]) == 1
    assert "AADSTS50105" in capsys.readouterr().out

    project.stack.preview(expect_no_changes=True)
    assert set(project.stack.up(show_secrets=False).summary.resource_changes) == {"same"}

    project.stack.destroy()

    assert store.find_application("Acme Corporation") is None
    assert not [sp for sp in store.stored_service_principals() if sp["appId"] == application["appId"]]
    with pytest.raises(NotFoundError):
        connection_view(sandbox, realm, "acme")
