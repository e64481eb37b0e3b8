"""`ssoprov` leaves the stack the user's `pulumi` has selected as it was.

A bare `pulumi up` acts on the selected stack, recorded in the project's workspace settings under
PULUMI_HOME. Fleet commands name their stack with `--stack`; were one of them to select it (a new
stack's `stack init`, the Automation API's `Stack`), the user's next bare `pulumi up` would deploy
another customer's stack.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.fleet.conftest import SaaSStandIns
from tests.fleet.fleet import FleetProject
from tests.fleet.test_fleet_workos import oidc_organization


def workspace_settings(project: FleetProject) -> dict[str, bytes]:
    """Every file of the user's workspace settings, by name."""
    folder = Path(project.process_env()["PULUMI_HOME"]) / "workspaces"
    return {path.name: path.read_bytes() for path in sorted(folder.glob("*"))} if folder.is_dir() else {}


def selected(project: FleetProject) -> str:
    """What `pulumi stack --show-name` says: the selected stack, or that there is none."""
    shown = project.pulumi("stack", "--show-name")
    return shown.stdout.strip() if shown.returncode == 0 else shown.stderr.strip()


def test_fleet_commands_leave_the_users_stack_selection_as_it_was(
    fleet_project: Callable[[dict[str, str]], FleetProject], saas: SaaSStandIns, discovery_url: str
) -> None:
    project = fleet_project(saas.env())
    for name in ("wonka-oidc", "tyrell-oidc", "soylent-oidc"):
        project.write_stack(name, oidc_organization(saas, name, discovery_url))

    made = project.ssoprov("up", "--stack", "wonka-oidc")  # a new stack: `stack init`, then `up`

    assert made.code == 0, made.stdout + made.stderr
    assert "no stack selected" in selected(project)
    assert workspace_settings(project) == {}

    assert project.pulumi("stack", "select", "wonka-oidc").returncode == 0
    settings = workspace_settings(project)
    assert settings and selected(project) == "wonka-oidc"
    for command in (
        ["preview", "--stack", "tyrell-oidc"],  # a new stack
        ["preview"],  # the whole fleet, soylent-oidc new
        ["up", "--stack", "soylent-oidc"],
    ):
        ran = project.ssoprov(*command)

        assert ran.code == 0, ran.stdout + ran.stderr
        assert selected(project) == "wonka-oidc", command
        assert workspace_settings(project) == settings, command

    project.leave_dead_lock("soylent-oidc")
    recovered = project.ssoprov("recover", "--stack", "soylent-oidc")

    assert recovered.code == 0, recovered.stdout + recovered.stderr
    assert "released the lock (runner@ci-7 pid 4242)" in recovered.stderr
    assert selected(project) == "wonka-oidc"
    assert workspace_settings(project) == settings
