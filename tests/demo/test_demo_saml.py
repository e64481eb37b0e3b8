"""`make demo`'s SAML organization, through the demo's own code: the shipped stack file
`stacks/Pulumi.vandelay-okta-saml.yaml` up with the real Pulumi CLI against the sandbox (free
ports, the session's real Keycloak), its users signed in through the broker and its table printed,
then destroyed. `make demo` itself runs on fixed ports, which tests leave alone."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from demo.__main__ import run_organizations
from sandbox.environment import LocalSandbox
from sandbox.keycloak import KeycloakServer
from sandbox.okta.store import SamlApp

ORGANIZATION = "vandelay-okta-saml"


def test_the_saml_organization_signs_its_users_in_with_their_roles_and_shows_its_certificate(
    keycloak: KeycloakServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with LocalSandbox(keycloak=keycloak) as sandbox:
        store = sandbox.okta.store
        certificates: list[str] = []
        create_saml_app = store.create_saml_app

        def create_and_note_its_certificate(*args: object, **kwargs: object) -> SamlApp:
            """The stand-in's own create; the app's key expiry noted for the table's check, since
            destroy removes the app before the test can look."""
            app = create_saml_app(*args, **kwargs)
            certificates.extend(key.expires_at[:10] for key in store.saml_keys(app.id))
            return app

        monkeypatch.setattr(store, "create_saml_app", create_and_note_its_certificate)

        failures = run_organizations(sandbox, tmp_path, [ORGANIZATION])

        remaining = [app for app in store.apps() if isinstance(app, SamlApp)]

    table = capsys.readouterr().out
    assert failures == 0, table
    assert f"== {ORGANIZATION}: okta SAML -> Keycloak" in table
    assert re.search(rf"metadata URL +{re.escape(sandbox.okta_url)}/app/\w+/sso/saml/metadata\n", table)
    assert f"cert expires    {certificates[0]}\n" in table and "client ID" not in table
    rotate_by = date.fromisoformat(certificates[0]) - timedelta(days=30)  # saml.rotateBeforeExpiryDays
    assert f"rotate by       {rotate_by.isoformat()}\n" in table
    rows = {line.split()[0]: line for line in table.splitlines() if line.startswith("   ") and "@" in line}
    assert "signed in: roles admin, developer, member" in rows["alice@acme.example"]
    assert "signed in: roles member;" in rows["carol@acme.example"]
    assert "refused:" in rows["dave@acme.example"]
    assert "not assigned this app in Okta" in rows["dave@acme.example"]
    assert "UNEXPECTED" not in table
    assert remaining == [], "pulumi destroy leaves the SAML app behind"
