"""One pulumi command per stack operation: events followed as the CLI writes them, a new stack made."""

from __future__ import annotations

import dataclasses
import io
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pulumi import automation as auto
from pulumi.automation import events

from ssoprov.errors import ProvisionerError
from ssoprov.fleet import operations, stack_command
from ssoprov.fleet.operations import StackJob, list_stacks
from ssoprov.fleet.progress import progress_for
from ssoprov.fleet.report import SUCCEEDED
from ssoprov.fleet.stack_command import _follow, run_stack_command
from ssoprov.workspace import Engine
from tests.support.projects import StackProject

PROJECT = Path(__file__).parents[1] / "engine" / "dynamic_project"


def test_the_first_up_of_a_stack_the_backend_lacks_makes_it_and_hands_on_every_event(
    stack_project: Callable[..., StackProject], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = stack_project("dev", {"engine-check:path": str(tmp_path / "dev.txt")}, program_dir=PROJECT)
    target = tmp_path / "fresh.txt"
    (project.stack_file.parent / "Pulumi.fresh.yaml").write_text(
        f"config:\n  engine-check:path: {target}\n  engine-check:text: hello\n"
    )
    seen: list[events.EngineEvent] = []
    commands = record_commands(monkeypatch)

    run_stack_command(project.engine, "fresh", ["up", "--yes", "--skip-preview"], seen.append)

    # A file backend is asked by looking: the stack is made first, no `up` fails on the way.
    assert [command[:2] for command in commands] == [["stack", "init"], ["up", "--yes"]]
    assert target.read_text() == "hello"
    summaries = [e.summary_event for e in seen if e.summary_event is not None]
    assert [s.resource_changes for s in summaries] == [{"create": 2}]
    finished = [e.res_outputs_event.metadata.urn for e in seen if e.res_outputs_event is not None]
    assert [urn.rsplit("::", 1)[-1] for urn in finished] == ["default", "note", "engine-check-fresh"]
    assert "fresh" in {s.name for s in project.stack.workspace.list_stacks()}

    seen.clear()
    run_stack_command(project.engine, "fresh", ["preview"], seen.append)
    assert [e.summary_event.resource_changes for e in seen if e.summary_event] == [{"same": 2}]


def record_commands(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The arguments of every CLI command run_stack_command runs from now on."""
    real = stack_command.pulumi_command()
    commands: list[list[str]] = []

    class Recording:
        def run(self, args: list[str], *rest: Any, **options: Any) -> auto.CommandResult:
            commands.append(list(args))
            return real.run(args, *rest, **options)

    monkeypatch.setattr(stack_command, "pulumi_command", Recording)
    return commands


def test_lines_written_in_pieces_are_handed_on_whole_and_in_order(tmp_path: Path) -> None:
    log_path = tmp_path / "events.jsonl"
    log_path.touch()
    lines = [
        json.dumps({"sequence": n, "timestamp": n, "stdoutEvent": {"message": f"line {n}", "color": "never"}})
        for n in range(5)
    ]
    seen: list[events.EngineEvent] = []
    finished = threading.Event()
    follower = threading.Thread(target=_follow, args=(log_path, seen.append, finished))
    follower.start()
    with log_path.open("a", encoding="utf-8") as log:
        for line in lines:
            half = len(line) // 2
            log.write(line[:half])
            log.flush()
            time.sleep(0.08)  # the follower polls every 0.05 s, so it meets the half line
            log.write(line[half:] + "\n")
            log.flush()
    finished.set()
    follower.join(timeout=5)

    assert not follower.is_alive()
    assert [e.stdout_event.message for e in seen if e.stdout_event] == [f"line {n}" for n in range(5)]


def test_a_backend_that_cannot_be_opened_is_named_with_the_fix_not_a_traceback(tmp_path: Path) -> None:
    missing = (tmp_path / "no-such-state").as_uri()
    engine = Engine(project_dir=PROJECT, backend_url=missing)

    with pytest.raises(ProvisionerError) as raised:
        list_stacks(engine, auto.PulumiCommand())

    assert str(raised.value).startswith(f"listing the stacks in backend {missing}: error: unable to open")
    assert str(raised.value).endswith(
        "Fix: check --backend (default: $PULUMI_BACKEND_URL, else .pulumi-state/) and the backend's "
        "credentials"
    )


def test_a_checkpoint_metadata_file_a_kill_left_empty_is_named_with_the_fix(
    stack_project: Callable[..., StackProject],
) -> None:
    project = stack_project("dev", {"engine-check:path": "unused"}, program_dir=PROJECT)
    [metadata] = (project.state_dir / ".pulumi" / "stacks").rglob("dev.json.attrs")
    metadata.write_bytes(b"")  # what a pulumi killed while writing the checkpoint leaves

    with pytest.raises(ProvisionerError) as raised:
        list_stacks(project.engine, auto.PulumiCommand())

    assert str(raised.value).endswith(
        f"error: EOF. A `pulumi` killed while writing left 1 checkpoint metadata file(s) empty: {metadata}. "
        "Fix: delete them (the checkpoints beside them keep the last state written), then run "
        "`ssoprov recover --stack dev`"
    )
    metadata.unlink()
    assert list_stacks(project.engine, auto.PulumiCommand()) == {"dev": 0}  # made, nothing deployed


def test_a_backend_url_relative_to_the_project_runs_its_stacks_again(
    stack_project: Callable[..., StackProject], tmp_path: Path
) -> None:
    """`file://./state` is the project's state/ folder to the CLI: an existing stack there is run,
    not made again (`stack init` of an existing stack fails the run)."""
    config = {"engine-check:path": str(tmp_path / "note.txt"), "engine-check:text": "hi"}
    project = stack_project("dev", config, program_dir=PROJECT)
    folder = project.root / "project"
    (folder / "state").mkdir()
    engine = dataclasses.replace(project.engine, backend_url="file://./state")

    for _ in range(2):
        run_stack_command(engine, "dev", ["up", "--yes", "--skip-preview"], lambda _: None)

    assert (folder / "state" / ".pulumi" / "stacks" / "engine-check" / "dev.json").is_file()


OUTPUTS_PROGRAM = 'import pulumi\n\npulumi.export("greeting", pulumi.Config().require("greeting"))\n'


def test_a_preview_that_changes_only_outputs_says_so(
    stack_project: Callable[..., StackProject], tmp_path: Path
) -> None:
    """Pulumi shows such a plan under "Outputs:" with every resource the same; an `up` writes it."""
    program = tmp_path / "outputs-program"
    program.mkdir()
    (program / "Pulumi.yaml").write_text("name: outputs-check\nruntime: python\nstackConfigDir: stacks\n")
    (program / "__main__.py").write_text(OUTPUTS_PROGRAM)
    project = stack_project("dev", {"outputs-check:greeting": "hello"}, program_dir=program)
    job = StackJob("dev", "stacks/Pulumi.dev.yaml", None, project.engine)
    progress = progress_for(["dev"], "plain", io.StringIO())
    assert operations.up(job, progress).status == SUCCEEDED
    assert operations.preview(job, progress).planned_nothing

    project.write_config({"outputs-check:greeting": "hi"})
    outcome = operations.preview(job, progress)

    assert outcome.status == SUCCEEDED and outcome.changes is not None and outcome.changes.changed == 0
    assert not outcome.planned_nothing
    assert outcome.details["outputsChanged"] == ["greeting"]
    assert outcome.note() == "outputs would change (an up writes them): greeting"
