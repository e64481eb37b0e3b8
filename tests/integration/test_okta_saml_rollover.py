"""An Okta SAML organization's signing-certificate rollover by `ssoprov rotate`, on the real Pulumi
CLI and the real Keycloak, while a user keeps signing in through the broker: no sign-in fails, the
app ends signing with a new key that Keycloak alone trusts, and Keycloak itself refuses the old key."""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
from pathlib import Path

from sandbox.environment import LocalSandbox
from sandbox.keycloak import KeycloakServer
from sandbox.okta.store import SamlApp
from ssoprov.clock import AS_OF_VARIABLE, calendar_date, parse_timestamp
from tests.fleet.fleet import FleetProject, SealedSecret
from tests.integration.keycloak_view import connection_view
from tests.integration.organizations import okta_saml_organization
from tests.integration.rotation import assert_certificate_rolled_over
from tests.integration.signin_loop import signing_in
from tests.integration.test_okta_keycloak import sign_in

LOGIN = "alice@acme.example"


def test_rotate_rolls_the_certificate_over_with_no_failed_sign_in_and_keycloak_refuses_the_old_key(
    sandbox: LocalSandbox, realm: str, keycloak: KeycloakServer, tmp_path: Path
) -> None:
    # No generic OIDC stack here, so nothing is sealed: only the passphrase is used.
    project = FleetProject.create(
        tmp_path / "fleet", SealedSecret(secrets.token_urlsafe(18), "", ""), sandbox.engine_env()
    )
    project.write_stack("globex", okta_saml_organization(sandbox, realm))
    first = project.ssoprov("up")
    assert first.code == 0, first.stdout + first.stderr
    store = sandbox.okta.store
    [app] = [a for a in store.apps() if isinstance(a, SamlApp)]
    [old] = store.saml_keys(app.id)
    due_day = (parse_timestamp(old.expires_at) - timedelta(days=29)).date().isoformat()

    plan = project.ssoprov("rotate", "--dry-run", "--as-of", due_day)
    assert plan.code == 0 and "1 of 1 deployed stack(s) have a secret due" in plan.stderr, plan.stderr
    assert len(store.saml_keys(app.id)) == 1  # a dry run changes nothing

    report_file = tmp_path / "rotate.json"
    with signing_in(sandbox.keycloak_url, realm, "globex", LOGIN) as results:
        rotated = project.ssoprov("rotate", "--as-of", due_day, "--json-report", str(report_file))

    assert_certificate_rolled_over(
        rotated, report_file, results, stack="globex", idp="okta", broker="keycloak-saml-identity-provider"
    )
    [_, new] = store.saml_keys(app.id)
    assert store.get_saml_app(app.id).signing_kid == new.kid
    trusted = connection_view(sandbox, realm, "globex").provider["config"]["signingCertificate"]
    assert trusted == new.credential.certificate_base64
    assert sign_in(sandbox, realm, LOGIN).signed_in

    # The stand-in signs with the old key again (as if switched back in the admin console):
    # Keycloak, trusting the new certificate only, refuses the response itself.
    log_size = keycloak.log_path.stat().st_size
    store.replace_saml_app(app.id, label=app.label, sign_on=app.sign_on, signing_kid=old.kid)
    refused = sign_in(sandbox, realm, LOGIN)
    store.replace_saml_app(app.id, label=app.label, sign_on=app.sign_on, signing_kid=new.kid)
    with open(keycloak.log_path, errors="replace") as log:
        log.seek(log_size)
        events = [line for line in log if f'realmName="{realm}"' in line and "error=" in line]
    assert not refused.signed_in
    assert any('error="invalid_signature"' in line for line in events), (refused.detail, events)

    again_file = tmp_path / "again.json"
    again = project.ssoprov("up", "--json-report", str(again_file))
    assert again.code == 0, again.stdout + again.stderr
    [second] = json.loads(again_file.read_text())["stacks"]
    changes = second["changes"]
    assert (changes["created"], changes["updated"], changes["replaced"], changes["deleted"]) == (0, 0, 0, 0)

    listed = project.ssoprov("secrets", "--json")
    assert listed.code == 0, listed.stderr
    [certificate] = json.loads(listed.stdout)["secrets"]
    assert certificate["credential"] == "signingCertificate" and certificate["secretId"] == new.kid
    assert certificate["secretExpiresAt"] == new.expires_at[:10]
    rotate_by = parse_timestamp(new.expires_at) - timedelta(days=30)
    assert certificate["secretRotateBy"] == calendar_date(rotate_by) and certificate["dueNow"] is False
    table = project.ssoprov("secrets").stdout
    [row] = [line for line in table.splitlines() if line.startswith("globex")]
    assert new.expires_at[:10] in row and f"kid {new.kid}" in row and "not-due" in row


def test_an_interrupted_rollover_reuses_its_staged_key_and_the_next_rotate_finishes_it(
    sandbox: LocalSandbox, realm: str, tmp_path: Path
) -> None:
    project = FleetProject.create(
        tmp_path / "fleet", SealedSecret(secrets.token_urlsafe(18), "", ""), sandbox.engine_env()
    )
    project.write_stack("globex", okta_saml_organization(sandbox, realm))
    assert project.ssoprov("up").code == 0
    store = sandbox.okta.store
    [app] = [a for a in store.apps() if isinstance(a, SamlApp)]
    [old] = store.saml_keys(app.id)
    # A run that stopped right after step (a): the new key exists, nothing else happened.
    staged = store.generate_saml_key(app.id, 10)
    due_day = (parse_timestamp(old.expires_at) - timedelta(days=29)).date().isoformat()

    # A plain `up` at the due date carries the rollover on with that key, up to the switch.
    project.env[AS_OF_VARIABLE] = due_day
    half = project.ssoprov("up")
    del project.env[AS_OF_VARIABLE]
    assert half.code == 0, half.stdout + half.stderr
    assert [key.kid for key in store.saml_keys(app.id)] == [old.kid, staged.kid]  # reused, not doubled
    assert store.get_saml_app(app.id).signing_kid == staged.kid
    trusted = connection_view(sandbox, realm, "globex").provider["config"]["signingCertificate"]
    assert trusted.split(",") == [old.credential.certificate_base64, staged.credential.certificate_base64]

    listed = json.loads(project.ssoprov("secrets", "--json").stdout)["secrets"]
    assert listed[0]["dueNow"] is True and "rollover unfinished" in listed[0]["reason"]

    report_file = tmp_path / "rotate.json"
    finished = project.ssoprov("rotate", "--json-report", str(report_file))

    assert finished.code == 0, finished.stdout + finished.stderr
    [entry] = json.loads(report_file.read_text())["stacks"]
    assert entry["status"] == "rotated" and entry["secret"]["secretId"] == staged.kid, entry
    trusted = connection_view(sandbox, realm, "globex").provider["config"]["signingCertificate"]
    assert trusted == staged.credential.certificate_base64
    assert len(store.saml_keys(app.id)) == 2
    assert sign_in(sandbox, realm, LOGIN).signed_in
