"""Which stacks a run covers: globs, files changed between git revisions, shards."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest

from ssoprov.fleet.project import Project, ProjectError, StackRef
from ssoprov.fleet.selection import Shard, changed_stack_names, select

STACK = "config:\n  ssoprov:organization: {name: %s}\n"


def git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def write(root: Path, *names: str) -> None:
    for name in names:
        (root / "stacks" / f"Pulumi.{name}.yaml").write_text(STACK % name)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    (tmp_path / "stacks").mkdir()
    (tmp_path / "Pulumi.yaml").write_text("name: ssoprov\nruntime: python\nstackConfigDir: stacks\n")
    write(tmp_path, "acme-entra", "acme-okta", "globex-okta", "initech-oidc")
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "four organizations")
    return Project.at(tmp_path)


def names(stacks: list[StackRef]) -> list[str]:
    return [stack.name for stack in stacks]


def test_project_is_found_from_a_subfolder_and_lists_its_stacks(project: Project) -> None:
    found = Project.find(project.stack_dir)
    assert found == project
    assert names(found.stacks()) == ["acme-entra", "acme-okta", "globex-okta", "initech-oidc"]
    assert found.relative(found.stack_file("acme-entra")) == "stacks/Pulumi.acme-entra.yaml"


def test_no_project_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match=r"no Pulumi\.yaml in .* Fix: run ssoprov in the repository"):
        Project.find(tmp_path)


def test_all_by_default_then_names_and_globs(project: Project) -> None:
    assert names(select(project).stacks) == ["acme-entra", "acme-okta", "globex-okta", "initech-oidc"]
    assert select(project).described == "all stacks"
    assert names(select(project, ["acme-*"]).stacks) == ["acme-entra", "acme-okta"]
    assert names(select(project, ["*-okta", "initech-oidc"]).stacks) == [
        "acme-okta",
        "globex-okta",
        "initech-oidc",
    ]
    assert select(project, ["*-okta"]).described == "matching *-okta"


def test_exclusions_take_stacks_out_after_the_patterns(project: Project) -> None:
    selection = select(project, ["acme-*", "globex-*"], exclude=["*-okta"])
    assert names(selection.stacks) == ["acme-entra"]
    assert selection.described == "matching acme-* globex-*, except *-okta"
    everything_else = select(project, exclude=["acme-*", "no-such-*"])
    assert names(everything_else.stacks) == ["globex-okta", "initech-oidc"]


def test_a_pattern_matching_nothing_is_refused_with_the_known_stacks(project: Project) -> None:
    with pytest.raises(ProjectError) as refused:
        select(project, ["acme-*", "umbrella-*"])
    message = str(refused.value)
    assert "--stack umbrella-*: no stack file in stacks matches" in message
    assert "Fix: use a stack name or a glob" in message and "acme-entra" in message


def test_changed_since_a_revision_in_the_work_tree(project: Project) -> None:
    root = project.root
    base = git(root, "rev-parse", "HEAD")
    assert names(select(project, changed_since=base).stacks) == []

    write(root, "umbrella-entra")  # new, untracked
    (root / "stacks" / "Pulumi.acme-okta.yaml").write_text(STACK % "acme-okta-edited")  # modified
    (root / "stacks" / "Pulumi.globex-okta.yaml").unlink()  # removed
    (root / "README.md").write_text("not a stack")

    selection = select(project, changed_since=base)
    assert names(selection.stacks) == ["acme-okta", "umbrella-entra"]
    assert selection.removed == ["globex-okta"]
    assert selection.described == f"stacks changed since {base}"


def test_changed_between_two_revisions_from_their_merge_base(project: Project) -> None:
    root = project.root
    git(root, "checkout", "-q", "-b", "feature")
    write(root, "umbrella-entra")
    (root / "stacks" / "Pulumi.acme-entra.yaml").write_text(STACK % "acme-entra-edited")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "onboard umbrella, edit acme")
    git(root, "checkout", "-q", "main")
    (root / "stacks" / "Pulumi.initech-oidc.yaml").write_text(STACK % "changed-on-main")
    git(root, "commit", "-q", "-am", "main moves on")
    (root / "stacks" / "Pulumi.acme-okta.yaml").write_text(STACK % "uncommitted")

    # What the pull request changes: not main's own later commit, not the uncommitted edit.
    changed, removed = changed_stack_names(project, "main", "feature")
    assert (changed, removed) == ({"acme-entra", "umbrella-entra"}, set())
    selection = select(project, ["acme-*"], changed_since="main", until="feature")
    assert names(selection.stacks) == ["acme-entra"]
    assert selection.described == "stacks changed since main until feature, matching acme-*"


def test_git_errors_and_until_alone_are_usage_errors(project: Project) -> None:
    with pytest.raises(ProjectError, match="Fix: name revisions that exist in this clone"):
        select(project, changed_since="no-such-revision")
    with pytest.raises(ProjectError, match="--until needs --changed-since"):
        select(project, until="HEAD")


@pytest.mark.parametrize("count", [1, 2, 3, 4, 7])
def test_shards_split_the_fleet_into_disjoint_parts_of_even_size(count: int) -> None:
    stacks = [StackRef(f"org{index:02d}", Path(f"Pulumi.org{index:02d}.yaml")) for index in range(20)]
    parts = [Shard(index, count).pick(list(reversed(stacks))) for index in range(1, count + 1)]
    assert sorted(stack for part in parts for stack in part) == stacks
    sizes = [len(part) for part in parts]
    assert max(sizes) - min(sizes) <= 1
    assert parts[0][0].name == "org00"


def test_shard_text_is_checked() -> None:
    assert Shard.parse("2/4") == Shard(2, 4) and str(Shard(2, 4)) == "2/4"
    for text in ("0/4", "5/4", "1/0", "a/b", "3"):
        with pytest.raises(ProjectError, match="Fix:"):
            Shard.parse(text)


def test_shard_applies_after_the_other_filters(project: Project) -> None:
    first = select(project, ["*-okta", "acme-*"], shard=Shard(1, 2))
    second = select(project, ["*-okta", "acme-*"], shard=Shard(2, 2))
    assert names(first.stacks) == ["acme-entra", "globex-okta"]
    assert names(second.stacks) == ["acme-okta"]
    assert first.described == "matching *-okta acme-*, shard 1/2"


def test_the_command_line_selects_in_the_same_order(project: Project) -> None:
    """`ssoprov` parses every selection flag into the same Selection (no engine involved)."""
    from ssoprov.cli import _fleet_run, build_parser

    selection = ["--stack", "*-okta", "--stack", "acme-*", "--exclude", "acme-entra", "--shard", "1/2"]
    engine = ["--backend", "file:///tmp/unused", "--parallel", "2"]
    args = build_parser().parse_args(["preview", "--project-dir", str(project.root), *selection, *engine])
    run = _fleet_run(args)
    assert names(run.selection.stacks) == ["acme-okta"]
    assert run.selection.described == "matching *-okta acme-*, except acme-entra, shard 1/2"
    assert run.engine.backend_url == "file:///tmp/unused" and run.parallel == 2


def test_invalid_files_are_found_and_named_from_any_working_directory(
    project: Project, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Validation reads the files by absolute path and names them as the program does."""
    from ssoprov.fleet.commands import FleetRun
    from ssoprov.fleet.engine import fleet_engine

    good = "config:\n  ssoprov:organization:\n    name: {name}\n    displayName: X\n"
    good += "    identityProvider: {{kind: okta, orgUrl: 'https://x.okta.com'}}\n"
    good += "    broker: {{kind: keycloak, url: 'https://sso.example.com', realm: customers}}\n"
    for name in ("acme-entra", "acme-okta", "globex-okta"):
        (project.stack_dir / f"Pulumi.{name}.yaml").write_text(good.format(name=name))
    monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))
    err = io.StringIO()
    run = FleetRun(project, select(project), fleet_engine(project, "file:///unused"), err=err)

    jobs, invalid = run.prepare()

    assert [job.stack for job, _ in jobs] == ["acme-entra", "acme-okta", "globex-okta"]
    assert [outcome.stack for outcome in invalid] == ["initech-oidc"]
    assert (
        invalid[0].errors[0].startswith("stacks/Pulumi.initech-oidc.yaml: ssoprov:organization.displayName:")
    )
    assert err.getvalue().startswith("stacks/Pulumi.initech-oidc.yaml: ")
