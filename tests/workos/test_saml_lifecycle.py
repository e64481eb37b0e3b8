"""The real program on the real Pulumi CLI: an Okta SAML and an Entra ID SAML organization brokered
by WorkOS SAML connections made as in its dashboard. `ssoprov up` makes each IdP's SAML app from
the connection's ACS URL and SP entity ID and configures the connection through WorkOS's API
(metadata URL, attribute map, trusted certificates); sign-ins through WorkOS get the profile's
groups; `ssoprov verify-login` signs an assigned user in (groups, role) and reports an unassigned
one refused with Okta's reason; `ssoprov rotate` rolls Okta's signing certificate over while a user
keeps signing in (none fails) and leaves WorkOS trusting the new certificate only, refusing the old
key; a second `up` changes nothing; destroy removes the apps."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from sandbox.common.oidc_issuer import SANDBOX_USER_PASSWORD
from sandbox.environment import LocalSandbox
from sandbox.graph.seed import CONTOSO
from sandbox.okta.store import SamlApp
from sandbox.workos import GLOBEX, INITECH
from sandbox.workos.store import Connection
from ssoprov.brokers.workos.verify_login import verify_workos_login
from ssoprov.cli import main
from ssoprov.clock import calendar_date, parse_timestamp
from ssoprov.verify_login import LoginReport
from tests.fleet.fleet import FleetProject, SealedSecret
from tests.integration.organizations import (
    entra_saml_organization,
    okta_saml_organization,
    workos_saml_broker,
)
from tests.integration.rotation import assert_certificate_rolled_over
from tests.integration.signin_loop import signing_in_with
from tests.support.workos_app import APP_REDIRECT_URI, workos_app

OKTA_LOGIN = "alice@acme.example"
ENTRA_LOGIN = "alice@contoso.example"


@dataclass
class World:
    sandbox: LocalSandbox
    project: FleetProject
    okta_connection: Connection
    entra_connection: Connection

    def sign_in(self, connection: Connection, login: str) -> LoginReport:
        app = workos_app(self.sandbox.workos_url, self.sandbox.workos_api_key, self.sandbox.workos.client_id)
        return verify_workos_login(app, connection.id, login=login, password=SANDBOX_USER_PASSWORD)

    def trusted(self, connection: Connection) -> list[str]:
        """The certificates the WorkOS connection trusts, PEM."""
        stored = self.sandbox.workos.store.connection(connection.id)
        assert stored is not None and stored.saml is not None
        return [certificate.value for certificate in stored.saml.certificates]

    def okta_app(self) -> SamlApp:
        [app] = [a for a in self.sandbox.okta.store.apps() if isinstance(a, SamlApp)]
        return app


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with LocalSandbox(with_keycloak=False) as sandbox:
        store = sandbox.workos.store
        store.redirect_uris.add(APP_REDIRECT_URI)
        okta_connection = store.add_saml_connection(INITECH.id, sandbox.workos_url, "OktaSAML")
        entra_connection = store.add_saml_connection(GLOBEX.id, sandbox.workos_url, "AzureSAML")
        project = FleetProject.create(
            tmp_path_factory.mktemp("workos-saml") / "fleet",
            SealedSecret(secrets.token_urlsafe(18), "", ""),
            sandbox.engine_env(),
        )
        okta = okta_saml_organization(sandbox, "", "initech", workos_saml_broker(okta_connection))
        project.write_stack("initech", okta)
        entra = entra_saml_organization(sandbox, "", "acme", workos_saml_broker(entra_connection))
        project.write_stack("acme", entra)
        first = project.ssoprov("up")
        assert first.code == 0, first.stdout + first.stderr
        yield World(sandbox, project, okta_connection, entra_connection)


def test_up_configures_the_dashboard_connections_and_sign_ins_through_workos_get_the_groups(
    world: World,
) -> None:
    okta_store, graph = world.sandbox.okta.store, world.sandbox.graph.store
    app = world.okta_app()
    assert app.sign_on["ssoAcsUrl"] == world.okta_connection.saml.acs_url  # type: ignore[union-attr]
    assert world.trusted(world.okta_connection) == [
        okta_store.saml_key(app.id, app.signing_kid).credential.certificate_pem
    ]
    application = graph.find_application("Acme Corporation")
    assert application is not None
    entra_certificate = graph.token_signing_certificate(application["appId"])
    assert entra_certificate is not None
    assert world.trusted(world.entra_connection) == [entra_certificate.credential.certificate_pem]

    okta = world.sign_in(world.okta_connection, OKTA_LOGIN)
    entra = world.sign_in(world.entra_connection, ENTRA_LOGIN)

    assert okta.signed_in, okta.detail
    assert {"Engineering", "Admins"} <= set(okta.claims["groups"]) and okta.email == OKTA_LOGIN
    assert entra.signed_in, entra.detail
    assert CONTOSO.group("Engineering").id in entra.claims["groups"] and entra.email == ENTRA_LOGIN
    # Only the role mappings and the default role are left to the dashboard.
    outputs = {key: value.value for key, value in world.project.stack("initech").outputs().items()}
    engineering, admins, default = outputs["manualSteps"]
    assert "'developer'" in engineering and "'admin'" in admins and "'member' the default role" in default


def test_verify_login_signs_the_assigned_user_in_and_refuses_the_unassigned_with_oktas_reason(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for key, value in world.sandbox.engine_env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("SSOPROV_VERIFY_PASSWORD", SANDBOX_USER_PASSWORD)
    monkeypatch.setenv("WORKOS_REDIRECT_URI", APP_REDIRECT_URI)
    monkeypatch.delenv("WORKOS_CLIENT_ID", raising=False)
    verify = ["verify-login", str(world.project.stack_dir / "Pulumi.initech.yaml"), "--user"]
    calls_before = len(world.sandbox.workos.calls.all())

    assert main([*verify, OKTA_LOGIN]) == 2
    unconfigured = capsys.readouterr()
    monkeypatch.setenv("WORKOS_CLIENT_ID", world.sandbox.workos.client_id)
    assert len(world.sandbox.workos.calls.all()) == calls_before  # refused before any call
    assert main([*verify, OKTA_LOGIN]) == 0
    signed_in = capsys.readouterr()
    monkeypatch.delenv("WORKOS_REDIRECT_URI")
    assert main([*verify, "dave@acme.example", "--redirect-uri", APP_REDIRECT_URI]) == 1
    refused = capsys.readouterr()

    assert (
        "ssoprov verify-login: signing in through WorkOS: WORKOS_CLIENT_ID is not set. Fix:"
        in unconfigured.err
    )
    assert "Fix: export WORKOS_CLIENT_ID=client_..." in unconfigured.err
    lines = signed_in.out.splitlines()
    assert lines[0] == f"{OKTA_LOGIN}: signed in; WorkOS roles: member"
    assert f"  email: {OKTA_LOGIN}" in lines
    [groups] = [line.removeprefix("  groups: ") for line in lines if line.startswith("  groups: ")]
    assert {"Engineering", "Admins"} <= set(groups.split(", "))
    assert refused.out.startswith("dave@acme.example: not signed in:")
    assert "you are not assigned this app in Okta" in refused.out
    printed = unconfigured.out + unconfigured.err + signed_in.out + signed_in.err + refused.out + refused.err
    assert world.sandbox.workos_api_key not in printed


def test_rotate_rolls_the_certificate_over_through_workos_with_no_failed_sign_in(
    world: World, tmp_path: Path
) -> None:
    okta_store = world.sandbox.okta.store
    app = world.okta_app()
    [old] = okta_store.saml_keys(app.id)
    due_day = (parse_timestamp(old.expires_at) - timedelta(days=29)).date().isoformat()

    report_file = tmp_path / "rotate.json"
    with signing_in_with(lambda: world.sign_in(world.okta_connection, OKTA_LOGIN)) as results:
        rotated = world.project.ssoprov(
            "rotate", "--stack", "initech", "--as-of", due_day, "--json-report", str(report_file)
        )

    assert_certificate_rolled_over(
        rotated, report_file, results, stack="initech", idp="okta", broker="workos-saml-connection"
    )
    [_, new] = okta_store.saml_keys(app.id)
    assert okta_store.get_saml_app(app.id).signing_kid == new.kid
    assert world.trusted(world.okta_connection) == [new.credential.certificate_pem]
    assert world.sign_in(world.okta_connection, OKTA_LOGIN).signed_in

    # Okta signs with the old key again (as if switched back in its admin console): WorkOS refuses.
    okta_store.replace_saml_app(app.id, label=app.label, sign_on=app.sign_on, signing_kid=old.kid)
    refused = world.sign_in(world.okta_connection, OKTA_LOGIN)
    okta_store.replace_saml_app(app.id, label=app.label, sign_on=app.sign_on, signing_kid=new.kid)
    assert not refused.signed_in and "saml_signature_invalid" in refused.detail, refused.detail

    listed = world.project.ssoprov("secrets", "--stack", "initech", "--json")
    assert listed.code == 0, listed.stderr
    [certificate] = json.loads(listed.stdout)["secrets"]
    assert certificate["credential"] == "signingCertificate" and certificate["secretId"] == new.kid
    assert certificate["secretExpiresAt"] == new.expires_at[:10] and certificate["dueNow"] is False
    rotate_by = parse_timestamp(new.expires_at) - timedelta(days=30)
    assert certificate["secretRotateBy"] == calendar_date(rotate_by)


def test_a_second_up_changes_nothing(world: World, tmp_path: Path) -> None:
    report_file = tmp_path / "again.json"
    again = world.project.ssoprov("up", "--json-report", str(report_file))

    assert again.code == 0, again.stdout + again.stderr
    for entry in json.loads(report_file.read_text())["stacks"]:
        changes = entry["changes"]
        counts = (changes["created"], changes["updated"], changes["replaced"], changes["deleted"])
        assert counts == (0, 0, 0, 0), entry


def test_destroy_removes_the_idp_apps_and_leaves_the_dashboard_connections(world: World) -> None:
    for stack in ("initech", "acme"):
        world.project.stack(stack).destroy()

    assert not [a for a in world.sandbox.okta.store.apps() if isinstance(a, SamlApp)]
    assert world.sandbox.graph.store.find_application("Acme Corporation") is None
    store = world.sandbox.workos.store
    assert store.connection(world.okta_connection.id) is not None
    assert store.connection(world.entra_connection.id) is not None
