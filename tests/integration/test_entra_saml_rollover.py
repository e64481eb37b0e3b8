"""An Entra ID SAML organization's token-signing certificate rollover by `ssoprov rotate`, on the
real Pulumi CLI and the real Keycloak, while a user keeps signing in through the broker: no sign-in
fails, the app ends signing with a new certificate that Keycloak alone trusts, and Keycloak itself
refuses the old one."""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
from pathlib import Path

from sandbox.environment import LocalSandbox
from ssoprov.clock import calendar_date, parse_timestamp
from tests.fleet.fleet import FleetProject, SealedSecret
from tests.integration.keycloak_view import connection_view
from tests.integration.organizations import entra_saml_organization
from tests.integration.rotation import assert_certificate_rolled_over
from tests.integration.signin_loop import signing_in
from tests.integration.test_okta_keycloak import sign_in

LOGIN = "alice@contoso.example"


def test_rotate_rolls_the_certificate_over_with_no_failed_sign_in_and_keycloak_refuses_the_old_one(
    sandbox: LocalSandbox, realm: str, tmp_path: Path
) -> None:
    project = FleetProject.create(
        tmp_path / "fleet", SealedSecret(secrets.token_urlsafe(18), "", ""), sandbox.engine_env()
    )
    project.write_stack("acme", entra_saml_organization(sandbox, realm))
    first = project.ssoprov("up")
    assert first.code == 0, first.stdout + first.stderr
    store = sandbox.graph.store
    application = store.find_application("Acme Corporation")
    assert application is not None
    old = store.token_signing_certificate(application["appId"])
    assert old is not None
    due_day = (parse_timestamp(old.answer["endDateTime"]) - timedelta(days=29)).date().isoformat()

    report_file = tmp_path / "rotate.json"
    with signing_in(sandbox.keycloak_url, realm, "acme", LOGIN) as results:
        rotated = project.ssoprov("rotate", "--as-of", due_day, "--json-report", str(report_file))

    assert_certificate_rolled_over(
        rotated, report_file, results, stack="acme", idp="entra", broker="keycloak-saml-identity-provider"
    )
    new = store.token_signing_certificate(application["appId"])
    assert new is not None and new.thumbprint != old.thumbprint
    trusted = connection_view(sandbox, realm, "acme").provider["config"]["signingCertificate"]
    assert trusted == new.credential.certificate_base64
    assert sign_in(sandbox, realm, LOGIN, alias="acme").signed_in

    # The service principal prefers the old certificate again (as if switched back in the admin
    # center): Keycloak, trusting the new certificate only, refuses the response itself.
    [principal] = [sp for sp in store.stored_service_principals() if sp["appId"] == application["appId"]]
    store.update_service_principal(principal["id"], {"preferredTokenSigningKeyThumbprint": old.thumbprint})
    refused = sign_in(sandbox, realm, LOGIN, alias="acme")
    store.update_service_principal(principal["id"], {"preferredTokenSigningKeyThumbprint": new.thumbprint})
    assert not refused.signed_in

    listed = project.ssoprov("secrets", "--json")
    assert listed.code == 0, listed.stderr
    [certificate] = json.loads(listed.stdout)["secrets"]
    assert certificate["credential"] == "signingCertificate" and certificate["secretId"] == new.thumbprint
    expires = parse_timestamp(new.answer["endDateTime"])
    assert certificate["secretExpiresAt"] == calendar_date(expires)
    assert certificate["secretRotateBy"] == calendar_date(expires - timedelta(days=30))
