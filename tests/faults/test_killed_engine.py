"""The engine killed in the middle of a rotation: after the new secret exists, before the broker has it.

`pulumi up --yes` runs in its own process group with the stack's environment. The stand-in
creates the new secret and then holds its answer; while it holds, the whole group (CLI,
language host, providers) gets SIGKILL, so neither the checkpoint nor the broker ever hears of
the new secret. (Polling the call log instead races: the call is logged as its answer leaves,
and the kill sometimes lands after the checkpoint recorded the create.) The checkpoint keeps
the create as a pending operation and the file backend keeps the dead update's lock.

Recovery verified here: `pulumi cancel --yes` (removes the lock; the next command otherwise
refuses with "the stack is currently locked"), `pulumi refresh --clear-pending-creates --yes`,
then `pulumi up --yes` (with the same SSOPROV_AS_OF, so the rotation completes).

The killed run's secret works but no state knows it. The resumed rotation's create finds it
(components/untracked_secrets.py: a secret of ours newer than the recorded one) and removes it
before making its own, so each app ends with exactly the stack's one secret, and sign-in works.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from components.verify_login import verify_login
from sandbox.common.oidc_issuer import SANDBOX_USER_PASSWORD
from sandbox.environment import LocalSandbox
from tests.faults.support import cli_env, okta_app_ids, run_cli
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
    env = {**cli_env(project), "SSOPROV_AS_OF": (datetime.now(UTC) + timedelta(days=200)).isoformat()}
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
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    assert reached, f"the rotation never created its secret (exit {process.returncode})"


def rotate(project: StackProject) -> tuple[int, str]:
    as_of = (datetime.now(UTC) + timedelta(days=200)).isoformat()
    project.stack.workspace.env_vars["SSOPROV_AS_OF"] = as_of
    try:
        return run_cli(project, "up", "--yes", "--skip-preview")
    finally:
        del project.stack.workspace.env_vars["SSOPROV_AS_OF"]


def clear_lock_and_pending(project: StackProject) -> None:
    code, cancelled = run_cli(project, "cancel", "--yes")
    assert code == 0, cancelled
    code, refreshed = run_cli(project, "refresh", "--clear-pending-creates", "--yes", "--skip-preview")
    assert code == 0, refreshed


def recover(project: StackProject) -> str:
    """The documented recovery, then the rotation again; the output of that `pulumi up`."""
    clear_lock_and_pending(project)
    code, upped = rotate(project)
    assert code == 0, upped
    return upped


def assert_removed_only(output: str, leftover: str, recorded: str) -> None:
    """The run printed the leftover's removal, and left the recorded secret to the engine's delete
    (after the broker had the new one)."""
    assert f"removed client secret {leftover}" in output, output
    assert f"removed client secret {recorded}" not in output, output


def test_okta_rotation_killed_after_the_new_secret_converges_with_one_secret(
    sandbox: LocalSandbox, realm: str, stack_project: Callable[..., StackProject]
) -> None:
    seeded = okta_app_ids(sandbox)
    project = stack_project(
        "globex", stack_config(okta_organization(sandbox, realm)), env=sandbox.engine_env()
    )
    project.stack.up(show_secrets=False)
    (app_id,) = okta_app_ids(sandbox) - seeded
    old_secret = project.stack.outputs()["clientSecret"].value
    (recorded,) = [secret.id for secret in sandbox.okta.store.secrets(app_id)]

    kill_once(project, hold_after_creating(sandbox.okta.store, "create_secret"))
    (leftover,) = [s.id for s in sandbox.okta.store.secrets(app_id) if s.id != recorded]
    assert "pending" in project.state_text()

    assert_removed_only(recover(project), leftover, recorded)

    assert okta_app_ids(sandbox) - seeded == {app_id}
    secrets = sandbox.okta.store.secrets(app_id)
    assert [secret.status for secret in secrets] == ["ACTIVE"], secrets
    assert project.stack.outputs()["clientSecret"].value != old_secret
    assert secrets[0].value == project.stack.outputs()["clientSecret"].value
    login = verify_login(
        sandbox.keycloak_url, realm, "globex", login="alice@acme.example", password=SANDBOX_USER_PASSWORD
    )
    assert login.signed_in, login.detail
    assert set(project.stack.up(show_secrets=False).summary.resource_changes) == {"same"}


def test_entra_rotation_killed_after_add_password_converges_with_one_password(
    sandbox: LocalSandbox, realm: str, stack_project: Callable[..., StackProject]
) -> None:
    project = stack_project(
        "acme", stack_config(entra_organization(sandbox, realm)), env=sandbox.engine_env()
    )
    project.stack.up(show_secrets=False)
    app_id = project.stack.outputs()["clientId"].value
    object_id = sandbox.graph.store.application_object_id(app_id)
    (recorded,) = password_ids(sandbox, object_id)

    kill_once(project, hold_after_creating(sandbox.graph.store, "add_password"))
    (leftover,) = [key for key in password_ids(sandbox, object_id) if key != recorded]

    assert_removed_only(recover(project), leftover, recorded)

    assert sandbox.graph.store.verify_client_secret(app_id, project.stack.outputs()["clientSecret"].value)
    login = verify_login(
        sandbox.keycloak_url, realm, "acme", login="alice@contoso.example", password=SANDBOX_USER_PASSWORD
    )
    assert login.signed_in, login.detail
    assert set(project.stack.up(show_secrets=False).summary.resource_changes) == {"same"}
    assert len(password_ids(sandbox, object_id)) == 1, "an orphaned password was left"


def password_ids(sandbox: LocalSandbox, object_id: str) -> list[str]:
    return [p["keyId"] for p in sandbox.graph.store.get_application(object_id)["passwordCredentials"]]
