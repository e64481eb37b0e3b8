"""Where a `file://` backend keeps a stack's checkpoint, as the real CLI lays it out: the backend URL
read as the CLI reads it, by project or in the old layout, gzipped or not."""

from __future__ import annotations

import os
import pwd
import subprocess
from pathlib import Path

import pytest

from ssoprov.fleet.file_backend import backend_root, checkpoint_file

PROJECT = "files"


def init_stack(pulumi_cli: str, project: Path, backend_url: str, stack: str = "dev", **env: str) -> None:
    """`pulumi stack init` in `project`, with `backend_url`: the CLI writes the stack's checkpoint."""
    environment = {
        "PATH": os.environ["PATH"],
        "PULUMI_BACKEND_URL": backend_url,
        "PULUMI_CONFIG_PASSPHRASE": "files",
        "PULUMI_HOME": str(project.parent / "pulumi-home"),
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        **env,
    }
    command = [pulumi_cli, "--non-interactive", "stack", "init", stack, "--secrets-provider", "passphrase"]
    subprocess.run(command, cwd=project, env=environment, check=True, capture_output=True)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "Pulumi.yaml").write_text(f"name: {PROJECT}\nruntime: python\n")
    return folder


@pytest.mark.parametrize(
    ("url", "folder"),
    [
        ("file://./state", "project/state"),
        ("file://state", "project/state"),
        ("file://state/deep?no_tmp_dir=false", "project/state/deep"),
        ("file://../elsewhere", "elsewhere"),
        ("file://{tmp}/with%20space", "with space"),
        ("file://{tmp}/absolute?no_tmp_dir=true", "absolute"),
    ],
)
def test_the_backend_folder_is_where_the_cli_started_in_the_project_keeps_the_stack(
    pulumi_cli: str, project: Path, url: str, folder: str
) -> None:
    expected = project.parent / folder
    expected.mkdir(parents=True)
    url = url.format(tmp=project.parent)

    init_stack(pulumi_cli, project, url)

    root = backend_root(url, project)
    assert root == expected
    assert checkpoint_file(root, PROJECT, "dev") == expected / ".pulumi" / "stacks" / PROJECT / "dev.json"


def test_home_is_the_users_home_as_the_cli_finds_it_not_HOME(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(project))
    home = Path(pwd.getpwuid(os.getuid()).pw_dir)
    assert backend_root("file://~", project) == home
    assert backend_root("file://~/state?no_tmp_dir=true", project) == home / "state"
    assert backend_root("s3://bucket/state", project) is None


def test_a_gzipped_checkpoint_is_found(pulumi_cli: str, project: Path) -> None:
    state = project / "state"
    state.mkdir()
    init_stack(pulumi_cli, project, state.as_uri(), PULUMI_SELF_MANAGED_STATE_GZIP="true")

    found = checkpoint_file(state, PROJECT, "dev")

    assert found == state / ".pulumi" / "stacks" / PROJECT / "dev.json.gz"


def test_only_the_layout_the_backend_has_is_read(pulumi_cli: str, project: Path) -> None:
    """A backend made before projects scoped stacks keeps them under stacks/; one laid out by project
    ignores a file there (it is not the stack the CLI would run), and the other way round."""
    old = project / "old-state"
    old.mkdir()
    deprecated = {"PULUMI_DIY_BACKEND_IGNORE_DEPRECATION_ERROR": "1"}  # the CLI warns of this layout
    init_stack(pulumi_cli, project, old.as_uri(), PULUMI_DIY_BACKEND_LEGACY_LAYOUT="true", **deprecated)
    assert checkpoint_file(old, PROJECT, "dev") == old / ".pulumi" / "stacks" / "dev.json"
    init_stack(pulumi_cli, project, old.as_uri(), stack="second", **deprecated)  # the layout stays
    assert checkpoint_file(old, PROJECT, "second") == old / ".pulumi" / "stacks" / "second.json"

    new = project / "new-state"
    new.mkdir()
    init_stack(pulumi_cli, project, new.as_uri())
    leftover = new / ".pulumi" / "stacks" / "other.json"
    leftover.write_text("{}")
    assert checkpoint_file(new, PROJECT, "other") is None
    assert checkpoint_file(new, PROJECT, "dev") == new / ".pulumi" / "stacks" / PROJECT / "dev.json"
