"""Through the real Pulumi CLI: validate computes what the program receives, and the program refuses
what validate refuses, with the same lines."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from pulumi import automation as auto

from ssoprov.spec.config_size import CONFIG_LIMIT, pulumi_config_text
from ssoprov.spec.loading import load_stack_file
from tests.spec.stack_text import okta_stack
from tests.support.projects import StackProject

DUMP_PROJECT = Path(__file__).parent / "config_dump_project"

TRICKY = """\
config:
  ssoprov:organization:
    name: probe
    plainNo: NO
    yes: on
    octal: 0o17
    legacyOctal: 0755
    notOctal: 08
    grouped: 1_000
    hex: 0x1F
    float: 1.0
    half: .5
    big: 99999999999999999999
    tiny: 1.5e-7
    date: 2024-01-01
    shortDate: 2024-1-5
    notADate: 2024-02-30
    zoned: 2024-01-01T10:00:00+02:00
    spaced: 2024-01-01 10:00:00
    noZone: 2024-01-01T10:00:00
    quoted: "2024-01-01"
    tagged: !!str 12
    custom: !thing 12
    empty: ~
    html: "<a & b> \\u2028 tab\\t é 東京"
    base: &base {x: 1, y: 2}
    merged:
      <<: *base
      y: 3
    keys: {true: a, 1.5: b, 1.0: c, 1e6: d, ~: e, 2024-01-01: f, 0x10: g, 100000.0: h, 1e-7: i, NO: j}
  ssoprov:other: plain
  third: 7
"""


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


def test_pulumi_config_as_the_program_receives_it_is_computed_byte_for_byte(
    dump_project: tuple[StackProject, Path],
) -> None:
    project, dump = dump_project
    write_raw_stack(project, TRICKY)

    project.stack.preview()

    _, config, _ = load_stack_file(project.stack_file)
    assert pulumi_config_text(config) == dump.read_text(encoding="utf-8")


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


def test_preview_refuses_what_validate_refuses_with_the_same_lines(
    stack_project: Callable[..., StackProject],
) -> None:
    text = okta_stack(
        org_url="http://127.0.0.1:9",
        filter_type="starts_with",
        filter_value="app-",
        role="2024-01-01",
        group="App-Sales",
    )
    project = stack_project("globex", {}, env={"SSOPROV_RETRY_BUDGET_SECONDS": "1"})
    write_raw_stack(project, text)
    _, _, problems = load_stack_file(project.stack_file)
    expected = [
        str(problem).replace(str(project.stack_file), "stacks/Pulumi.globex.yaml") for problem in problems
    ]
    assert [problem.key for problem in problems] == [
        "ssoprov:organization.roleMappings[0].role",  # a date
        "ssoprov:organization.roleMappings[0].group",  # Engineering does not start with app-; App-Sales does
    ]

    with pytest.raises(auto.CommandError) as refused:
        project.stack.preview()

    output = str(refused.value)
    for line in expected:
        assert line in output
    assert "ssoprov:index:Organization" not in output  # refused before any resource
