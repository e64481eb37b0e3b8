"""The engine killed in the middle of a rotation: after the new secret exists, before the broker has it.

`pulumi up --yes` runs in its own process group with the stack's environment. The stand-in
creates the new secret and then holds its answer; while it holds, the whole group (CLI,
language host, providers) gets SIGKILL, so neither the checkpoint nor the broker ever hears of
the new secret. (Polling the call log instead races: the call is logged as its answer leaves,
and the kill sometimes lands after the checkpoint recorded the create.) The checkpoint keeps
the create as a pending operation and the file backend keeps the dead update's lock.

The killed run's secret works but no state knows it. Two recoveries are verified, with no
rotation due any more (no SSOPROV_AS_OF), for Entra ID and Okta:

- README's, by hand: a fleet `up` names the lock and `ssoprov recover`; `pulumi cancel --yes`,
  `pulumi refresh --clear-pending-creates --yes` (the read finds the untracked secret),
  `ssoprov drift` reports it, a plain `pulumi up` removes it;
- `ssoprov recover`, after a fleet run whose engine was killed under it (the run's report says
  the engine was killed and which command to run).

Each app ends with exactly the stack's one secret, and sign-in works.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from sandbox.common.oidc_issuer import SANDBOX_USER_PASSWORD
from sandbox.environment import LocalSandbox
from ssoprov.verify_login import verify_login
from tests.faults.support import cli_env, command_name, process_tree, run_cli, run_ssoprov
from tests.integration.organizations import entra_organization, okta_organization, stack_config
from tests.support.projects import StackProject

KILL_DEADLINE_SECONDS = 120


def hold_after_creating(store: object, method: str, seconds: float = 5.0) -> threading.Event:
    """Make the stand-in's `store.<method>` create as usual, then hold its answer `seconds`.

    The returned event is set once the secret exists in the stand-in: a kill then lands after
    the creation and before the provider (let alone the checkpoint or the broker) hears of it.
    """
    created = threading.Event()
    original = getattr(store, method)

    def held(*args: object, **kwargs: object) -> object:
        answer = original(*args, **kwargs)
        created.set()
        time.sleep(seconds)
        return answer

    setattr(store, method, held)
    return created


def kill_once(project: StackProject, created: threading.Event) -> None:
    """Run a rotating `pulumi up` and SIGKILL its process group once `created` is set."""
    env = {**cli_env(project), "SSOPROV_AS_OF": as_of_a_due_date()}
    process = subprocess.Popen(
        ["pulumi", "up", "--yes", "--skip-preview", "--stack", project.stack.name, "--non-interactive"],
        cwd=project.stack.workspace.work_dir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        reached = created.wait(KILL_DEADLINE_SECONDS)
    finally:
        # The CLI starts each provider in a process group of its own: kill the whole tree.
        kill_all(process_tree(process.pid))
        process.wait(timeout=30)
    assert reached, f"the rotation never created its secret (exit {process.returncode})"


def as_of_a_due_date() -> str:
    return (datetime.now(UTC) + timedelta(days=200)).isoformat()


def clear_lock_and_pending(project: StackProject) -> None:
    code, cancelled = run_cli(project, "cancel", "--yes")
    assert code == 0, cancelled
    code, refreshed = run_cli(project, "refresh", "--clear-pending-creates", "--yes", "--skip-preview")
    assert code == 0, refreshed


@dataclass(frozen=True)
class Killable:
    """An identity provider's side of the kill: its organization, where its secrets are made, and
    how to list the secret ids on the stack's app."""

    organization: Callable[[LocalSandbox, str], dict]
    store: Callable[[LocalSandbox], object]
    create_method: str
    login: str
    secret_ids: Callable[[LocalSandbox, StackProject], list[str]]


def okta_secret_ids(sandbox: LocalSandbox, project: StackProject) -> list[str]:
    (app_id,) = {app.id for app in sandbox.okta.store.apps() if app.label == "Globex SSO"}
    return [secret.id for secret in sandbox.okta.store.secrets(app_id)]


def entra_secret_ids(sandbox: LocalSandbox, project: StackProject) -> list[str]:
    object_id = sandbox.graph.store.application_object_id(project.stack.outputs()["clientId"].value)
    return [p["keyId"] for p in sandbox.graph.store.stored_application(object_id)["passwordCredentials"]]


KILLABLE = {
    "okta": Killable(
        okta_organization, lambda s: s.okta.store, "create_secret", "alice@acme.example", okta_secret_ids
    ),
    "entra": Killable(
        entra_organization, lambda s: s.graph.store, "add_password", "alice@contoso.example", entra_secret_ids
    ),
}


def deployed(
    kind: str, sandbox: LocalSandbox, realm: str, stack_project: Callable[..., StackProject]
) -> tuple[StackProject, str]:
    """A deployed organization of `kind` and the id of its one client secret."""
    organization = KILLABLE[kind].organization(sandbox, realm)
    project = stack_project(organization["name"], stack_config(organization), env=sandbox.engine_env())
    project.stack.up(show_secrets=False)
    (recorded,) = KILLABLE[kind].secret_ids(sandbox, project)
    return project, recorded


def assert_converged(
    kind: str, sandbox: LocalSandbox, realm: str, project: StackProject, recorded: str
) -> None:
    """The app holds just the stack's secret, which the broker uses; drift and a second up are clean."""
    assert KILLABLE[kind].secret_ids(sandbox, project) == [recorded]
    login = verify_login(
        sandbox.keycloak_url,
        realm,
        project.stack.name,
        login=KILLABLE[kind].login,
        password=SANDBOX_USER_PASSWORD,
    )
    assert login.signed_in, login.detail
    code, drift = run_ssoprov(project, "drift", "--stack", project.stack.name)
    assert code == 0, drift
    assert set(project.stack.up(show_secrets=False).summary.resource_changes) == {"same"}


@pytest.mark.parametrize("kind", sorted(KILLABLE))
def test_readmes_recovery_removes_the_killed_rotations_secret_with_no_rotation_due(
    kind: str, sandbox: LocalSandbox, realm: str, stack_project: Callable[..., StackProject]
) -> None:
    project, recorded = deployed(kind, sandbox, realm, stack_project)
    name = project.stack.name
    kill_once(project, hold_after_creating(KILLABLE[kind].store(sandbox), KILLABLE[kind].create_method))
    (leftover,) = [key for key in KILLABLE[kind].secret_ids(sandbox, project) if key != recorded]
    assert "pending" in project.state_text()

    code, locked = run_ssoprov(project, "up", "--stack", name)
    assert code == 1, locked
    assert "locked by a run that has not finished" in locked, locked
    assert f"ssoprov recover --stack {name}" in locked, locked

    clear_lock_and_pending(project)
    code, drift = run_ssoprov(project, "drift", "--stack", name)
    assert code == 1 and leftover in drift and "no state tracks" in drift, drift

    code, upped = run_cli(project, "up", "--yes", "--skip-preview")  # no SSOPROV_AS_OF: nothing is due
    assert code == 0, upped
    assert f"removed client secret {leftover}" in upped, upped
    assert f"removed client secret {recorded}" not in upped, upped
    assert_converged(kind, sandbox, realm, project, recorded)


def test_ssoprov_recover_after_a_fleet_run_whose_engine_was_killed(
    sandbox: LocalSandbox, realm: str, stack_project: Callable[..., StackProject]
) -> None:
    project, recorded = deployed("okta", sandbox, realm, stack_project)
    name = project.stack.name
    created = hold_after_creating(sandbox.okta.store, "create_secret")
    fleet = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ssoprov.cli",
            "up",
            "--stack",
            name,
            "--backend",
            project.engine.backend_url,
        ],
        cwd=project.root / "project",
        env={**cli_env(project), "SSOPROV_AS_OF": as_of_a_due_date()},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert created.wait(KILL_DEADLINE_SECONDS), "the rotation never created its secret"
        kill_all(engine_processes(fleet.pid))
        report, _ = fleet.communicate(timeout=120)
    finally:
        if fleet.poll() is None:
            fleet.kill()
    assert fleet.returncode == 1, report
    assert "the Pulumi engine was killed (signal 9) mid-run" in report, report
    assert "Error in event stream" not in report, report
    assert f"ssoprov recover --stack {name}" in report, report
    (leftover,) = [key for key in okta_secret_ids(sandbox, project) if key != recorded]

    code, recovered = run_ssoprov(project, "recover", "--stack", name)
    assert code == 0, recovered
    assert "released the lock" in recovered, recovered
    assert leftover not in okta_secret_ids(sandbox, project)
    # The user learns which secret went: as `pulumi up` says it, and in the table's note.
    assert f"[{name}] Okta: removed client secret {leftover} (created " in recovered, recovered
    assert f"removed 1 client secret that no stack tracked: {leftover}" in recovered, recovered
    assert_converged("okta", sandbox, realm, project, recorded)


def kill_all(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def engine_processes(parent: int) -> list[int]:
    """The `pulumi` CLI processes under `parent`, and everything under them (language host, providers)."""
    tree = process_tree(parent)
    clis = [pid for pid in tree if pid != parent and command_name(pid) == "pulumi"]
    return [found for cli in clis for found in process_tree(cli)]
