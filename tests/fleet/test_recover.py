"""`ssoprov recover` after a rotation killed mid-create: the client secret the IdP made but no state
records is removed, and the user is told which one, in the progress lines, the table and the JSON
report (its id only, never its value)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from ssoprov.untracked_secrets import removed_in, say_removed
from tests.fleet.conftest import SaaSStandIns
from tests.fleet.fleet import FleetProject
from tests.fleet.test_fleet_workos import okta_organization


def test_recover_names_the_leftover_client_secret_it_removed(
    fleet_project: Callable[[dict[str, str]], FleetProject], saas: SaaSStandIns, tmp_path: Path
) -> None:
    project = fleet_project(saas.env())
    project.write_stack("soylent-okta", okta_organization(saas, "soylent-okta"))
    assert project.ssoprov("up").code == 0
    [app] = saas.okta.store.apps()
    [recorded] = [secret.id for secret in saas.okta.store.secrets(app.id)]
    # What the killed run left: the new secret Okta made before the engine heard of it, and its lock.
    leftover = saas.okta.store.create_secret(app.id, None)
    project.leave_dead_lock("soylent-okta")
    report_file = tmp_path / "recover.json"

    recovered = project.ssoprov("recover", "--stack", "soylent-okta", "--json-report", str(report_file))

    assert recovered.code == 0, recovered.stdout + recovered.stderr
    assert [secret.id for secret in saas.okta.store.secrets(app.id)] == [recorded]
    assert f"[soylent-okta] Okta: removed client secret {leftover.id} (created " in recovered.stderr
    assert "no stack tracked it" in recovered.stderr
    [row] = [line for line in recovered.stdout.splitlines() if line.startswith("soylent-okta")]
    assert f"removed 1 client secret that no stack tracked: {leftover.id}" in row, recovered.stdout
    [entry] = json.loads(report_file.read_text())["stacks"]
    assert entry["status"] == "succeeded" and entry["untrackedSecretsRemoved"] == [leftover.id]
    assert leftover.value not in recovered.stdout + recovered.stderr + report_file.read_text()


def test_each_providers_removal_line_is_told_from_other_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    say_removed("Okta", "ocs1", "created 2027-01-09T08:00:00.000Z", "app 0oa1", "creating")
    say_removed(
        "Entra", "k-1", "'ssoprov: acme (EU) SSO broker', added 2027-01-09", "application a1", "adding"
    )
    stderr = capsys.readouterr().err

    found = removed_in(f"DeprecationWarning: removed client secret support\n{stderr}\n")

    assert [secret_id for _, secret_id in found] == ["ocs1", "k-1"]
    assert found[1][0] == (
        "Entra: removed client secret k-1 ('ssoprov: acme (EU) SSO broker', added 2027-01-09) from "
        "application a1: no stack tracked it; a run was interrupted after adding it"
    )
