"""`ssoprov` over a small fleet on the real CLI, with the WorkOS and Okta stand-ins (no Keycloak):
parallel up that converges, a failing and an invalid stack that stay alone, the expiry report,
drift found without touching anything."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from components.clock import parse_timestamp
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
    created = parse_timestamp(stand_in_secret.created).replace(microsecond=0)
    assert parse_timestamp(entry["createdAt"]) == created
    # Okta secrets never expire: the policy's notional expiry, lifetimeDays after creation.
    assert parse_timestamp(entry["secretExpiresAt"]) == created + timedelta(days=200)
    assert entry["expiryIsNotional"] is True and entry["dueNow"] is False
    assert entry["daysLeft"] in (199, 200)
    assert parse_timestamp(entry["rotationDueAt"]) == created + timedelta(days=90)
    table = project.ssoprov("secrets")
    assert table.code == 0 and "(notional)" in table.stdout
    assert [line.split()[:3] for line in table.stdout.splitlines()[3:6]] == [
        ["not-yet", "not-yet", "-"],
        ["oidc-one", "oidc-one", "oidc"],
        ["okta-one", "okta-one", "okta"],
    ]

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
