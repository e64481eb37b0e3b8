"""Per-stack outcomes of a fleet run, the summary table and the machine-readable JSON report.

A run's exit code follows from its outcomes alone: 1 when any stack failed, was invalid or drifted,
else 0. The JSON report (`--json-report FILE`) carries the same facts as the table, plus each
stack's changed resources and error messages, for CI annotations or a pull-request comment.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ssoprov.wording import counted

SUCCEEDED = "succeeded"
FAILED = "failed"
INVALID = "invalid"
"""The stack file did not validate: the stack was not run (no engine or cloud call)."""
DRIFTED = "drifted"
NOT_DEPLOYED = "not-deployed"
"""The stack has a file but nothing deployed: the backend has no such stack yet, or its state holds
no resources (never `up`, or destroyed). `preview` and `up` deploy such a stack instead."""
ROTATED = "rotated"
DUE = "due"
NOT_DUE = "not-due"
PROBLEM_STATUSES = frozenset({FAILED, INVALID, DRIFTED})

OUTPUTS_CHANGED = "outputsChanged"
"""The details key listing the outputs a preview would change, or an up changed, with every
resource the same (the stack's outputs, a component's)."""
REPLACE_OPS = ("replace", "create-replacement")
"""Pulumi counts a replacement once as `replace`; `create-replacement` is seen in step events."""


@dataclass
class Changes:
    """Resource counts of one stack's run, from the engine's summary (`resourceChanges`)."""

    created: int = 0
    updated: int = 0
    replaced: int = 0
    deleted: int = 0
    unchanged: int = 0

    @classmethod
    def from_summary(cls, ops: Mapping[str, int] | None) -> Changes:
        ops = ops or {}
        return cls(
            created=ops.get("create", 0) + ops.get("import", 0),
            updated=ops.get("update", 0),
            replaced=ops.get("replace", 0),
            deleted=ops.get("delete", 0),
            unchanged=ops.get("same", 0) + ops.get("read", 0) + ops.get("refresh", 0),
        )

    @property
    def changed(self) -> int:
        return self.created + self.updated + self.replaced + self.deleted


@dataclass(frozen=True)
class Step:
    """One resource the engine changed (or would change): its operation, name and type."""

    op: str
    name: str
    type: str
    diffs: tuple[str, ...] = ()
    """The properties that differ, when the engine says (updates, replacements, drift)."""


@dataclass
class StackOutcome:
    stack: str
    file: str
    status: str
    organization: str | None = None
    changes: Changes | None = None
    steps: list[Step] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)
    """Command-specific facts (rotation: the secrets replaced; secrets: expiry dates)."""
    remark: str = ""
    """Said in place of an error when there is none (a settled stack: why nothing ran)."""

    @property
    def problem(self) -> bool:
        return self.status in PROBLEM_STATUSES

    @property
    def planned_nothing(self) -> bool:
        """Whether the engine changed, or previewing would change, nothing: no resource and no
        output (a plan that changes only outputs still has an `up` write them)."""
        return self.changes is not None and not self.changes.changed and not self.details.get(OUTPUTS_CHANGED)

    def note(self) -> str:
        """The first error, on one line, for the table; else the remark."""
        if not self.errors:
            return self.remark
        first = " ".join(self.errors[0].split())
        return first if len(first) <= 120 else first[:117] + "..."

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "organization": self.organization,
            "file": self.file,
            "status": self.status,
            "changes": asdict(self.changes) if self.changes else None,
            "steps": [{**asdict(step), "diffs": list(step.diffs)} for step in self.steps],
            "errors": self.errors,
            "seconds": round(self.seconds, 2),
            **self.details,
        }


@dataclass
class RunReport:
    command: str
    outcomes: list[StackOutcome]
    started: datetime
    finished: datetime
    selection: str = ""
    backend: str = ""
    removed: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        return 1 if any(outcome.problem for outcome in self.outcomes) else 0

    def counts(self) -> dict[str, int]:
        statuses: dict[str, int] = {}
        for outcome in self.outcomes:
            statuses[outcome.status] = statuses.get(outcome.status, 0) + 1
        return statuses

    def totals(self) -> dict[str, int]:
        total = Changes()
        for outcome in self.outcomes:
            if outcome.changes:
                for key, value in asdict(outcome.changes).items():
                    setattr(total, key, getattr(total, key) + value)
        return {"stacks": len(self.outcomes), **self.counts(), **asdict(total)}

    def to_json(self) -> dict[str, Any]:
        return {
            "command": self.command,
            "startedAt": _iso(self.started),
            "finishedAt": _iso(self.finished),
            "seconds": round((self.finished - self.started).total_seconds(), 2),
            "selection": self.selection,
            "backend": self.backend,
            "stacks": [outcome.to_json() for outcome in self.outcomes],
            "removedStackFiles": self.removed,
            "totals": self.totals(),
            "exitCode": self.exit_code,
            **self.extra,
        }

    def write_json(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), indent=2) + "\n")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def now() -> datetime:
    return datetime.now(UTC)


def format_table(headers: Sequence[str], rows: Iterable[Sequence[object]], right: Iterable[int] = ()) -> str:
    """A plain-text table; columns in `right` are right-aligned (numbers)."""
    text_rows = [[("" if cell is None else str(cell)) for cell in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in text_rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    aligned = set(right)

    def line(cells: Sequence[str]) -> str:
        parts = [
            cell.rjust(width) if index in aligned else cell.ljust(width)
            for index, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    return "\n".join([line(list(headers)), line(["-" * w for w in widths]), *(line(r) for r in text_rows)])


CHANGE_COUNTS = tuple(count.name for count in fields(Changes))
"""created, updated, replaced, deleted, unchanged: the table's columns and the totals' keys."""
CHANGE_HEADERS = ("stack", "result", *CHANGE_COUNTS, "time", "note")


def change_table(report: RunReport) -> str:
    """preview / up: one row per stack with its resource counts, then the totals."""
    rows = []
    for outcome in report.outcomes:
        changes = outcome.changes
        counts: list[object] = (
            [changes.created, changes.updated, changes.replaced, changes.deleted, changes.unchanged]
            if changes
            else ["-"] * 5
        )
        rows.append([outcome.stack, outcome.status, *counts, f"{outcome.seconds:.1f}s", outcome.note()])
    table = format_table(CHANGE_HEADERS, rows, right=range(2, 8))
    return f"{table}\n{summary_line(report)}"


def summary_line(report: RunReport) -> str:
    """The run on one line: stacks by status, then, when the engine ran, the resource totals with
    every count the table has, zeros included (`0 deleted` is news to a reader, not noise)."""
    totals = report.totals()
    statuses = ", ".join(f"{count} {status}" for status, count in sorted(report.counts().items()))
    seconds = (report.finished - report.started).total_seconds()
    line = f"{report.command}: {counted(totals['stacks'], 'stack')} ({statuses or 'none'})"
    if any(outcome.changes is not None for outcome in report.outcomes):
        line += "; resources " + ", ".join(f"{totals[key]} {key}" for key in CHANGE_COUNTS)
    line += f"; {seconds:.1f}s"
    if report.removed:
        line += (
            f"\nstack files removed: {', '.join(report.removed)}; their stacks still exist in the backend "
            "(destroy them with `pulumi destroy --stack <name>` once the customer is off-boarded)"
        )
    return line
