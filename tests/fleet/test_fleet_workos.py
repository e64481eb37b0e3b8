"""`ssoprov` over a small fleet on the real CLI, with the WorkOS and Okta stand-ins (no Keycloak):
parallel up that converges, a failing and an invalid stack that stay alone, the expiry report,
drift found without touching anything."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ssoprov.clock import calendar_date, parse_timestamp
from tests.fleet.conftest import OIDC_CLIENT_SECRET, SaaSStandIns
from tests.fleet.fleet import FleetProject

REDIRECT = "https://auth.example.com/sso/oidc/callback"


def workos_broker(saas: SaaSStandIns, name: str) -> dict[str, Any]:
    org_id = saas.workos.store.add_organization(name.title())
    return {"kind": "workos", "organizationId": org_id, "redirectUri": REDIRECT}


def oidc_organization(saas: SaaSStandIns, name: str, discovery_url: str) -> dict[str, Any]:
    return {
        "name": name,
        "displayName": name.replace("-", " ").title(),
        "identityProvider": {"kind": "oidc", "clientId": f"{name}-client", "discoveryUrl": discovery_url},
        "broker": workos_broker(saas, name),
    }


def okta_organization(saas: SaaSStandIns, name: str, lifetime_days: int = 365) -> dict[str, Any]:
    return {
        "name": name,
        "displayName": name.replace("-", " ").title(),
        "identityProvider": {"kind": "okta", "orgUrl": saas.okta_url, "groups": ["Engineering"]},
        "broker": workos_broker(saas, name),
        "clientSecret": {"lifetimeDays": lifetime_days, "rotateAfterDays": 90, "rotateBeforeExpiryDays": 30},
    }


def stacks_by_name(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["stack"]: entry for entry in report["stacks"]}


def test_parallel_up_converges_while_a_failing_and_an_invalid_stack_stay_alone(
    fleet_project: Callable[[dict[str, str]], FleetProject],
    saas: SaaSStandIns,
    discovery_url: str,
    dead_discovery_url: str,
    tmp_path: Path,
) -> None:
    project = fleet_project(saas.env())
    good = ["good-a", "good-b", "good-c"]
    for name in good:
        project.write_stack(name, oidc_organization(saas, name, discovery_url))
    project.write_stack("good-okta", okta_organization(saas, "good-okta"))
    project.write_stack("down-oidc", oidc_organization(saas, "down-oidc", dead_discovery_url))
    invalid = oidc_organization(saas, "bad-spec", discovery_url)
    invalid["clientSecret"] = {"lifetimeDays": 900}
    project.write_stack("bad-spec", invalid)
    report_file = tmp_path / "up.json"

    first = project.ssoprov("up", "--parallel", "3", "--json-report", str(report_file))

    assert first.code == 1, first.stderr
    report = json.loads(report_file.read_text())
    stacks = stacks_by_name(report)
    assert sorted(stacks) == ["bad-spec", "down-oidc", "good-a", "good-b", "good-c", "good-okta"]
    for name in good:
        assert stacks[name]["status"] == "succeeded"
        assert stacks[name]["changes"] == {
            "created": 3,
            "updated": 0,
            "replaced": 0,
            "deleted": 0,
            "unchanged": 0,
        }
    assert stacks["good-okta"]["status"] == "succeeded" and stacks["good-okta"]["changes"]["created"] >= 5
    # The IdP that does not answer fails its stack only, with the file, the key and the fix.
    down = stacks["down-oidc"]
    assert down["status"] == "failed"
    assert any(
        "stacks/Pulumi.down-oidc.yaml: ssoprov:organization.identityProvider.discoveryUrl: cannot reach" in e
        and "Fix:" in e
        for e in down["errors"]
    ), down["errors"]
    # The invalid file never reached the engine: no stack in the backend, problem printed.
    assert stacks["bad-spec"]["status"] == "invalid"
    problem = "stacks/Pulumi.bad-spec.yaml: ssoprov:organization.clientSecret.lifetimeDays"
    assert problem in stacks["bad-spec"]["errors"][0] and "Fix:" in stacks["bad-spec"]["errors"][0]
    assert problem in first.stderr
    assert report["totals"]["succeeded"] == 4 and report["totals"]["failed"] == 1 and report["exitCode"] == 1
    # Every good stack's connection exists, with the sealed secret; none for the failing one.
    connections = {c.external_id: c for c in saas.workos.store.connections.values()}
    assert sorted(connections) == sorted([*good, "good-okta"])
    assert connections["good-a"].oidc.client_secret == OIDC_CLIENT_SECRET
    # The table on stdout: one row per stack, results and counts; CI gets plain progress lines.
    assert "down-oidc" in first.stdout and "failed" in first.stdout and "invalid" in first.stdout
    assert (
        "[good-a] up started" in first.stderr and "[good-a] created good-a-workos-connection" in first.stderr
    )
    assert OIDC_CLIENT_SECRET not in first.stdout + first.stderr + report_file.read_text()
    assert not (project.root / ".pulumi-state" / ".pulumi" / "stacks" / "ssoprov" / "bad-spec.json").exists()

    second = project.ssoprov("up", "--stack", "good-*", "--parallel", "3", "--json-report", str(report_file))

    assert second.code == 0, second.stderr
    again = stacks_by_name(json.loads(report_file.read_text()))
    assert sorted(again) == sorted([*good, "good-okta"])
    for entry in again.values():
        assert entry["status"] == "succeeded"
        changes = entry["changes"]
        assert changes["created"] == changes["updated"] == changes["replaced"] == changes["deleted"] == 0
        assert changes["unchanged"] > 0 and entry["steps"] == []


def test_secrets_report_and_drift_across_the_fleet(
    fleet_project: Callable[[dict[str, str]], FleetProject],
    saas: SaaSStandIns,
    discovery_url: str,
) -> None:
    project = fleet_project(saas.env())
    project.write_stack("okta-one", okta_organization(saas, "okta-one", lifetime_days=200))
    project.write_stack("oidc-one", oidc_organization(saas, "oidc-one", discovery_url))
    project.write_stack("not-yet", oidc_organization(saas, "not-yet", discovery_url))
    assert project.ssoprov("up", "--stack", "okta-*", "--stack", "oidc-*").code == 0

    listed = project.ssoprov("secrets", "--json")

    assert listed.code == 0, listed.stderr
    document = json.loads(listed.stdout)
    secrets = {entry["stack"]: entry for entry in document["secrets"]}
    assert sorted(secrets) == ["oidc-one", "okta-one"]
    assert stacks_by_name(document)["not-yet"]["status"] == "not-deployed"
    assert secrets["oidc-one"]["managed"] is False and secrets["oidc-one"]["secretExpiresAt"] is None
    entry = secrets["okta-one"]
    [stand_in_secret] = [
        secret
        for app in saas.okta.store.apps()
        for secret in saas.okta.store.secrets(app.id)
        if secret.id == entry["secretId"]
    ]
    created = parse_timestamp(stand_in_secret.created)
    assert entry["createdAt"] == calendar_date(created)
    # Okta secrets do not expire: no expiry date anywhere, a rotate-by date instead (rotateAfterDays 90).
    assert entry["secretExpiresAt"] is None and entry["daysLeft"] is None and entry["dueNow"] is False
    rotate_by = calendar_date(created + timedelta(days=90))
    assert entry["secretRotateBy"] == rotate_by
    outputs = project.stack("okta-one").outputs()
    assert outputs["secretRotateBy"].value == rotate_by
    assert "secretExpiresAt" not in outputs  # no invented expiry in the stack outputs either
    table = project.ssoprov("secrets")
    assert table.code == 0
    rows = [line.split() for line in table.stdout.splitlines()[3:6]]
    assert rows == [
        ["not-yet", "not-yet", "-", "-", "-", "not-deployed"],
        [
            "oidc-one",
            "oidc-one",
            "oidc",
            "-",
            "-",
            "not-managed",
            "the",
            "customer's",
            "IT",
            "team",
            "owns",
            "this",
            "secret",
        ],
        ["okta-one", "okta-one", "okta", "does", "not", "expire", rotate_by, "not-due"],
    ], table.stdout

    [connection] = [c for c in saas.workos.store.connections.values() if c.external_id == "oidc-one"]
    connection.name = "Renamed in the dashboard"
    drifted = project.ssoprov("drift", "--json-report", str(project.root / "drift.json"))

    assert drifted.code == 1
    report = stacks_by_name(json.loads((project.root / "drift.json").read_text()))
    assert report["oidc-one"]["status"] == "drifted"
    assert report["oidc-one"]["steps"] == [
        {
            "op": "update",
            "name": "oidc-one-workos-connection",
            "type": "pulumi-python:dynamic:Resource",
            "diffs": ["name"],
        }
    ]
    assert report["okta-one"]["status"] == "succeeded" and report["okta-one"]["steps"] == []
    assert report["not-yet"]["status"] == "not-deployed"
    assert "oidc-one-workos-connection (pulumi-python:dynamic:Resource) changed: name" in drifted.stdout
    # Preview only: neither the connection nor the state changed, so the drift is still there.
    assert connection.name == "Renamed in the dashboard"
    assert project.ssoprov("drift", "--stack", "oidc-one").code == 1


GRPC_NOISE = "Exception calling application"


def test_a_stack_that_fails_after_creating_resources_counts_them_and_shows_the_real_error(
    fleet_project: Callable[[dict[str, str]], FleetProject], saas: SaaSStandIns, tmp_path: Path
) -> None:
    project = fleet_project(saas.env())
    broken = okta_organization(saas, "broken-okta")
    broken["identityProvider"]["groups"] = ["Engineering", "No Such Group"]
    project.write_stack("broken-okta", broken)
    report_file = tmp_path / "up.json"

    run = project.ssoprov("up", "--json-report", str(report_file))

    assert run.code == 1, run.stdout + run.stderr
    [entry] = json.loads(report_file.read_text())["stacks"]
    assert entry["status"] == "failed"
    # The app was created before the group lookup failed, and it stays: the report says so.
    [app] = saas.okta.store.apps()
    created = [step["name"] for step in entry["steps"] if step["op"] == "create"]
    assert "broken-okta-okta-app" in created, entry["steps"]
    changes = entry["changes"]
    assert changes is not None, entry
    # The engine's own count: the recorded steps plus the stack and the components around them.
    assert changes["created"] >= len(created) + 3 and changes["deleted"] == 0, (changes, created)
    table_row = next(line for line in run.stdout.splitlines() if line.startswith("broken-okta"))
    assert table_row.split()[1:3] == ["failed", str(changes["created"])], table_row
    # The real message, without gRPC's wrapper, in the JSON, the table and the progress lines.
    [error] = entry["errors"]  # the engine's closing "update failed" adds nothing
    assert "'No Such Group'" in error and "Stack key: ssoprov:organization.identityProvider.groups" in error
    assert "No Such Group" in table_row
    assert "[broken-okta] error: " in run.stderr and "No Such Group" in run.stderr
    assert GRPC_NOISE not in report_file.read_text() + run.stdout + run.stderr
    assert (
        run.stdout.rstrip()
        .splitlines()[-1]
        .startswith(
            f"up: 1 stack (1 failed); resources {changes['created']} created, 0 updated, 0 replaced, "
            "0 deleted, 0 unchanged; "
        )
    )
    assert app.label == "Broken Okta SSO"


def test_a_bad_ssoprov_as_of_stops_pulumi_before_any_resource_with_one_clear_message(
    fleet_project: Callable[[dict[str, str]], FleetProject], saas: SaaSStandIns
) -> None:
    project = fleet_project(saas.env())
    project.write_stack("acme-okta", okta_organization(saas, "acme-okta"))
    assert project.pulumi("stack", "init", "acme-okta", "--secrets-provider", "passphrase").returncode == 0
    today = datetime.now(UTC).date()
    yesterday = (today - timedelta(days=1)).isoformat()

    for command, value, problem in [
        (["preview"], "2027-13-01", "is not a date: write it as YYYY-MM-DD (a UTC calendar date)"),
        (["up", "--yes"], yesterday, f"is in the past (today is {today.isoformat()} UTC)"),
    ]:
        done = project.pulumi(*command, "--stack", "acme-okta", SSOPROV_AS_OF=value)

        output = done.stdout + done.stderr
        assert done.returncode != 0, output
        assert f"SSOPROV_AS_OF '{value}' {problem}" in output, output
        assert f"Fix: set SSOPROV_AS_OF={today.isoformat()} or a later date, or unset it" in output
        assert "Traceback" not in output and "month must be in" not in output

    # Refused before any resource: no API call, nothing in the state.
    assert saas.okta.calls.all() == [] and saas.workos.calls.all() == []
    exported = project.pulumi("stack", "export", "--stack", "acme-okta")
    assert "okta:OidcApp" not in exported.stdout
    # A timestamp, the form the rotation tests use, is accepted.
    later = (datetime.now(UTC) + timedelta(days=200)).isoformat()
    accepted = project.pulumi("preview", "--stack", "acme-okta", SSOPROV_AS_OF=later)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr


def test_a_stack_whose_first_up_failed_is_incomplete_and_rotate_leaves_it_to_up(
    fleet_project: Callable[[dict[str, str]], FleetProject], saas: SaaSStandIns, tmp_path: Path
) -> None:
    project = fleet_project({**saas.env(), "SSOPROV_RETRY_BUDGET_SECONDS": "1"})
    project.write_stack("half-okta", okta_organization(saas, "half-okta"))
    # Okta's secrets endpoint fails for good: the first `up` stops before any client secret exists
    # (the app's create reads the app's first secret, fails, and takes the app back).
    saas.okta.faults.configure(server_error_count=-1, server_error_status=500, path_contains="/credentials/")
    assert project.ssoprov("up").code == 1

    listed = project.ssoprov("secrets", "--json")

    assert listed.code == 0, listed.stderr
    document = json.loads(listed.stdout)
    assert stacks_by_name(document)["half-okta"]["status"] == "incomplete"
    [entry] = document["secrets"]
    assert entry["dueNow"] is False and entry["secretRotateBy"] is None
    assert "Fix: run `ssoprov up --stack half-okta`" in entry["note"]
    table = project.ssoprov("secrets")
    [row] = [line for line in table.stdout.splitlines() if line.startswith("half-okta")]
    assert row.split()[:6] == ["half-okta", "half-okta", "okta", "-", "-", "incomplete"], row
    assert "Fix: run `ssoprov up --stack half-okta`" in row

    saas.okta.calls.clear()
    report_file = tmp_path / "rotate.json"
    rotated = project.ssoprov("rotate", "--json-report", str(report_file))

    # Not retried by a rotation run: no `up`, not a single Okta call; the way out is named.
    assert rotated.code == 0, rotated.stdout + rotated.stderr
    assert stacks_by_name(json.loads(report_file.read_text()))["half-okta"]["status"] == "incomplete"
    assert "0 of 1 deployed stack(s) have a secret due" in rotated.stderr
    assert "half-okta: skipped, no client secret in the state" in rotated.stderr
    assert saas.okta.calls.all() == []

    saas.okta.faults.reset()
    assert project.ssoprov("up").code == 0
    finished = json.loads(project.ssoprov("secrets", "--json").stdout)
    assert stacks_by_name(finished)["half-okta"]["status"] == "not-due"


def test_a_stack_with_nothing_deployed_is_not_deployed_and_nothing_says_to_run_up(
    fleet_project: Callable[[dict[str, str]], FleetProject],
    saas: SaaSStandIns,
    discovery_url: str,
    tmp_path: Path,
) -> None:
    """Destroyed stacks, a stack a first preview made, one a bare `stack init` made: the backend holds
    each, with no resource. `incomplete` would tell the user to run `up`, deploying the customer a
    person removed on purpose."""
    project = fleet_project(saas.env())
    for name in ("gone-okta", "previewed-okta", "bare-okta"):
        project.write_stack(name, okta_organization(saas, name))
    project.write_stack("gone-oidc", oidc_organization(saas, "gone-oidc", discovery_url))
    assert project.ssoprov("up", "--stack", "gone-*").code == 0
    for name in ("gone-okta", "gone-oidc"):
        destroyed = project.pulumi("destroy", "--yes", "--stack", name)
        assert destroyed.returncode == 0, destroyed.stdout + destroyed.stderr
    assert project.ssoprov("preview", "--stack", "previewed-okta").code == 0
    assert project.pulumi("stack", "init", "bare-okta", "--no-select").returncode == 0
    empty = dict.fromkeys(["bare-okta", "gone-oidc", "gone-okta", "previewed-okta"], "not-deployed")
    saas.okta.calls.clear()
    saas.workos.calls.clear()

    listed = project.ssoprov("secrets", "--json")

    assert listed.code == 0, listed.stderr
    document = json.loads(listed.stdout)
    assert {name: entry["status"] for name, entry in stacks_by_name(document).items()} == empty
    assert document["secrets"] == []
    table = project.ssoprov("secrets")
    rows = [line.split()[:6] for line in table.stdout.splitlines()[3:7]]
    assert rows == [[name, name, "-", "-", "-", "not-deployed"] for name in sorted(empty)], table.stdout
    assert "holds no resources (none deployed yet, or destroyed)" in table.stdout
    assert "ssoprov up" not in table.stdout + table.stderr

    far = (datetime.now(UTC) + timedelta(days=400)).date().isoformat()
    for dry_run in (["--dry-run"], []):
        report_file = tmp_path / "rotate.json"
        rotated = project.ssoprov("rotate", *dry_run, "--as-of", far, "--json-report", str(report_file))

        assert rotated.code == 0, rotated.stdout + rotated.stderr
        statuses = {
            name: entry["status"] for name, entry in stacks_by_name(rotated.json_report(report_file)).items()
        }
        assert statuses == empty, dry_run
        assert "0 of 0 deployed stack(s) have a secret due" in rotated.stderr
        assert "skipped" not in rotated.stderr and "ssoprov up" not in rotated.stdout + rotated.stderr

    drift_file = tmp_path / "drift.json"
    drifted = project.ssoprov("drift", "--json-report", str(drift_file))
    assert drifted.code == 0, drifted.stdout + drifted.stderr
    assert {
        name: entry["status"] for name, entry in stacks_by_name(drifted.json_report(drift_file)).items()
    } == empty

    page = tmp_path / "fleet.html"
    assert project.ssoprov("report", "--html", str(page)).code == 0
    assert page.read_text().count(">not-deployed</td>") == 4 and "incomplete" not in page.read_text()
    # Nothing was read or made at the services: no stack ran.
    assert saas.okta.calls.all() == [] and saas.workos.calls.all() == []
