"""The real Pulumi CLI, built by the bootstrap, drives a dynamic provider on a local file backend."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.support.projects import StackProject

PROJECT = Path(__file__).parent / "dynamic_project"


def test_up_is_idempotent_refresh_sees_drift_and_destroy_empties(
    stack_project: Callable[..., StackProject], tmp_path: Path
) -> None:
    target = tmp_path / "note.txt"
    project = stack_project(
        "dev", {"engine-check:path": str(target), "engine-check:text": "hello"}, program_dir=PROJECT
    )
    stack = project.stack

    first = stack.up(show_secrets=False)
    assert first.summary.resource_changes == {"create": 2}
    assert target.read_text() == "hello"

    second = stack.up(show_secrets=False)
    assert second.summary.resource_changes == {"same": 2}

    target.write_text("changed out of band")
    stack.refresh(show_secrets=False)
    preview = stack.preview()
    assert preview.change_summary.get("update") == 1
    stack.up(show_secrets=False)
    assert target.read_text() == "hello"

    stack.destroy(show_secrets=False)
    assert not target.exists()
    assert stack.export_stack().deployment.get("resources", []) == []
