"""The acceptance run: `ssoprov` over ten generated organizations (Entra, Okta, generic OIDC) against
the sandbox stand-ins and the real Keycloak, on the real Pulumi CLI.

One fleet per module: the first `up` (in the fixture) is what every test starts from. Each test
leaves the fleet in a state the others accept, so they pass in any order.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from sandbox.environment import LocalSandbox
from sandbox.graph.seed import CONTOSO
from sandbox.keycloak import KeycloakServer
from ssoprov.brokers.keycloak.client import from_environment
from ssoprov.clock import calendar_date, parse_timestamp
from ssoprov.verify_login import prepare_realm
from tests.fleet.fleet import FleetProject, Run, SealedSecret
from tests.support.graph_lag import lagging_graph

REALM = "customers"
KINDS = ["entra"] * 4 + ["okta"] * 3 + ["oidc"] * 3
DUE = "org03-entra"
"""The one organization whose policy makes its secret due 40 days from now."""
DRIFTING = "org04-entra"


def stack_names() -> list[str]:
    return [f"org{index:02d}-{kind}" for index, kind in enumerate(KINDS, start=1)]


def organization(sandbox: LocalSandbox, name: str) -> dict[str, Any]:
    kind = name.rsplit("-", 1)[1]
    spec: dict[str, Any] = {
        "name": name,
        "displayName": name.replace("-", " ").title(),
        "broker": {"kind": "keycloak", "url": sandbox.keycloak_url, "realm": REALM},
        "roleMappings": [{"group": "Engineering", "role": "developer"}, {"group": "Admins", "role": "admin"}],
        "defaultRole": "member",
    }
    if kind == "entra":
        spec["identityProvider"] = {
            "kind": "entra",
            "tenantId": CONTOSO.tenant_id,
            "assignments": {"groups": ["Engineering", "Admins"], "users": ["frank@contoso.example"]},
        }
    elif kind == "okta":
        spec["identityProvider"] = {
            "kind": "okta",
            "orgUrl": sandbox.okta_url,
            "groups": ["Engineering", "Admins"],
        }
    else:
        discovery = f"{sandbox.okta_url}/.well-known/openid-configuration"
        spec["identityProvider"] = {"kind": "oidc", "clientId": f"{name}-client", "discoveryUrl": discovery}
    if name == DUE:
        spec["clientSecret"] = {"lifetimeDays": 365, "rotateAfterDays": 30, "rotateBeforeExpiryDays": 30}
    return spec


@dataclass
class Fleet:
    sandbox: LocalSandbox
    project: FleetProject
    first_up: Run
    first_report: dict[str, Any]
    reports: Path

    def report(self, name: str) -> dict[str, dict[str, Any]]:
        document = json.loads((self.reports / name).read_text())
        return {entry["stack"]: entry for entry in document["stacks"]}


@pytest.fixture(scope="module")
def fleet(
    keycloak: KeycloakServer, sealed: SealedSecret, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Fleet]:
    root = tmp_path_factory.mktemp("sandbox-fleet")
    with LocalSandbox(keycloak=keycloak, graph=lagging_graph()) as sandbox:
        asyncio.run(prepare_realm(sandbox.keycloak_url, REALM, sandbox.engine_env()))
        project = FleetProject.create(root / "fleet", sealed, sandbox.engine_env())
        for name in stack_names():
            project.write_stack(name, organization(sandbox, name))
        reports = root / "reports"
        first = project.ssoprov("up", "--parallel", "4", "--json-report", str(reports / "first-up.json"))
        yield Fleet(sandbox, project, first, json.loads((reports / "first-up.json").read_text()), reports)


def keycloak_aliases(sandbox: LocalSandbox) -> set[str]:
    async def aliases() -> set[str]:
        async with from_environment(sandbox.keycloak_url, sandbox.engine_env()) as admin:
            return {provider["alias"] for provider in await admin.list_identity_providers(REALM)}

    return asyncio.run(aliases())


def test_up_over_ten_organizations_converges_and_a_second_run_changes_nothing(fleet: Fleet) -> None:
    assert fleet.first_up.code == 0, fleet.first_up.stdout + fleet.first_up.stderr
    first = {entry["stack"]: entry for entry in fleet.first_report["stacks"]}
    assert sorted(first) == stack_names()
    assert {entry["status"] for entry in first.values()} == {"succeeded"}
    assert all(entry["changes"]["created"] > 0 for entry in first.values())
    assert keycloak_aliases(fleet.sandbox) >= set(stack_names())

    second = fleet.project.ssoprov(
        "up", "--parallel", "4", "--json-report", str(fleet.reports / "second-up.json")
    )

    assert second.code == 0, second.stdout + second.stderr
    again = fleet.report("second-up.json")
    assert sorted(again) == stack_names()
    for name, entry in again.items():
        assert_unchanged(entry, first[name]["changes"]["created"], name)
        # Answered from the record the first up left: spec, program and state unchanged, nothing due.
        assert entry["settled"]["by"] == "up", name
    assert "settled since the up of" in second.stdout

    # What the records claim, Pulumi confirms: a full preview of every stack plans nothing.
    full = fleet.project.ssoprov(
        "preview", "--full", "--parallel", "4", "--json-report", str(fleet.reports / "full-preview.json")
    )
    assert full.code == 0, full.stdout + full.stderr
    for name, entry in fleet.report("full-preview.json").items():
        assert_unchanged(entry, first[name]["changes"]["created"], name)
        assert "settled" not in entry and "outputsChanged" not in entry, name

    # That preview planned nothing, outputs included, and left its inputs as it found them.
    again = fleet.project.ssoprov("preview", "--json-report", str(fleet.reports / "settled-preview.json"))
    assert again.code == 0, again.stdout + again.stderr
    assert {entry["settled"]["by"] for entry in fleet.report("settled-preview.json").values()} == {"preview"}


def assert_unchanged(entry: dict[str, Any], resources: int, name: str) -> None:
    changes = entry["changes"]
    assert entry["status"] == "succeeded", name
    assert [changes[key] for key in ("created", "updated", "replaced", "deleted")] == [0, 0, 0, 0], name
    assert changes["unchanged"] == resources, name
    assert entry["steps"] == [], name


def test_a_settled_stack_runs_again_when_a_secret_falls_due_or_its_spec_changes(fleet: Fleet) -> None:
    as_of = (datetime.now(UTC) + timedelta(days=40)).date().isoformat()
    edited = "org05-okta"
    # A wrong passphrase fails the real run before any plan: a settled stack is not answered for.
    wrong = fleet.project.ssoprov(
        "preview", "--stack", DUE, "--stack", edited, env={"PULUMI_CONFIG_PASSPHRASE": "not the passphrase"}
    )
    assert wrong.code == 1, wrong.stdout + wrong.stderr
    assert "incorrect passphrase" in wrong.stdout and "settled" not in wrong.stdout
    spec = organization(fleet.sandbox, edited)
    fleet.project.write_stack(edited, {**spec, "displayName": "Org05 Okta Renamed"})
    try:
        planned = fleet.project.ssoprov(
            "preview",
            "--stack",
            DUE,
            "--stack",
            edited,
            "--json-report",
            str(fleet.reports / "due-preview.json"),
            env={"SSOPROV_AS_OF": as_of},
        )
    finally:
        fleet.project.write_stack(edited, spec)

    assert planned.code == 0, planned.stdout + planned.stderr
    report = fleet.report("due-preview.json")
    assert "settled" not in report[DUE] and "settled" not in report[edited]
    assert ("replace", "entra:ClientSecret") in {(step["op"], step["type"]) for step in report[DUE]["steps"]}
    assert ("update", "okta:OidcApp") in {(step["op"], step["type"]) for step in report[edited]["steps"]}


def test_secrets_json_lists_every_stack_with_its_expiry(fleet: Fleet) -> None:
    listed = fleet.project.ssoprov("secrets", "--json")

    assert listed.code == 0, listed.stderr
    secrets = {entry["stack"]: entry for entry in json.loads(listed.stdout)["secrets"]}
    assert sorted(secrets) == stack_names()
    graph, okta = fleet.sandbox.graph.store, fleet.sandbox.okta.store
    today = datetime.now(UTC).date()
    for name, entry in secrets.items():
        kind = name.rsplit("-", 1)[1]
        assert entry["identityProvider"] == kind
        if kind == "oidc":
            assert entry["managed"] is False
            assert entry["secretExpiresAt"] is None and entry["secretRotateBy"] is None
            continue
        assert entry["managed"] is True and entry["dueNow"] is False, name
        rotate_after = 30 if name == DUE else 180
        if kind == "entra":
            application = graph.find_application(name.replace("-", " ").title())
            assert application is not None
            [password] = application["passwordCredentials"]
            assert password["keyId"] == entry["secretId"]
            created = parse_timestamp(password["startDateTime"])
            assert entry["secretExpiresAt"] == calendar_date(password["endDateTime"])
            # Whole days between the dates shown; a secret made during this module: about a year.
            assert entry["daysLeft"] == (date.fromisoformat(entry["secretExpiresAt"]) - today).days
            assert 363 <= entry["daysLeft"] <= 365, name
        else:
            [secret] = [s for app in okta.apps() for s in okta.secrets(app.id) if s.id == entry["secretId"]]
            created = parse_timestamp(secret.created)
            # Okta secrets do not expire: no expiry date, no days left; a rotate-by date all the same.
            assert entry["secretExpiresAt"] is None and entry["daysLeft"] is None, name
        assert entry["createdAt"] == calendar_date(created), name
        assert entry["secretRotateBy"] == calendar_date(created + timedelta(days=rotate_after)), name


def test_rotate_replaces_exactly_the_one_due_secret(fleet: Fleet) -> None:
    as_of = (datetime.now(UTC) + timedelta(days=40)).date().isoformat()
    graph = fleet.sandbox.graph.store
    application = graph.find_application(DUE.replace("-", " ").title())
    assert application is not None
    [old_password] = application["passwordCredentials"]

    planned = fleet.project.ssoprov(
        "rotate", "--dry-run", "--as-of", as_of, "--json-report", str(fleet.reports / "plan.json")
    )
    assert planned.code == 0, planned.stderr
    plan = fleet.report("plan.json")
    assert [name for name, entry in plan.items() if entry["status"] == "due"] == [DUE]
    assert "older than 30 days" in plan[DUE]["secret"]["reason"]
    assert graph.get_application(application["id"])["passwordCredentials"] == [old_password]
    nothing = fleet.project.ssoprov("rotate", "--dry-run")
    assert nothing.code == 0 and "0 of 10 deployed stack(s) have a secret due" in nothing.stderr

    rotated = fleet.project.ssoprov(
        "rotate", "--as-of", as_of, "--parallel", "4", "--json-report", str(fleet.reports / "rotate.json")
    )

    assert rotated.code == 0, rotated.stdout + rotated.stderr
    report = fleet.report("rotate.json")
    assert [name for name, entry in report.items() if entry["status"] == "rotated"] == [DUE]
    assert {entry["status"] for name, entry in report.items() if name != DUE} <= {"not-due", "not-managed"}
    entry = report[DUE]
    assert entry["previous"]["secretId"] == old_password["keyId"]
    [new_password] = graph.get_application(application["id"])["passwordCredentials"]
    assert new_password["keyId"] == entry["secret"]["secretId"] != old_password["keyId"]
    ops = {(step["op"], step["type"]) for step in entry["steps"]}
    assert ("replace", "entra:ClientSecret") in ops
    assert any(op == "update" and kind.startswith("keycloak:") for op, kind in ops), ops
    assert DUE in rotated.stdout and "rotated" in rotated.stdout


def test_drift_finds_a_redirect_uri_changed_in_the_graph_standin(fleet: Fleet) -> None:
    graph = fleet.sandbox.graph.store
    application = graph.find_application(DRIFTING.replace("-", " ").title())
    assert application is not None
    redirects = application["web"]["redirectUris"]
    graph.update_application(application["id"], {"web": {"redirectUris": ["https://portal.example/edited"]}})

    found = fleet.project.ssoprov(
        "drift", "--parallel", "4", "--json-report", str(fleet.reports / "drift.json")
    )

    assert found.code == 1, found.stdout + found.stderr
    report = fleet.report("drift.json")
    drifted = {name: entry for name, entry in report.items() if entry["status"] == "drifted"}
    assert sorted(drifted) == [DRIFTING], {name: e["steps"] for name, e in drifted.items()}
    [step] = drifted[DRIFTING]["steps"]
    assert step["op"] == "update" and step["type"] == "entra:Application"
    assert any("redirect" in diff for diff in step["diffs"]), step
    assert {entry["status"] for name, entry in report.items() if name != DRIFTING} == {"succeeded"}
    # Preview only: the edit is still in the stand-in, nothing was put back.
    edited = ["https://portal.example/edited"]
    assert graph.get_application(application["id"])["web"]["redirectUris"] == edited != redirects

    # A plain up compares with the recorded state and sees nothing; up --refresh puts it back.
    repaired = fleet.project.ssoprov(
        "up", "--refresh", "--stack", DRIFTING, "--json-report", str(fleet.reports / "repair.json")
    )
    assert repaired.code == 0, repaired.stdout + repaired.stderr
    [step] = fleet.report("repair.json")[DRIFTING]["steps"]
    assert (step["op"], step["type"]) == ("update", "entra:Application")
    assert graph.get_application(application["id"])["web"]["redirectUris"] == redirects
    assert fleet.project.ssoprov("drift", "--stack", DRIFTING).code == 0
