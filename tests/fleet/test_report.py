"""Outcomes, the summary table, the JSON report and the progress lines."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pulumi.automation import events

from ssoprov.fleet import operations
from ssoprov.fleet.operations import StackJob
from ssoprov.fleet.progress import LiveProgress, PlainProgress, progress_for
from ssoprov.fleet.report import Changes, RunReport, StackOutcome, Step, change_table, summary_line

STARTED = datetime(2026, 5, 4, 3, 2, 1, tzinfo=UTC)


def outcome(stack: str, status: str = "succeeded", **changes: int) -> StackOutcome:
    return StackOutcome(stack, f"stacks/Pulumi.{stack}.yaml", status, stack, Changes(**changes), seconds=1.25)


def report(*outcomes: StackOutcome) -> RunReport:
    return RunReport(
        "up", list(outcomes), STARTED, STARTED + timedelta(seconds=42), "all stacks", "file:///s"
    )


def test_changes_from_the_engine_summary() -> None:
    changes = Changes.from_summary(
        {"create": 2, "update": 1, "replace": 1, "delete": 1, "same": 5, "import": 1}
    )
    assert changes == Changes(created=3, updated=1, replaced=1, deleted=1, unchanged=5)
    assert changes.changed == 6
    assert Changes.from_summary(None) == Changes()


def test_exit_code_is_1_when_any_stack_failed_was_invalid_or_drifted() -> None:
    assert report(outcome("a"), outcome("b", "not-deployed"), outcome("c", "not-due")).exit_code == 0
    for status in ("failed", "invalid", "drifted"):
        assert report(outcome("a"), outcome("b", status)).exit_code == 1


def test_table_has_a_row_per_stack_with_counts_then_totals() -> None:
    failed = StackOutcome(
        "b", "stacks/Pulumi.b.yaml", "failed", errors=["stacks/Pulumi.b.yaml: key: boom.\n Fix: x"]
    )
    text = change_table(report(outcome("a", created=3, unchanged=1), failed))
    lines = text.splitlines()
    assert lines[0].split() == [
        "stack",
        "result",
        "created",
        "updated",
        "replaced",
        "deleted",
        "unchanged",
        "time",
        "note",
    ]
    assert lines[2].split() == ["a", "succeeded", "3", "0", "0", "0", "1", "1.2s"]
    assert lines[3].split()[:7] == ["b", "failed", "-", "-", "-", "-", "-"]
    assert lines[3].endswith("stacks/Pulumi.b.yaml: key: boom. Fix: x")  # one line, whitespace folded
    assert lines[4] == (
        "up: 2 stacks (1 failed, 1 succeeded); "
        "resources 3 created, 0 updated, 0 replaced, 0 deleted, 1 unchanged; 42.0s"
    )


def test_the_summary_line_has_every_count_the_table_has_when_the_engine_ran() -> None:
    no_op = report(outcome("a", unchanged=4), outcome("b", unchanged=3))
    assert summary_line(no_op) == (
        "up: 2 stacks (2 succeeded); "
        "resources 0 created, 0 updated, 0 replaced, 0 deleted, 7 unchanged; 42.0s"
    )
    # Commands that count no resources (secrets, drift, a dry run) say nothing about them.
    listed = report(StackOutcome("a", "stacks/Pulumi.a.yaml", "not-due"))
    assert summary_line(listed) == "up: 1 stack (1 not-due); 42.0s"


def test_json_report(tmp_path: Path) -> None:
    first = outcome("a", created=1)
    first.steps = [Step("update", "a-app", "entra:Application", ("redirect_uris",))]
    run = report(first, StackOutcome("b", "stacks/Pulumi.b.yaml", "invalid", errors=["problem"]))
    run.removed = ["gone"]
    path = tmp_path / "out" / "report.json"
    run.write_json(path)
    document = json.loads(path.read_text())
    assert document["command"] == "up" and document["exitCode"] == 1
    assert document["startedAt"] == "2026-05-04T03:02:01Z" and document["seconds"] == 42.0
    assert document["removedStackFiles"] == ["gone"]
    assert document["totals"] == {
        "stacks": 2,
        "succeeded": 1,
        "invalid": 1,
        "created": 1,
        "updated": 0,
        "replaced": 0,
        "deleted": 0,
        "unchanged": 0,
    }
    a, b = document["stacks"]
    assert a["steps"] == [
        {"op": "update", "name": "a-app", "type": "entra:Application", "diffs": ["redirect_uris"]}
    ]
    assert a["changes"]["created"] == 1 and a["seconds"] == 1.25
    assert b == {
        "stack": "b",
        "organization": None,
        "file": "stacks/Pulumi.b.yaml",
        "status": "invalid",
        "changes": None,
        "steps": [],
        "errors": ["problem"],
        "seconds": 0.0,
    }


def test_plain_progress_prints_one_prefixed_line_per_event() -> None:
    stream = io.StringIO()
    progress = PlainProgress(stream)
    progress.begin("acme", "up")
    progress.update("acme", "creating acme-app")  # live-only activity: not printed
    progress.update("acme", "created acme-app", log="created acme-app (entra:Application)")
    progress.end(outcome("acme", created=1, updated=2))
    progress.close()
    assert stream.getvalue().splitlines() == [
        "[acme] up started",
        "[acme] created acme-app (entra:Application)",
        "[acme] succeeded in 1.2s: 1 created, 2 updated",
    ]


def test_live_progress_redraws_one_line_per_stack_in_place() -> None:
    stream = io.StringIO()
    progress = LiveProgress(["acme", "globex"], stream, interval=60)
    progress.begin("acme", "up")
    progress.update("acme", "creating acme-app")
    progress._draw()
    progress.end(outcome("acme"))
    progress.close()
    frames = stream.getvalue().split("\x1b[3F")  # each redraw goes back over the 3 lines it drew
    assert len(frames) == 2
    first = [re.sub(r"\x1b\[2K", "", line) for line in frames[0].splitlines()]
    assert first[0] == "0/2 done, 1 running"
    assert re.match(r"^[|/\\-] acme    up +\d+s  creating acme-app$", first[1])
    assert first[2] == "  globex  waiting"
    last = [re.sub(r"\x1b\[2K", "", line) for line in frames[1].splitlines()]
    assert last[0] == "1/2 done, 0 running"
    assert re.match(r"^\+ acme    succeeded +[\d.]+s  no changes$", last[1])


def test_plain_lines_unless_the_stream_is_a_terminal() -> None:
    assert isinstance(progress_for(["a"], "auto", io.StringIO()), PlainProgress)
    live = progress_for(["a"], "live", io.StringIO())
    assert isinstance(live, LiveProgress)
    live.close()


def engine_event(**body: Any) -> events.EngineEvent:
    return events.EngineEvent.from_json({"sequence": 0, "timestamp": 0, **body})


def finished(op: str, name: str, type_token: str) -> events.EngineEvent:
    urn = f"urn:pulumi:acme::ssoprov::{type_token}::{name}"
    return engine_event(resOutputsEvent={"metadata": {"op": op, "urn": urn, "type": type_token}})


def error(message: str) -> events.EngineEvent:
    return engine_event(diagnosticEvent={"message": message, "color": "never", "severity": "error"})


def failing_command(played: list[events.EngineEvent]) -> Callable[..., None]:
    """A `run_stack_command` that plays engine events to `on_event`, then fails as the CLI does."""

    def run(
        _engine: object, _stack: str, _args: object, on_event: Callable[[events.EngineEvent], None]
    ) -> None:
        for event in played:
            on_event(event)
        raise RuntimeError("code: 255\n stderr: error: update failed")

    return run


FAILED_GROUP = "Okta: finding the Okta group named 'Nobody': no group has exactly this name"
CREATED_BEFORE_THE_FAILURE = [
    finished("create", "ssoprov-acme", "pulumi:pulumi:Stack"),
    finished("create", "default", "pulumi:providers:pulumi-python"),
    finished("create", "acme", "ssoprov:index:Organization"),
    finished("create", "acme-okta-app", "pulumi-python:dynamic/okta:OidcApp"),
    finished("same", "acme-okta-group-Admins", "pulumi-python:dynamic/okta:GroupAssignment"),
    error(f"\x1b[31mException calling application: {FAILED_GROUP}\x1b[0m"),
    error("update failed"),
]


def failed_up(played: list[events.EngineEvent]) -> tuple[StackOutcome, str]:
    stream = io.StringIO()
    job = StackJob("acme", "stacks/Pulumi.acme.yaml", "acme", None)  # type: ignore[arg-type]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(operations, "run_stack_command", failing_command(played))
        outcome = operations.up(job, PlainProgress(stream))
    return outcome, stream.getvalue()


def test_a_failed_stack_counts_what_the_engine_did_by_its_summary() -> None:
    summary = engine_event(summaryEvent={"resourceChanges": {"create": 4, "same": 1}})
    outcome, _ = failed_up([*CREATED_BEFORE_THE_FAILURE, summary])
    assert outcome.status == "failed"
    assert outcome.changes == Changes(created=4, unchanged=1)
    assert outcome.to_json()["changes"] == {
        "created": 4,
        "updated": 0,
        "replaced": 0,
        "deleted": 0,
        "unchanged": 1,
    }


def test_without_a_summary_a_failed_stack_counts_the_steps_that_finished() -> None:
    outcome, _ = failed_up(CREATED_BEFORE_THE_FAILURE)  # the engine died before its summary
    # The stack, the component and the app, as the summary would count them; not the provider.
    assert outcome.changes == Changes(created=3, unchanged=1)
    assert [step.name for step in outcome.steps] == ["acme", "acme-okta-app"]


def test_errors_are_shown_without_the_grpc_wrapper() -> None:
    outcome, progress = failed_up(CREATED_BEFORE_THE_FAILURE)
    assert outcome.errors == [FAILED_GROUP]  # the engine's closing "update failed" adds nothing
    assert f"[acme] error: {FAILED_GROUP}" in progress.splitlines()
    assert progress.splitlines()[-1].startswith("[acme] failed in ")
    assert progress.splitlines()[-1].endswith(FAILED_GROUP)
    assert "Exception calling application" not in progress + json.dumps(outcome.to_json())
    assert change_table(report(outcome)).splitlines()[2].endswith(FAILED_GROUP)
