"""The stack's checkpoint corrupted or deleted: a clear error, then the file backend's own copies.

For an Entra ID and an Okta organization, each with a Keycloak broker.

Recovery verified here: the file backend writes every finished update's checkpoint to
`.pulumi/history/<project>/<stack>/<stack>-<time>.checkpoint.json`; copying the newest one back
to `.pulumi/stacks/<project>/<stack>.json` restores the stack (`.pulumi/backups/` holds the
previous checkpoint, in the same format). `pulumi stack import --file` takes a
`pulumi stack export` document instead, so it is the recovery when exports are kept.
Afterwards `pulumi up` has nothing to do and `pulumi destroy` leaves the tenant as it was.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from sandbox.environment import LocalSandbox
from tests.faults.support import IDENTITY_PROVIDERS, keycloak_state, run_cli
from tests.integration.organizations import stack_config
from tests.support.projects import StackProject


def checkpoint(project: StackProject) -> Path:
    return project.state_dir / ".pulumi" / "stacks" / "ssoprov" / f"{project.stack.name}.json"


def restore_newest_history_checkpoint(project: StackProject) -> None:
    history = project.state_dir / ".pulumi" / "history" / "ssoprov" / project.stack.name
    newest = max(history.glob("*.checkpoint.json"), key=lambda p: int(p.name.split("-")[-1].split(".")[0]))
    shutil.copyfile(newest, checkpoint(project))


def damage_then_restore(
    project: StackProject, damage: str, calls_made: Callable[[], int], service: str
) -> None:
    """Damage the checkpoint: preview fails clearly without calling the IdP; the newest history
    checkpoint copied back makes preview find nothing to do."""
    name = project.stack.name
    if damage == "corrupted":
        checkpoint(project).write_text('{"version": 3, "checkpoint": {"stack": ')
    else:
        checkpoint(project).unlink()
    calls_before = calls_made()
    code, output = run_cli(project, "preview")

    assert code != 0
    if damage == "corrupted":
        assert name in output and ("unexpected end of JSON" in output or "could not" in output), output
    else:
        assert f"no stack named '{name}' found" in output, output
    assert calls_made() == calls_before, f"the failing preview after a {damage} checkpoint called {service}"

    restore_newest_history_checkpoint(project)
    code, output = run_cli(project, "preview", "--expect-no-changes")
    assert code == 0, output


@pytest.mark.parametrize("kind", sorted(IDENTITY_PROVIDERS))
def test_a_damaged_checkpoint_fails_clearly_and_history_restores_it(
    kind: str, sandbox: LocalSandbox, realm: str, stack_project: Callable[..., StackProject]
) -> None:
    """One stack lives through both damages in turn: a corrupted checkpoint, then a deleted one."""
    idp = IDENTITY_PROVIDERS[kind]
    objects_before = idp.objects(sandbox)
    keycloak_before = keycloak_state(sandbox, realm)
    organization = idp.organization(sandbox, realm)
    project = stack_project(organization["name"], stack_config(organization), env=sandbox.engine_env())
    project.stack.up(show_secrets=False)
    project.stack.up(show_secrets=False)
    assert checkpoint(project).is_file()
    calls = idp.stand_in(sandbox).calls

    for damage in ("corrupted", "deleted"):
        damage_then_restore(project, damage, lambda: len(calls.all()), idp.service)
    assert set(project.stack.up(show_secrets=False).summary.resource_changes) == {"same"}

    project.stack.destroy()
    assert idp.objects(sandbox) == objects_before
    assert keycloak_state(sandbox, realm)[0] == keycloak_before[0]
