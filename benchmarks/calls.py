"""API calls per operation, counted by the stand-ins' call logs and a proxy in front of Keycloak.

For one Entra and one Okta organization (Keycloak broker, two role mappings and a default role):
create, a no-op `up`, a rotation (SSOPROV_AS_OF 200 days ahead) and destroy. Each count is
printed next to the fewest calls the APIs allow for that operation, and why.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from benchmarks.wiring import Bench, bench, new_realm
from tests.support.projects import StackProject

# (service -> fewest calls, why), per (identity provider, operation). The Keycloak minimum counts
# one admin token grant per run: each provider process signs in once.
MINIMUM: dict[tuple[str, str], tuple[dict[str, int], str]] = {
    ("entra", "create"): (
        {"Graph": 12, "Keycloak": 9},
        "Graph: the discovery document (Keycloak's import-config reads it), POST application "
        "(redirect URI, claims, groups claim in the body), addPassword, POST servicePrincipal, "
        "resolve 2 groups + 1 user by name (3 GETs), 3 appRoleAssignedTo, admin consent (GET "
        "Microsoft Graph's service principal, POST oauth2PermissionGrant); Keycloak: "
        "token, 3 realm roles (create, 409 = exists), import-config (the IdP's endpoints), POST "
        "identity provider, 3 mappers",
    ),
    ("okta", "create"): (
        {"Okta": 9, "Keycloak": 9},
        "Okta: the discovery document (Keycloak's import-config), POST app (its answer carries "
        "the first secret), 3 group lookups by name, 3 group assignments, PUT groups claim; "
        "Keycloak: as for Entra",
    ),
    ("entra", "no-op up"): ({"Graph": 0, "Keycloak": 0}, "nothing changed in the spec: diffs need no read"),
    ("okta", "no-op up"): ({"Okta": 0, "Keycloak": 0}, "nothing changed in the spec: diffs need no read"),
    ("entra", "rotation"): (
        {"Graph": 2, "Keycloak": 2},
        "Graph: addPassword, removePassword of the old one; Keycloak: token, PUT identity provider "
        "(new secret)",
    ),
    ("okta", "rotation"): (
        {"Okta": 3, "Keycloak": 2},
        "Okta: POST secret, deactivate the old one (Okta deletes only inactive secrets), DELETE it; "
        "Keycloak: token, PUT identity provider",
    ),
    ("entra", "destroy"): (
        {"Graph": 1, "Keycloak": 2},
        "Graph: DELETE application (its service principal, secrets and assignments go with it); "
        "Keycloak: token, DELETE identity provider (its mappers go with it; realm roles are kept)",
    ),
    ("okta", "destroy"): (
        {"Okta": 2, "Keycloak": 2},
        "Okta: deactivate app, DELETE app (secrets, assignments, claim go with it); Keycloak: token, "
        "DELETE identity provider",
    ),
}
# Why the count exceeds the minimum, per (identity provider, operation); missing = at the minimum.
BEYOND_MINIMUM: dict[tuple[str, str], str] = {
    ("entra", "create"): (
        "Graph +1: GET application (its passwords) after addPassword until Graph lists the new "
        "secret (replication), so a refresh never drops it; the same read shows any secret a "
        "killed run left untracked, removed then"
    ),
    ("entra", "rotation"): (
        "Graph +1: the same GET, for the new secret to show and leftovers; Keycloak +1: GET "
        "identity provider before the PUT "
        "(Keycloak's PUT replaces the whole representation: fields we do not manage are kept)"
    ),
    ("entra", "destroy"): (
        "each resource deletes itself (removePassword, 3 unassigns, revoke the admin consent grant, "
        "DELETE service principal; "
        "3 mapper DELETEs in Keycloak): a provider is never told that its parent goes too, and the "
        "same delete must work when only that child leaves the spec"
    ),
    ("okta", "create"): (
        "Okta +5: the app's answer carries a secret no state could track safely, so the client-secret "
        "resource mints its own (list, POST) and retires the first (deactivate, DELETE); the app "
        "provider lists secrets once to learn the first one's id"
    ),
    ("okta", "rotation"): (
        "Okta +2: create lists the secrets (room under Okta's two, leftovers of killed runs), delete "
        "lists them (Okta refuses to deactivate the only active one); Keycloak +1: as for Entra"
    ),
    ("okta", "destroy"): (
        "3 group unassignments and 3 mapper DELETEs: as for Entra; the client secret lists the app's "
        "secrets (Okta refuses to deactivate the only active one, which then goes with the app)"
    ),
}
_ID = re.compile(r"/(?:[0-9a-f-]{32,36}|0oa\w+|00g\w+|ocs\w+|[\w-]{40,})(?=/|$)", re.IGNORECASE)


def shape(label: str) -> str:
    """`GET /v1.0/applications/<id>` rather than the id itself, so repeated calls group."""
    return _ID.sub("/<id>", label)


def operations(project: StackProject) -> list[tuple[str, Callable[[], object]]]:
    def rotate() -> None:
        project.stack.workspace.env_vars["SSOPROV_AS_OF"] = (
            datetime.now(UTC) + timedelta(days=200)
        ).isoformat()
        try:
            project.stack.up(show_secrets=False)
        finally:
            del project.stack.workspace.env_vars["SSOPROV_AS_OF"]

    return [
        ("create", lambda: project.stack.up(show_secrets=False)),
        ("no-op up", lambda: project.stack.up(show_secrets=False)),
        ("rotation", rotate),
        ("destroy", lambda: project.stack.destroy()),
    ]


def measure(running: Bench, kind: str) -> None:
    realm = new_realm(running, f"bench-{kind}")
    project = running.project(kind, realm, f"bench{kind}")
    idp = "Graph" if kind == "entra" else "Okta"
    for operation, action in operations(project):
        running.take_calls()
        started = time.monotonic()
        action()
        seconds = time.monotonic() - started
        calls = running.take_calls()
        minimum, why = MINIMUM[(kind, operation)]
        counts = "  ".join(
            f"{service} {len(calls[service])} (min {minimum[service]}, "
            f"x{_ratio(len(calls[service]), minimum[service])})"
            for service in (idp, "Keycloak")
        )
        print(f"   {kind:<5} {operation:<9} {seconds:5.1f}s  {counts}")
        print(f"         minimum: {why}")
        if (kind, operation) in BEYOND_MINIMUM:
            print(f"         beyond:  {BEYOND_MINIMUM[(kind, operation)]}")
        for service in (idp, "Keycloak"):
            grouped = Counter(shape(label) for label in calls[service])
            if grouped:
                print(
                    f"         {service}: "
                    + ", ".join(f"{n}x {label}" for label, n in sorted(grouped.items()))
                )


def _ratio(count: int, minimum: int) -> str:
    if minimum == 0:
        return "-" if count == 0 else "inf"
    return f"{count / minimum:.1f}"


def run() -> None:
    print("== calls: API calls per operation (stand-in call logs; Keycloak through a counting proxy)")
    with bench() as running:
        for kind in ("entra", "okta"):
            measure(running, kind)
