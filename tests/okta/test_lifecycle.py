"""OktaApp through the real Pulumi CLI against the Okta stand-in, throttled: up, no-op up, a group
change, a forced rotation, drift from refresh, destroy. Asserted in the stand-in's org and call log.
"""

from __future__ import annotations

import functools
import re
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pulumi.automation import CommandError

from sandbox.common.calls import Call
from sandbox.common.server import ServedApp
from sandbox.okta.app import OktaStandIn, build_okta_standin
from tests.okta.conftest import assert_conforms
from tests.okta.contract import ContractRecorder, OktaContract
from tests.okta.standin_apps import admin_edits
from tests.support.projects import StackProject

PROGRAM = Path(__file__).parent / "program"
REDIRECT_URI = "http://127.0.0.1:9/realms/r/broker/x/endpoint"
THROTTLE = {"throttle_count": 2, "throttle_wait_seconds": 0.2}
"""Switched on before every operation: each one meets two 429s and must ride them out."""


@dataclass
class ServedOrg:
    stand_in: OktaStandIn
    url: str
    token: str

    def calls(self, settle: float = 0.2) -> list[Call]:
        """The call log once it stops growing (a call is recorded just after its answer)."""
        seen = self.stand_in.calls.all()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            time.sleep(settle)
            now = self.stand_in.calls.all()
            if len(now) == len(seen):
                break
            seen = now
        return seen


@dataclass
class SecretWatch:
    """Every secret value the org ever held, and each app's secrets after every change to them."""

    values: set[str] = field(default_factory=set)
    states: list[tuple[str, list[tuple[str, str]]]] = field(default_factory=list)
    """(operation, [(secret id, status), ...] of the app right after it)."""


@pytest.fixture
def org(okta_contract: OktaContract | None) -> Iterator[ServedOrg]:
    """A fresh stand-in org; every answer it gives in the test is checked against Okta's OpenAPI."""
    token = "00" + secrets.token_urlsafe(30)
    stand_in = build_okta_standin(api_token=token)
    recorder = ContractRecorder(stand_in.app)
    with ServedApp(recorder) as served:
        yield ServedOrg(stand_in, served.url, token)
    assert_conforms(okta_contract, recorder.exchanges)


@pytest.fixture
def watch(org: ServedOrg) -> SecretWatch:
    """Wraps the stand-in store's secret-changing methods (test instrumentation only)."""
    store, seen = org.stand_in.store, SecretWatch()

    def after(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            with store._lock:  # the state right after this change, before any other
                result = method(*args, **kwargs)
                created = result[1] if name == "create_app" else result
                if created is not None and getattr(created, "value", None):
                    seen.values.add(created.value)
                app_id = result[0].id if name == "create_app" else args[0]
                state = [(s.id, s.status) for s in store.secrets(app_id)]
                seen.states.append((name, state))
            return result

        return wrapped

    for name in ("create_app", "create_secret", "deactivate_secret", "delete_secret"):
        setattr(store, name, after(name, getattr(store, name)))
    return seen


def organization(url: str, groups: list[str]) -> dict[str, Any]:
    return {
        "name": "acme",
        "displayName": "Acme Corp",
        "identityProvider": {
            "kind": "okta",
            "orgUrl": url,
            "groups": groups,
            "groupsClaim": {"name": "groups", "filterType": "regex", "value": ".*"},
        },
        "broker": {"kind": "keycloak", "url": "https://sso.example.com", "realm": "acme"},
        "roleMappings": [{"group": "Engineering", "role": "developer"}],
    }


def labels(calls: list[Call]) -> list[str]:
    """`METHOD /path` of the calls Okta answered (429s dropped), ids shown as <app>, <grp>, <ocs>."""
    shown = [call.label() for call in calls if call.status != 429]
    return [re.sub(r"/(0oa|00g|ocs)[A-Za-z0-9]{17}", lambda m: f"/<{m.group(1)}>", s) for s in shown]


def test_okta_app_lifecycle(
    stack_project: Callable[..., StackProject], org: ServedOrg, watch: SecretWatch
) -> None:
    store = org.stand_in.store
    seeded = store.snapshot()
    groups = {g.name: g.id for g in store.groups()}
    project = stack_project(
        "acme",
        {"ssoprov:organization": organization(org.url, ["Engineering", "Admins"])},
        program_dir=PROGRAM,
        env={"OKTA_API_TOKEN": org.token},
    )
    stack = project.stack
    cli_output: list[str] = []
    calls_per_step: dict[str, list[str]] = {}

    def step(name: str, operation: Callable[[], Any]) -> Any:
        org.stand_in.calls.clear()
        org.stand_in.faults.configure(**THROTTLE)
        result = operation()
        cli_output.extend([getattr(result, "stdout", ""), getattr(result, "stderr", "")])
        calls = org.calls()
        if calls:  # a no-op up calls nothing: diffs are computed from state
            assert any(call.status == 429 for call in calls), f"{name}: no 429 was served"
        assert all(call.status < 400 or call.status in (404, 429) for call in calls), calls
        calls_per_step[name] = labels(calls)
        return result

    def preview() -> Any:
        result = stack.preview()
        cli_output.extend([result.stdout, result.stderr])
        return result

    # -- up: one web app, its assignments, the groups claim, one secret -------------------------
    up = step("create", lambda: stack.up(show_secrets=False))
    assert up.summary.resource_changes == {"create": 7}  # stack, component, app, 2 groups, claim, secret
    (app,) = store.apps()
    assert app.status == "ACTIVE" and app.label == "Acme Corp SSO"
    assert app.oauth_settings["application_type"] == "web"
    assert app.oauth_settings["grant_types"] == ["authorization_code"]
    assert app.oauth_settings["response_types"] == ["code"]
    assert app.oauth_settings["redirect_uris"] == [REDIRECT_URI]
    assert app.token_endpoint_auth_method == "client_secret_basic" and app.pkce_required is False
    assert app.oauth_settings["issuer_mode"] == "ORG_URL"  # iss = the org URL the broker discovers
    assert {a.group_id for a in store.app_assignments(app.id)} == {groups["Engineering"], groups["Admins"]}
    claim = store.groups_claim(app.id)
    assert claim is not None
    assert (claim.name, claim.group_filter_type, claim.value) == ("groups", "REGEX", ".*")
    (secret,) = store.secrets(app.id)  # the app's creation secret is gone, the stack's is ACTIVE
    assert secret.status == "ACTIVE"
    outputs = stack.outputs()
    assert outputs["clientId"].value == app.client_id
    assert outputs["clientSecret"].secret and outputs["clientSecret"].value == secret.value
    assert outputs["secretId"].value == secret.id
    assert outputs["discoveryUrl"].value == f"{org.url}/.well-known/openid-configuration"
    assert outputs["groupClaimValues"].value == {"Engineering": "Engineering"}
    assert sorted(outputs["assignedGroups"].value) == ["Admins", "Engineering"]
    rotate_by = datetime.fromisoformat(outputs["secretRotateBy"].value).date()
    assert rotate_by == (datetime.now(UTC) + timedelta(days=180)).date()  # the default policy

    # -- a second up changes nothing --------------------------------------------------------------
    again = step("no-op up", lambda: stack.up(show_secrets=False))
    assert again.summary.resource_changes == {"same": 7}
    assert store.apps() == [app]

    # -- a changed group list touches only the assignments ----------------------------------------
    project.write_config({"ssoprov:organization": organization(org.url, ["Engineering", "Sales"])})
    changed = step("group change", lambda: stack.up(show_secrets=False))
    assert changed.summary.resource_changes == {"create": 1, "delete": 1, "same": 6}
    assert {a.group_id for a in store.app_assignments(app.id)} == {groups["Engineering"], groups["Sales"]}
    assert all("/groups" in label for label in calls_per_step["group change"])
    assert store.get_app(app.id) == app

    # -- a new label and an extra redirect URI update the app in place, and nothing else -----------
    relabelled = organization(org.url, ["Engineering", "Sales"])
    relabelled["displayName"] = "Acme Inc"
    relabelled["identityProvider"]["extraRedirectUris"] = ["https://app.acme.example/callback"]
    project.write_config({"ssoprov:organization": relabelled})
    admin_edits(store, app.id)  # notes, provisioning, visibility set in the Okta console meanwhile
    console = store.get_app(app.id)
    assert preview().change_summary == {"update": 1, "same": 6}  # dependents keep the app id
    updated = step("app update", lambda: stack.up(show_secrets=False))
    assert updated.summary.resource_changes == {"update": 1, "same": 6}
    app = store.get_app(app.id)
    assert app.label == "Acme Inc SSO"
    assert app.oauth_settings["redirect_uris"] == [REDIRECT_URI, "https://app.acme.example/callback"]
    assert (app.settings_extra, app.accessibility, app.visibility) == (
        console.settings_extra,
        console.accessibility,
        console.visibility,
    )

    # -- rotation, forced by moving the clock past rotateAfterDays --------------------------------
    old_secret = secret
    mark = len(watch.states)
    as_of = (datetime.now(UTC) + timedelta(days=200)).date().isoformat()
    stack.workspace.env_vars["SSOPROV_AS_OF"] = as_of  # type: ignore[index]
    try:
        rotated = step("rotation", lambda: stack.up(show_secrets=False))
    finally:
        del stack.workspace.env_vars["SSOPROV_AS_OF"]  # type: ignore[attr-defined]
    assert rotated.summary.resource_changes == {"replace": 1, "same": 6}
    (secret,) = store.secrets(app.id)
    assert secret.id != old_secret.id and secret.status == "ACTIVE"
    secrets_path = "/api/v1/apps/<0oa>/credentials/secrets"
    assert calls_per_step["rotation"] == [
        f"GET {secrets_path}",  # room for a new one?
        f"POST {secrets_path}",  # the new secret, before anything is removed
        f"GET {secrets_path}",  # the old one is not the only active one
        f"POST {secrets_path}/<ocs>/lifecycle/deactivate",
        f"DELETE {secrets_path}/<ocs>",
    ]
    assert watch.states[mark:] == [
        ("create_secret", [(old_secret.id, "ACTIVE"), (secret.id, "ACTIVE")]),
        ("deactivate_secret", [(old_secret.id, "INACTIVE"), (secret.id, "ACTIVE")]),
        ("delete_secret", [(secret.id, "ACTIVE")]),
    ]
    outputs = stack.outputs()
    assert outputs["clientSecret"].secret and outputs["clientSecret"].value == secret.value
    assert outputs["secretId"].value == secret.id
    assert step("no-op after rotation", lambda: stack.up(show_secrets=False)).summary.resource_changes == {
        "same": 7
    }

    # -- refresh sees an assignment removed out of band; up restores it ---------------------------
    store.unassign_group(app.id, groups["Sales"])
    step("refresh", lambda: stack.refresh(show_secrets=False))
    assert preview().change_summary == {"create": 1, "same": 6}
    restored = step("restore", lambda: stack.up(show_secrets=False))
    assert restored.summary.resource_changes == {"create": 1, "same": 6}
    assert {a.group_id for a in store.app_assignments(app.id)} == {groups["Engineering"], groups["Sales"]}
    assert stack.outputs()["clientSecret"].value == secret.value  # a refresh keeps the value Okta hides

    # -- destroy leaves the org exactly as seeded --------------------------------------------------
    step("destroy", lambda: stack.destroy(show_secrets=False))
    assert store.snapshot() == seeded

    # -- never an app without an active secret, never more than two secrets ------------------------
    assert len(watch.states) >= 7
    for operation, state in watch.states:
        assert 1 <= len(state) <= 2 and any(status == "ACTIVE" for _, status in state), (operation, state)

    # -- no secret value and no API token in plaintext, in state or in anything the CLI printed ----
    texts = [project.state_text(), *cli_output, project.stack_file.read_text()]
    assert len(watch.values) >= 3  # the app's creation secret, the first stack secret, the rotated one
    for text in texts:
        assert org.token not in text
        for value in watch.values:
            assert value not in text

    for name, seen in calls_per_step.items():
        print(f"{name}: {len(seen)} calls: {seen}")


def test_an_unknown_group_fails_the_up_naming_the_group_and_the_stack_key(
    stack_project: Callable[..., StackProject], org: ServedOrg
) -> None:
    seeded = org.stand_in.store.snapshot()
    project = stack_project(
        "acme",
        {"ssoprov:organization": organization(org.url, ["Engineering", "Enginering"])},
        program_dir=PROGRAM,
        env={"OKTA_API_TOKEN": org.token},
    )
    with pytest.raises(CommandError) as failure:
        project.stack.up(show_secrets=False)
    message = str(failure.value)
    assert "finding the Okta group named 'Enginering'" in message
    assert "Stack key: ssoprov:organization.identityProvider.groups." in message
    assert org.token not in message
    project.stack.destroy(show_secrets=False)
    assert org.stand_in.store.snapshot() == seeded
