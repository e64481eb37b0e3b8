"""Six stacks in one Okta org, created and then rotated at once through the real Pulumi CLI, under
Okta's per-endpoint limit (10 calls a window on /api/v1/apps*, which holds every app's secrets):
the calls that meet a 429 wait for X-Rate-Limit-Reset and every stack converges."""

from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sandbox.common.server import ServedApp
from sandbox.okta.app import build_okta_standin
from tests.support.projects import StackProject, new_stack_project

PROGRAM = Path(__file__).parent / "program"
STACKS = 6
WINDOW_SECONDS = 4.0
"""Okta counts per minute; four seconds keeps the test short and still makes six stacks contend."""


def organization(url: str, number: int) -> dict[str, Any]:
    return {
        "name": f"org{number}",
        "displayName": f"Org {number}",
        "identityProvider": {"kind": "okta", "orgUrl": url, "groups": ["Engineering"]},
        "broker": {"kind": "keycloak", "url": "https://sso.example.com", "realm": f"org{number}"},
    }


def test_six_stacks_rotate_in_one_rate_limited_org(pulumi_cli: str, tmp_path: Path) -> None:
    token = "00" + secrets.token_urlsafe(30)
    stand_in = build_okta_standin(api_token=token, rate_limit_window_seconds=WINDOW_SECONDS)
    store = stand_in.store
    with ServedApp(stand_in.app) as served, ThreadPoolExecutor(STACKS) as pool:
        projects: list[StackProject] = [
            new_stack_project(
                tmp_path / f"org{n}",
                f"org{n}",
                {"ssoprov:organization": organization(served.url, n)},
                program_dir=PROGRAM,
                env={"OKTA_API_TOKEN": token},
            )
            for n in range(STACKS)
        ]
        created = list(pool.map(lambda project: project.stack.up(show_secrets=False), projects))
        assert [r.summary.resource_changes for r in created] == [{"create": 6}] * STACKS
        before = {app.id: {s.id for s in store.secrets(app.id)} for app in store.apps()}
        creating = stand_in.calls.all()
        stand_in.calls.clear()

        as_of = (datetime.now(UTC) + timedelta(days=200)).date().isoformat()
        for project in projects:
            project.stack.workspace.env_vars["SSOPROV_AS_OF"] = as_of  # type: ignore[index]
        rotated = list(pool.map(lambda project: project.stack.up(show_secrets=False), projects))
        rotating = stand_in.calls.all()

    assert [r.summary.resource_changes for r in rotated] == [{"replace": 1, "same": 5}] * STACKS
    assert len(before) == STACKS
    for project in projects:
        app_id = project.stack.outputs()["appId"].value
        (secret,) = store.secrets(app_id)
        assert secret.status == "ACTIVE" and secret.id not in before[app_id]
        assert project.stack.outputs()["clientSecret"].value == secret.value

    throttled = [c for c in creating + rotating if c.status == 429]
    assert throttled, "six stacks never met Okta's limit: the test proves nothing"
    assert all(c.path.startswith("/api/v1/apps") for c in throttled)  # the 10-a-window bucket only
    assert not [c for c in creating + rotating if c.status >= 400 and c.status not in (404, 429)]
    print(
        f"429s: {len([c for c in creating if c.status == 429])} while creating, "
        f"{len([c for c in rotating if c.status == 429])} while rotating"
    )
