"""EntraApp through the real Pulumi CLI against the Graph stand-in: up, no-op up, in-place update,
a group swap, drift found by refresh, a forced rotation, destroy; with 429s and replication
delays; Microsoft OAuth; a misspelt group. Asserted in the stand-in's tenant and call log.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pulumi.automation import CommandError

from sandbox.common.calls import Call
from sandbox.graph.seed import CONTOSO, MICROSOFT_GRAPH_APP_ID, MICROSOFT_GRAPH_SCOPES
from ssoprov.clock import calendar_date
from tests.entra.conftest import ServedGraph
from tests.support.graph_contract import contract_violations
from tests.support.graph_lag import GRAPH_REPLICATION_LAG_SECONDS
from tests.support.projects import StackProject

PROGRAM = Path(__file__).parent / "program"
REDIRECT_URI = "http://127.0.0.1:9/realms/r/broker/x/endpoint"
EXTRA_URI = "https://app.acme.example/callback"
SECRET_NAME = "ssoprov: acme SSO broker"
DEFAULT_ROLE = "00000000-0000-0000-0000-000000000000"
GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
ASSIGNMENT_ID = re.compile(r"(appRoleAssignedTo)/[A-Za-z0-9_-]{40,}")


def when(timestamp: str) -> datetime:
    """A Graph timestamp (seven fractional digits) or ours (six), as a datetime."""
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00"))


def group_id(name: str) -> str:
    return CONTOSO.group(name).id


def user_id(upn: str) -> str:
    return CONTOSO.user(upn).id


def organization(
    groups: list[str], *, users: list[str] | None = None, extra: list[str] | None = None
) -> dict[str, Any]:
    return {
        "name": "acme",
        "displayName": "Acme Corp",
        "identityProvider": {
            "kind": "entra",
            "tenantId": CONTOSO.tenant_id,
            "extraRedirectUris": extra or [],
            "optionalClaims": ["email", "given_name", "family_name"],
            "groupsClaim": "ApplicationGroup",
            "assignmentRequired": True,
            "assignments": {"groups": groups, "users": users or []},
        },
        "broker": {"kind": "keycloak", "url": "https://sso.example.com", "realm": "acme"},
        "clientSecret": {"lifetimeDays": 365, "rotateAfterDays": 180, "rotateBeforeExpiryDays": 30},
        "roleMappings": [{"group": "Engineering", "role": "developer"}],
    }


@dataclass
class Watch:
    """Every secret value the tenant handed out, and the CLI's output of every step."""

    values: set[str] = field(default_factory=set)
    cli_output: list[str] = field(default_factory=list)
    calls: dict[str, list[str]] = field(default_factory=dict)
    """Each step's answered calls as labels (see `labels`)."""
    raw: dict[str, list[Call]] = field(default_factory=dict)
    """Each step's calls as served, 429s and replication refusals included."""


@pytest.fixture
def watch(graph: ServedGraph) -> Watch:
    """Wraps the stand-in store's addPassword to remember each secret value (test instrumentation)."""
    store, seen = graph.standin.store, Watch()
    add_password = store.add_password

    @functools.wraps(add_password)
    def recording(*args: Any, **kwargs: Any) -> dict[str, Any]:
        result = add_password(*args, **kwargs)
        seen.values.add(result["secretText"])
        return result

    store.add_password = recording  # type: ignore[method-assign]
    return seen


def labels(calls: list[Call]) -> list[str]:
    """`METHOD /path` of the calls Graph answered, object ids shown as <id>.

    Throttled calls (429) and replication-lag refusals (404, 400) are dropped: what is left is
    the work each operation needs. The lag itself is asserted on the raw calls.
    """
    shown = [call.label() for call in calls if call.status not in (400, 404, 429)]
    shown = [ASSIGNMENT_ID.sub(r"\1/<assignment>", label) for label in shown]
    return [GUID.sub("<id>", label.replace("/v1.0", "")) for label in shown]


def once(labels: list[str]) -> list[str]:
    """`labels` with a read repeated in a row counted once: the reads until a new password shows."""
    return [
        label
        for index, label in enumerate(labels)
        if index == 0 or label != labels[index - 1] or not label.startswith("GET")
    ]


def lag_refusals(calls: list[Call]) -> set[tuple[str, str, int]]:
    """(method, path shape, status) of each replication-lag refusal Graph served."""
    return {
        (call.method, GUID.sub("<id>", call.path.replace("/v1.0", "")), call.status)
        for call in calls
        if call.status in (400, 404)
    }


@pytest.fixture(autouse=True)
def graph_contract(graph: ServedGraph) -> Iterator[None]:
    """At the end of each test: every Graph object served deserializes through msgraph-sdk's model."""
    yield
    assert graph.recorder.responses, "the Graph stand-in served nothing to check"
    assert contract_violations(graph.recorder.responses) == []


@pytest.fixture
def entra_stack(
    stack_project: Callable[..., StackProject], graph: ServedGraph, watch: Watch
) -> Callable[[dict[str, Any]], StackProject]:
    graph.standin.store.replication_lag_seconds = GRAPH_REPLICATION_LAG_SECONDS

    def make(spec: dict[str, Any]) -> StackProject:
        return stack_project(
            "acme",
            {"ssoprov:organization": spec},
            program_dir=PROGRAM,
            env={"SSOPROV_GRAPH_URL": graph.url, "SSOPROV_ENTRA_LOGIN_URL": graph.url},
        )

    return make


def settled_calls(graph: ServedGraph) -> list[Call]:
    calls = graph.standin.calls.all()
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        time.sleep(0.1)
        again = graph.standin.calls.all()
        if len(again) == len(calls):
            break
        calls = again
    return calls


class Steps:
    """Runs one CLI operation at a time, keeping its output and the Graph calls it made."""

    def __init__(self, graph: ServedGraph, watch: Watch, faults: dict[str, Any] | None = None) -> None:
        self.graph, self.watch, self.faults = graph, watch, faults or {}

    def __call__(self, name: str, operation: Callable[[], Any]) -> Any:
        self.graph.standin.calls.clear()
        self.graph.standin.faults.configure(**self.faults)
        try:
            result = operation()
        finally:
            self.graph.standin.faults.reset()
        self.watch.cli_output.extend([getattr(result, "stdout", ""), getattr(result, "stderr", "")])
        calls = settled_calls(self.graph)
        if self.faults.get("throttle_count") and calls:
            assert any(call.status == 429 for call in calls), f"{name}: no 429 was served"
        self.watch.calls[name] = labels(calls)
        self.watch.raw[name] = calls
        return result


def assert_no_secret_in(texts: list[str], values: set[str]) -> None:
    assert values
    for text in texts:
        for value in values:
            assert value not in text


def test_entra_app_lifecycle(
    entra_stack: Callable[[dict[str, Any]], StackProject], graph: ServedGraph, watch: Watch
) -> None:
    store = graph.standin.store
    seeded = store.snapshot()
    dave = "dave@contoso.example"
    project = entra_stack(organization(["Engineering", "Admins"], users=[dave]))
    stack = project.stack
    step = Steps(graph, watch)

    def preview() -> dict[str, int]:
        result = stack.preview()
        watch.cli_output.extend([result.stdout, result.stderr])
        return result.change_summary

    # -- up: the app registration, its secret, the enterprise app and three assignments -------------
    up = step("create", lambda: stack.up(show_secrets=False))
    # stack, component, 3 lookups (Engineering, Admins, dave), app, secret, enterprise app, admin
    # consent, 3 assignments
    assert up.summary.resource_changes == {"create": 12}
    app = store.find_application("Acme Corp")
    assert app is not None
    assert app["signInAudience"] == "AzureADMyOrg"
    assert app["web"]["redirectUris"] == [REDIRECT_URI]
    assert [
        (c["name"], c["essential"], c["additionalProperties"]) for c in app["optionalClaims"]["idToken"]
    ] == [
        ("email", False, []),
        ("given_name", False, []),
        ("family_name", False, []),
        ("groups", False, []),  # "Groups assigned to the application", as Group IDs
    ]
    assert app["groupMembershipClaims"] == "ApplicationGroup"
    assert app["requiredResourceAccess"] == [
        {
            "resourceAppId": MICROSOFT_GRAPH_APP_ID,
            "resourceAccess": [
                {"id": MICROSOFT_GRAPH_SCOPES[name], "type": "Scope"}
                for name in ("openid", "profile", "email")
            ],
        }
    ]
    assert app["api"]["requestedAccessTokenVersion"] is None  # only personal accounts need v2
    (password,) = app["passwordCredentials"]
    assert password["displayName"] == SECRET_NAME
    expires = when(password["endDateTime"])
    assert abs(expires - (datetime.now(UTC) + timedelta(days=365))) < timedelta(minutes=5)
    principal = store.get_service_principal_by_app_id(app["appId"])
    assert principal["appRoleAssignmentRequired"] is True
    (grant,) = store.grants_of(principal["id"])
    assert (grant["consentType"], sorted(grant["scope"].split())) == (
        "AllPrincipals",
        ["email", "openid", "profile"],
    )
    assignments = store.assignments_of(principal["id"])
    assert sorted((a["principalId"], a["principalType"], a["appRoleId"]) for a in assignments) == sorted(
        [
            (group_id("Engineering"), "Group", DEFAULT_ROLE),
            (group_id("Admins"), "Group", DEFAULT_ROLE),
            (user_id(dave), "User", DEFAULT_ROLE),
        ]
    )
    outputs = stack.outputs()
    assert outputs["kind"].value == "entra"
    assert outputs["clientId"].value == app["appId"]
    assert outputs["clientSecret"].secret
    assert outputs["clientSecret"].value in watch.values and len(watch.values) == 1
    assert (
        outputs["discoveryUrl"].value
        == f"{graph.url}/{CONTOSO.tenant_id}/v2.0/.well-known/openid-configuration"
    )
    assert outputs["groupClaimValues"].value == {"Engineering": group_id("Engineering")}
    assert outputs["groupIds"].value == {"Engineering": group_id("Engineering"), "Admins": group_id("Admins")}
    assert outputs["assignedGroupIds"].value == outputs["groupIds"].value  # every named group is assigned
    assert outputs["secretExpiresAt"].value == calendar_date(password["endDateTime"])
    # Lookups first (in any order), then the app, then what hangs off it (the engine runs them in parallel).
    create_calls = watch.calls["create"]
    assert sorted(create_calls[:3]) == ["GET /groups", "GET /groups", "GET /users/dave@contoso.example"]
    assert create_calls[3] == "POST /applications"
    assert sorted(call for call in create_calls[4:] if not call.startswith("GET")) == sorted(
        [
            "POST /applications/<id>/addPassword",
            "POST /servicePrincipals",
            "POST /oauth2PermissionGrants",
            *["POST /servicePrincipals/<id>/appRoleAssignedTo"] * 3,
        ]
    )
    # The app's passwords after addPassword (until Graph lists the new one; any a killed run left
    # are removed then); Microsoft Graph's service principal, to grant consent on.
    assert {call for call in create_calls[4:] if call.startswith("GET")} == {
        "GET /applications/<id>",
        "GET /servicePrincipals(appId='<id>')",
    }
    # The service principal and the assignments met Graph's replication lag first, and rode it out.
    assert {
        ("POST", "/servicePrincipals", 400),
        ("POST", "/servicePrincipals/<id>/appRoleAssignedTo", 404),
    } <= lag_refusals(watch.raw["create"])

    # -- a second up changes nothing and calls nothing ----------------------------------------------
    again = step("no-op up", lambda: stack.up(show_secrets=False))
    assert again.summary.resource_changes == {"same": 12}
    assert watch.calls["no-op up"] == []

    # -- an extra redirect URI updates the app in place, keeping what an admin set in the portal -----
    portal_web = {
        **store.get_application(app["id"])["web"],
        "logoutUrl": "https://app.acme.example/logout",
        "implicitGrantSettings": {"enableAccessTokenIssuance": False, "enableIdTokenIssuance": True},
    }
    store.update_application(app["id"], {"web": portal_web})
    project.write_config(
        {"ssoprov:organization": organization(["Engineering", "Admins"], users=[dave], extra=[EXTRA_URI])}
    )
    updated = step("redirect update", lambda: stack.up(show_secrets=False))
    assert updated.summary.resource_changes == {"update": 1, "same": 11}
    # `web` is read and sent back whole: Graph does not promise to merge a PATCH into it.
    assert watch.calls["redirect update"] == ["GET /applications/<id>", "PATCH /applications/<id>"]
    app = store.get_application(app["id"])
    assert app["web"] == {**portal_web, "redirectUris": [REDIRECT_URI, EXTRA_URI]}
    assert len(app["passwordCredentials"]) == 1

    # -- a group renamed in the spec swaps its lookup and assignment, nothing else --------------------
    spec = organization(["Engineering", "Sales"], users=[dave], extra=[EXTRA_URI])
    project.write_config({"ssoprov:organization": spec})
    swapped = step("group swap", lambda: stack.up(show_secrets=False))
    assert swapped.summary.resource_changes == {"create": 2, "delete": 2, "same": 10}
    assert sorted(a["principalId"] for a in store.assignments_of(principal["id"])) == sorted(
        [group_id("Engineering"), group_id("Sales"), user_id(dave)]
    )
    assert sorted(watch.calls["group swap"]) == sorted(
        [
            "GET /groups",
            "POST /servicePrincipals/<id>/appRoleAssignedTo",
            "DELETE /servicePrincipals/<id>/appRoleAssignedTo/<assignment>",
        ]
    )
    assert stack.outputs()["groupIds"].value == {
        "Engineering": group_id("Engineering"),
        "Sales": group_id("Sales"),
    }

    # -- refresh finds a redirect URI edited in the portal and the secret removed; up converges ----
    edited_web = {**app["web"], "redirectUris": [REDIRECT_URI, "https://portal.example/edit"]}
    store.update_application(app["id"], {"web": edited_web})  # the portal sends `web` whole
    store.remove_password(app["id"], password["keyId"])
    step("refresh", lambda: stack.refresh(show_secrets=False))
    assert preview() == {"create": 1, "update": 1, "same": 10}
    converged = step("converge", lambda: stack.up(show_secrets=False))
    assert converged.summary.resource_changes == {"create": 1, "update": 1, "same": 10}
    app = store.get_application(app["id"])
    assert app["web"] == {**portal_web, "redirectUris": [REDIRECT_URI, EXTRA_URI]}
    (password,) = app["passwordCredentials"]
    outputs = stack.outputs()
    assert outputs["clientSecret"].value in watch.values and len(watch.values) == 2
    assert outputs["secretKeyId"].value == password["keyId"]
    assert step("no-op after converge", lambda: stack.up(show_secrets=False)).summary.resource_changes == {
        "same": 12
    }

    # -- rotation, forced by moving the clock past rotateAfterDays: new secret first, then the old --
    old_secret = outputs["clientSecret"].value
    stack.workspace.env_vars["SSOPROV_AS_OF"] = (datetime.now(UTC) + timedelta(days=200)).date().isoformat()  # type: ignore[index]
    try:
        rotated = step("rotation", lambda: stack.up(show_secrets=False))
    finally:
        del stack.workspace.env_vars["SSOPROV_AS_OF"]  # type: ignore[attr-defined]
    assert rotated.summary.resource_changes == {"replace": 1, "same": 11}
    assert once(watch.calls["rotation"]) == [
        "POST /applications/<id>/addPassword",
        "GET /applications/<id>",  # until Graph lists the new password; it shows any leftovers too
        "POST /applications/<id>/removePassword",
    ]
    (new_password,) = store.get_application(app["id"])["passwordCredentials"]
    assert new_password["keyId"] != password["keyId"]
    outputs = stack.outputs()
    assert outputs["clientSecret"].secret and outputs["clientSecret"].value != old_secret
    assert outputs["clientSecret"].value in watch.values and len(watch.values) == 3
    assert outputs["secretKeyId"].value == new_password["keyId"]
    assert outputs["secretExpiresAt"].value == calendar_date(new_password["endDateTime"])

    # -- destroy leaves the tenant exactly as seeded ------------------------------------------------
    step("destroy", lambda: stack.destroy(show_secrets=False))
    assert store.snapshot() == seeded

    # -- no secret value in plaintext, in state or in anything the CLI printed ----------------------
    assert_no_secret_in(
        [project.state_text(), *watch.cli_output, project.stack_file.read_text()], watch.values
    )
    for name, seen in watch.calls.items():
        print(f"{name}: {len(seen)} calls: {seen}")


def test_the_same_stack_rides_out_throttling_and_replication_lag(
    entra_stack: Callable[[dict[str, Any]], StackProject], graph: ServedGraph, watch: Watch
) -> None:
    store = graph.standin.store
    seeded = store.snapshot()
    project = entra_stack(organization(["Engineering", "Admins"], users=["dave@contoso.example"]))
    stack = project.stack
    # Every operation meets three 429s (Retry-After 0.3 s), on top of the replication lag. Those
    # waits put about 1 s before each first call; on a loaded machine that outlasted the 1.25 s
    # in which a new object is unknown (404) under the usual lag, so this test triples the lag.
    graph.standin.store.replication_lag_seconds = 3 * GRAPH_REPLICATION_LAG_SECONDS
    faults = {"throttle_count": 3, "throttle_wait_seconds": 0.3}
    step = Steps(graph, watch, faults)

    up = step("create", lambda: stack.up(show_secrets=False))
    assert up.summary.resource_changes == {"create": 12}
    app = store.find_application("Acme Corp")
    assert app is not None and len(app["passwordCredentials"]) == 1
    assert app["web"]["redirectUris"] == [REDIRECT_URI]
    principal = store.get_service_principal_by_app_id(app["appId"])
    assert len(store.assignments_of(principal["id"])) == 3
    # The service principal was refused until the app replicated, the assignments until the
    # service principal did: both retried, as Graph's answers say.
    refused = {
        (call.method, call.status) for call in watch.raw["create"] if "/servicePrincipals" in call.path
    }
    assert ("POST", 400) in refused and ("POST", 404) in refused, watch.raw["create"]

    refreshed = step("refresh", lambda: stack.refresh(show_secrets=False))
    assert refreshed.summary.resource_changes == {"same": 12}
    assert step("no-op up", lambda: stack.up(show_secrets=False)).summary.resource_changes == {"same": 12}
    assert stack.outputs()["clientSecret"].value in watch.values

    step("destroy", lambda: stack.destroy(show_secrets=False))
    assert store.snapshot() == seeded
    assert_no_secret_in([project.state_text(), *watch.cli_output], watch.values)


def test_microsoft_oauth_registers_a_personal_accounts_app_with_a_secret_and_nothing_else(
    entra_stack: Callable[[dict[str, Any]], StackProject], graph: ServedGraph, watch: Watch
) -> None:
    store = graph.standin.store
    seeded = store.snapshot()
    spec = {
        "name": "acme",
        "displayName": "Acme Corp",
        "identityProvider": {"kind": "microsoft", "tenantId": CONTOSO.tenant_id},
        "broker": {"kind": "keycloak", "url": "https://sso.example.com", "realm": "acme"},
        "defaultRole": "member",
    }
    project = entra_stack(spec)
    stack = project.stack
    step = Steps(graph, watch)

    up = step("create", lambda: stack.up(show_secrets=False))
    assert up.summary.resource_changes == {"create": 4}  # stack, component, app, secret
    assert once(watch.calls["create"]) == [
        "POST /applications",
        "POST /applications/<id>/addPassword",
        "GET /applications/<id>",
    ]
    app = store.find_application("Acme Corp")
    assert app is not None
    assert app["signInAudience"] == "PersonalMicrosoftAccount"
    assert app["api"]["requestedAccessTokenVersion"] == 2  # Graph requires it for personal accounts
    assert app["web"]["redirectUris"] == [REDIRECT_URI]
    assert [c["name"] for c in app["optionalClaims"]["idToken"]] == ["email", "given_name", "family_name"]
    assert app["groupMembershipClaims"] is None
    assert [a["id"] for a in app["requiredResourceAccess"][0]["resourceAccess"]] == [
        MICROSOFT_GRAPH_SCOPES[name] for name in ("openid", "profile", "email")
    ]
    (password,) = app["passwordCredentials"]
    assert password["displayName"] == SECRET_NAME
    assert all(sp["appId"] != app["appId"] for sp in store.list_service_principals())
    outputs = stack.outputs()
    assert outputs["kind"].value == "microsoft"
    assert outputs["clientId"].value == app["appId"]
    assert outputs["clientSecret"].secret and outputs["clientSecret"].value in watch.values
    assert outputs["discoveryUrl"].value == f"{graph.url}/consumers/v2.0/.well-known/openid-configuration"
    assert outputs["groupClaimValues"].value == {}

    step("destroy", lambda: stack.destroy(show_secrets=False))
    assert store.snapshot() == seeded
    assert_no_secret_in([project.state_text(), *watch.cli_output], watch.values)


def test_a_group_matching_nothing_fails_before_the_app_is_created(
    entra_stack: Callable[[dict[str, Any]], StackProject], graph: ServedGraph
) -> None:
    seeded = graph.standin.store.snapshot()
    project = entra_stack(organization(["Engineering", "Enginering"]))
    with pytest.raises(CommandError) as failure:
        project.stack.up(show_secrets=False)
    message = str(failure.value)
    assert "resolving group 'Enginering': no group has this display name" in message
    assert "Stack key: ssoprov:organization.identityProvider.assignments.groups." in message
    assert graph.standin.store.find_application("Acme Corp") is None
    assert not [call for call in graph.standin.calls.all() if call.method != "GET"]
    assert graph.standin.store.snapshot() == seeded
