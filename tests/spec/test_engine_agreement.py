"""Through the real Pulumi CLI: what the program receives, and where its size stops it from starting."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from pulumi import automation as auto

from components.spec.config_size import CONFIG_LIMIT, pulumi_config_text
from tests.support.projects import StackProject

DUMP_PROJECT = Path(__file__).parent / "config_dump_project"


def write_raw_stack(project: StackProject, text: str) -> None:
    """Replace the stack file with this text, keeping the encryption salt the CLI wrote."""
    salt = (yaml.safe_load(project.stack_file.read_text()) or {}).get("encryptionsalt")
    project.stack_file.write_text(text + (f"encryptionsalt: {salt}\n" if salt else ""))


@pytest.fixture
def dump_project(stack_project: Callable[..., StackProject], tmp_path: Path) -> tuple[StackProject, Path]:
    dump = tmp_path / "pulumi-config.json"
    project = stack_project(
        "probe", {}, program_dir=DUMP_PROJECT, env={"SSOPROV_TEST_CONFIG_DUMP": str(dump)}
    )
    return project, dump


def test_the_size_limit_is_exactly_where_the_program_stops_starting(
    dump_project: tuple[StackProject, Path],
) -> None:
    project, dump = dump_project
    empty = len(pulumi_config_text({"ssoprov:padding": ""}).encode())
    at_limit = "x" * (CONFIG_LIMIT - empty)

    write_raw_stack(project, yaml.safe_dump({"config": {"ssoprov:padding": at_limit}}))
    project.stack.preview()
    assert len(dump.read_text(encoding="utf-8").encode()) == CONFIG_LIMIT

    dump.unlink()
    write_raw_stack(project, yaml.safe_dump({"config": {"ssoprov:padding": at_limit + "x"}}))
    with pytest.raises(auto.CommandError) as too_big:
        project.stack.preview()
    assert "argument list too long" in str(too_big.value)
    assert not dump.exists()
