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
        {"Graph": 10, "Keycloak": 9},
        "Graph: the discovery document (Keycloak's import-config reads it), POST application "
        "(redirect URI, claims, groups claim in the body), addPassword, POST servicePrincipal, "
        "resolve 2 groups + 1 user by name (3 GETs), 3 appRoleAssignedTo; Keycloak: "
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
