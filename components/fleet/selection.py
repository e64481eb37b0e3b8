"""Which stacks a run covers: names and globs, the files changed between git revisions, a shard.

The filters compose, in this order: `--changed-since` narrows the fleet to the stack files git
reports as added or modified; `--stack` patterns narrow it further and `--exclude` patterns take
stacks out (so CI jobs can own disjoint sets: `--stack 'globex-*'` in one, `--exclude 'globex-*'`
in the other); `--shard i/n` keeps every n-th of what is left. Stack files deleted in the
compared range are reported as `removed`: their stacks still exist in the backend, and destroying
them is left to a person.
"""

from __future__ import annotations

import fnmatch
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ssoprov.fleet.project import Project, ProjectError, StackRef, stack_name


@dataclass(frozen=True)
class Shard:
    """Part `index` (1-based) of `count` parts, as written on the command line: `--shard 2/4`."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        try:
            index_text, count_text = text.split("/")
            shard = cls(int(index_text), int(count_text))
        except ValueError:
            raise ProjectError(
                f"--shard {text!r} is not of the form i/n. "
                "Fix: write e.g. --shard 1/4 (the first of four parts)"
            ) from None
        if shard.count < 1 or not 1 <= shard.index <= shard.count:
            raise ProjectError(
                f"--shard {text}: the part must be from 1 to the number of parts. "
                f"Fix: use 1/{max(shard.count, 1)} to {max(shard.count, 1)}/{max(shard.count, 1)}"
            )
        return shard

    def pick(self, stacks: Sequence[StackRef]) -> list[StackRef]:
        """Round robin over the stacks sorted by name: parts differ in size by one at most, and every
        stack lands in exactly one part of any pipeline run (all jobs see the same files)."""
        ordered = sorted(stacks)
        return [stack for position, stack in enumerate(ordered) if position % self.count == self.index - 1]

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


@dataclass(frozen=True)
class Selection:
    stacks: list[StackRef]
    removed: list[str] = field(default_factory=list)
    """Stacks whose files were deleted in the compared git range (with --changed-since)."""
    described: str = "all stacks"
    """How the stacks were chosen, for the run's header."""


def match_patterns(stacks: Sequence[StackRef], patterns: Sequence[str]) -> list[StackRef]:
    """Stacks whose name matches any pattern (an exact name or a shell glob: `acme-*`, `*-entra`)."""
    return [stack for stack in stacks if any(fnmatch.fnmatchcase(stack.name, p) for p in patterns)]


def changed_stack_names(project: Project, since: str, until: str | None = None) -> tuple[set[str], set[str]]:
    """(changed, removed) stack names between `since` and `until`.

    With `until`, the range is `since...until` (from their merge base, as a pull request shows it).
    Without it, the merge base of `since` and HEAD is compared with the working tree, and untracked
    stack files count as changed, so a local run sees uncommitted edits too.
    """
    stack_dir = project.relative(project.stack_dir)
    git_root = Path(_git(project.root, "rev-parse", "--show-toplevel").strip())
    if until:
        listing = _git(
            project.root, "diff", "--name-status", "--no-renames", f"{since}...{until}", "--", stack_dir
        )
    else:
        base = _git(project.root, "merge-base", since, "HEAD").strip()
        listing = _git(project.root, "diff", "--name-status", "--no-renames", base, "--", stack_dir)
        untracked = _git(project.root, "ls-files", "--others", "--exclude-standard", "--", stack_dir)
        listing += "".join(f"A\t{line}\n" for line in untracked.splitlines())
    changed: set[str] = set()
    removed: set[str] = set()
    for line in listing.splitlines():
        status, _, name = line.partition("\t")
        path = (git_root / name).resolve()
        if path.parent != project.stack_dir.resolve() or not fnmatch.fnmatchcase(path.name, "Pulumi.*.yaml"):
            continue
        (removed if status.startswith("D") else changed).add(stack_name(path))
    return changed, removed


def _git(cwd: Path, *args: str) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise ProjectError("--changed-since needs git on PATH. Fix: install git") from None
    if done.returncode != 0:
        raise ProjectError(
            f"git {' '.join(args)}: {done.stderr.strip() or f'exit code {done.returncode}'}. "
            "Fix: name revisions that exist in this clone (in CI, fetch enough history: fetch-depth: 0)"
        )
    return done.stdout


def select(
    project: Project,
    patterns: Sequence[str] = (),
    *,
    exclude: Sequence[str] = (),
    changed_since: str | None = None,
    until: str | None = None,
    shard: Shard | None = None,
) -> Selection:
    stacks = project.stacks()
    described: list[str] = []
    removed: list[str] = []
    if until and not changed_since:
        raise ProjectError("--until needs --changed-since. Fix: add --changed-since <revision>")
    if changed_since:
        changed, gone = changed_stack_names(project, changed_since, until)
        stacks = [stack for stack in stacks if stack.name in changed]
        removed = sorted(gone)
        described.append(f"stacks changed since {changed_since}" + (f" until {until}" if until else ""))
    if patterns:
        unmatched = [p for p in patterns if not match_patterns(project.stacks(), [p])]
        if unmatched:
            known = ", ".join(s.name for s in project.stacks()) or "none"
            raise ProjectError(
                f"--stack {', '.join(unmatched)}: no stack file in {project.relative(project.stack_dir)} "
                f"matches. Fix: use a stack name or a glob such as 'acme-*' (stacks: {known})"
            )
        stacks = match_patterns(stacks, patterns)
        described.append(f"matching {' '.join(patterns)}")
    if exclude:
        excluded = set(match_patterns(stacks, exclude))
        stacks = [stack for stack in stacks if stack not in excluded]
        described.append(f"except {' '.join(exclude)}")
    if shard:
        stacks = shard.pick(stacks)
        described.append(f"shard {shard}")
    return Selection(stacks=sorted(stacks), removed=removed, described=", ".join(described) or "all stacks")
