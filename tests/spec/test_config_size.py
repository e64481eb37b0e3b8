"""A spec too big to hand to the program is refused with what to cut, before the engine starts;
one at the limit runs."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from ssoprov.cli import main
from ssoprov.spec.config_size import CONFIG_LIMIT, encoded_size, pulumi_config_text
from ssoprov.spec.loading import SPEC_KEY, validate_stack_files
from tests.spec.stack_text import okta_stack
from tests.support.projects import REPO, StackProject

URI_PREFIX = "https://app.example.com/callback?state="


def okta_config() -> dict[str, Any]:
    return yaml.safe_load(okta_stack(org_url="http://127.0.0.1:9"))["config"]


def size_of(config: dict[str, Any]) -> int:
    return len(pulumi_config_text(config).encode())


def fill_to(config: dict[str, Any], target: int) -> dict[str, Any]:
    """Grow the spec to exactly `target` bytes of PULUMI_CONFIG with 20 redirect URIs of 2048 characters
    at most, whose `&`s (7 bytes each once escaped twice) make up the difference."""
    uris = [URI_PREFIX + "a" * (2048 - len(URI_PREFIX)) for _ in range(20)]
    config[SPEC_KEY]["identityProvider"]["extraRedirectUris"] = uris
    ampersands, rest = divmod(target - size_of(config), 6)
    if rest:
        ampersands += 1
        uris[-1] = uris[-1][: -(6 - rest)]
    for n in range(ampersands):
        uri, at = n % len(uris), len(URI_PREFIX) + n // len(uris)
        uris[uri] = uris[uri][:at] + "&" + uris[uri][at + 1 :]
    assert size_of(config) == target
    return config


def write(directory: Path, config: dict[str, Any]) -> Path:
    path = directory / "Pulumi.globex.yaml"
    path.write_text(yaml.safe_dump({"config": config}))
    return path


def test_a_spec_within_every_key_limit_but_too_big_to_start_is_refused_with_what_to_cut(
    tmp_path: Path,
) -> None:
    config = okta_config()
    idp = config[SPEC_KEY]["identityProvider"]
    idp["groups"] = [f"{n:03d}-" + "g" * 252 for n in range(500)]  # 500 groups of 256 characters
    idp["extraRedirectUris"] = [f"https://app{n}.example.com/" + "p" * 1900 for n in range(20)]
    size, groups, uris = size_of(config), encoded_size(idp["groups"]), encoded_size(idp["extraRedirectUris"])

    problems = validate_stack_files([write(tmp_path, config)])

    assert [(p.key, p.message, p.fix) for p in problems] == [
        (
            SPEC_KEY,
            f"makes the stack's config {size} bytes as the engine hands it to the program (PULUMI_CONFIG), "
            f"over the {CONFIG_LIMIT} bytes Linux allows one environment variable: the program could not "
            f"start ('argument list too long'); largest: identityProvider.groups {groups} bytes, "
            f"identityProvider.extraRedirectUris {uris} bytes",
            f"cut it by {size - CONFIG_LIMIT} bytes: fewer or shorter groups, mappings or redirect URIs "
            '(each < > & takes 7 bytes, each " or \\ 4, each other byte 1)',
        )
    ]


def test_a_spec_at_the_limit_previews_and_one_byte_more_is_refused_by_validate(
    stack_project: Callable[..., StackProject], tmp_path: Path
) -> None:
    at_limit = fill_to(okta_config(), CONFIG_LIMIT)
    assert validate_stack_files([write(tmp_path, at_limit)]) == []

    project = stack_project("globex", at_limit, env={"SSOPROV_RETRY_BUDGET_SECONDS": "1"})
    preview = project.stack.preview()
    assert preview.change_summary.get("create", 0) > 1  # the program ran and declared the organization

    over = fill_to(okta_config(), CONFIG_LIMIT + 1)
    problems = validate_stack_files([write(tmp_path, over)])
    assert [p.message.split(" as the engine")[0] for p in problems] == [
        f"makes the stack's config {CONFIG_LIMIT + 1} bytes"
    ]


def test_a_fleet_preview_refuses_an_oversized_stack_before_the_engine_runs(
    pulumi_cli: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "only-for-this-test")
    project = tmp_path / "project"
    (project / "stacks").mkdir(parents=True)
    shutil.copy(REPO / "Pulumi.yaml", project / "Pulumi.yaml")
    write(project / "stacks", fill_to(okta_config(), CONFIG_LIMIT + 1))
    (tmp_path / "state").mkdir()

    code = main(["preview", "--project-dir", str(project), "--backend", (tmp_path / "state").as_uri()])

    captured = capsys.readouterr()
    assert code == 1
    assert f"stacks/Pulumi.globex.yaml: {SPEC_KEY}: makes the stack's config {CONFIG_LIMIT + 1} bytes" in (
        captured.err
    )
    assert "fork/exec" not in captured.out + captured.err  # the engine never tried to start the program
