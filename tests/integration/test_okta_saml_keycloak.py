"""An Okta SAML organization end to end: the Okta SAML 2.0 app and Keycloak's SAML identity
provider made by the real Pulumi CLI, proven by real sign-ins through the broker."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from sandbox.common.oidc_issuer import SANDBOX_USER_PASSWORD
from sandbox.environment import LocalSandbox
from sandbox.okta.store import SamlApp
from ssoprov.cli import main
from ssoprov.clock import calendar_date, parse_timestamp
from ssoprov.errors import NotFoundError
from tests.integration.keycloak_view import connection_view, role_mappers
from tests.integration.organizations import okta_saml_organization, stack_config
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
        "globex", stack_config(okta_saml_organization(sandbox, realm)), env=sandbox.engine_env()
    )

    project.stack.up(show_secrets=False)

    outputs = {key: value.value for key, value in project.stack.outputs().items()}
    [app] = [a for a in sandbox.okta.store.apps() if isinstance(a, SamlApp)]
    [key] = sandbox.okta.store.saml_keys(app.id)
    assert outputs["protocol"] == "saml" and outputs["appId"] == app.id
    assert outputs["metadataUrl"].startswith(f"{sandbox.okta_url}/app/") and "clientId" not in outputs
    assert outputs["signingCertificateExpiresAt"] == key.expires_at[:10]
    rotate_by = parse_timestamp(key.expires_at) - timedelta(days=30)  # saml.rotateBeforeExpiryDays
    assert outputs["signingCertificateRotateBy"] == calendar_date(rotate_by)
    view = connection_view(sandbox, realm, "globex")
    config = view.provider["config"]
    assert view.provider["providerId"] == "saml"
    assert config["idpEntityId"] == f"http://www.okta.com/{app.issuer_key}"
    assert config["signingCertificate"] == key.credential.certificate_base64
    assert config["entityId"] == app.sign_on["audience"]
    assert app.sign_on["ssoAcsUrl"] == outputs["redirectUri"]
    assert role_mappers(view) == {"Engineering": "developer", "Admins": "admin", "default": "member"}

    alice = sign_in(sandbox, realm, "alice@acme.example")
    assert alice.signed_in, alice.detail
    assert {"developer", "admin", "member"} <= set(alice.roles) and alice.email == "alice@acme.example"
    carol = sign_in(sandbox, realm, "carol@acme.example")
    assert carol.signed_in, carol.detail
    assert "member" in carol.roles and "developer" not in carol.roles
    dave = sign_in(sandbox, realm, "dave@acme.example")
    assert not dave.signed_in and "you are not assigned this app in Okta" in dave.detail

    monkeypatch.setenv("SSOPROV_VERIFY_PASSWORD", SANDBOX_USER_PASSWORD)
    assert main(["verify-login", str(project.stack_file), "--user", "alice@acme.example"]) == 0
    assert "developer" in capsys.readouterr().out
    assert main(["verify-login", str(project.stack_file), "--user", "dave@acme.example"]) == 1
    assert "not assigned this app in Okta" in capsys.readouterr().out

    project.stack.preview(expect_no_changes=True)
    assert set(project.stack.up(show_secrets=False).summary.resource_changes) == {"same"}

    project.stack.destroy()

    assert not [a for a in sandbox.okta.store.apps() if isinstance(a, SamlApp)]
    with pytest.raises(NotFoundError):
        connection_view(sandbox, realm, "globex")
