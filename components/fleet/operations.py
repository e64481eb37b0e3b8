"""What a worker does to one stack: preview, up, a drift check, or reading its state.

Each operation runs one real Pulumi CLI command (components/fleet/stack_command.py) and follows
the engine's event stream: resource steps become progress lines and the outcome's `steps`, error
diagnostics become its `errors`, the summary event its resource counts. Secrets never pass
through here: no command runs with `--show-secrets`, and the engine masks secret values in events.
"""

from __future__ import annotations

import json
import re
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pulumi import automation as auto
from pulumi.automation import events

from ssoprov.errors import ProvisionerError
from ssoprov.fleet.engine import display_url
from ssoprov.fleet.file_backend import damage_note
from ssoprov.fleet.progress import Progress
from ssoprov.fleet.provider_names import rename_providers
from ssoprov.fleet.recovery import failure_message, lock_holders
from ssoprov.fleet.report import DRIFTED, FAILED, OUTPUTS_CHANGED, SUCCEEDED, Changes, StackOutcome, Step
from ssoprov.fleet.stack_command import cancel, cli_env, run_stack_command
from ssoprov.untracked_secrets import UNTRACKED_KEY, removed_in
from ssoprov.wording import counted
from ssoprov.workspace import Engine

SKIPPED_TYPES = ("pulumi:pulumi:Stack", "pulumi:providers:")
"""The stack itself and provider instances are bookkeeping, not resources a reader cares about."""
LOGICAL_OPS = ("create", "update", "replace", "delete", "import")
"""Steps recorded in an outcome; a replacement's create-replacement/delete-replaced halves are not."""
PRESENT = {
    "create": "creating",
    "update": "updating",
    "replace": "replacing",
    "delete": "deleting",
    "create-replacement": "creating the replacement of",
    "delete-replaced": "deleting the replaced",
    "import": "importing",
    "refresh": "reading",
    "read": "reading",
}
PAST = {
    "create": "created",
    "update": "updated",
    "replace": "replaced",
    "delete": "deleted",
    "create-replacement": "created the replacement of",
    "delete-replaced": "deleted the replaced",
    "import": "imported",
}
DRIFT = {"update": "changed out of band", "delete": "deleted out of band"}
UNTRACKED = "untracked"
"""A drift step of its own: secrets on a client-secret resource's app that no state tracks."""
UNTRACKED_REMOVED = "untrackedSecretsRemoved"
"""The details key listing the ids of secrets no state tracked that a run's providers removed."""
PROVIDER_STDERR = "info#err"
"""The severity of the diagnostics that carry what a provider process wrote on its stderr."""
UP = ("up", "--yes", "--skip-preview")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_GRPC_WRAPPER = re.compile(r"Exception calling application: ?")
"""What gRPC puts before the message of an exception a provider raised: noise to a reader."""
GENERIC_ERRORS = ("an unhandled error occurred: program exited with non-zero exit code", "update failed")
"""The engine's closing words after a program or resource error: dropped when a specific error
came first."""


@dataclass(frozen=True)
class StackJob:
    """One stack of a run: its name, its file as the user sees it, its organization and engine."""

    stack: str
    file: str
    organization: str | None
    engine: Engine


def op_name(metadata: events.StepEventMetadata) -> str:
    """The step's operation as Pulumi spells it: create, update, replace, ..."""
    return str(getattr(metadata.op, "value", metadata.op))


def resource_name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def short_type(type_token: str) -> str:
    """`pulumi-python:dynamic/entra:ClientSecret` -> `entra:ClientSecret`."""
    if type_token.startswith("pulumi-python:dynamic/"):
        return type_token.removeprefix("pulumi-python:dynamic/")
    return type_token


def changed_properties(metadata: events.StepEventMetadata) -> tuple[str, ...]:
    """The output properties that differ between the step's old and new state (secrets stay masked)."""
    if metadata.diffs:
        return tuple(metadata.diffs)
    old = (metadata.old.outputs if metadata.old else None) or {}
    new = (metadata.new.outputs if metadata.new else None) or {}
    return tuple(sorted(k for k in set(old) | set(new) if k != "__provider" and old.get(k) != new.get(k)))


class EventTracker:
    """Follows one stack's engine events: progress, recorded steps, errors, the summary."""

    def __init__(self, job: StackJob, progress: Progress, *, planning: bool = False, drift: bool = False):
        self.job = job
        self.progress = progress
        self.planning = planning
        self.drift = drift
        self.steps: list[Step] = []
        self.errors: list[str] = []
        self.summary: dict[str, int] | None = None
        self.finished_ops: Counter[str] = Counter()
        """Each finished step's operation, counted as the engine's summary counts them."""
        self.outputs_changed: set[str] = set()
        """Outputs of unchanged resources that change (the engine's "Outputs:" section)."""
        self.removed: list[str] = []
        """Ids of secrets no state tracked that the providers removed, as they said on stderr."""

    def __call__(self, event: events.EngineEvent) -> None:
        if event.resource_pre_event is not None:
            self._pre(event.resource_pre_event.metadata)
        elif event.res_outputs_event is not None:
            self._count(event.res_outputs_event.metadata)
            self._outputs(event.res_outputs_event.metadata)
            self._done(event.res_outputs_event.metadata)
        elif event.res_op_failed_event is not None:
            metadata = event.res_op_failed_event.metadata
            self._say(f"failed to {op_name(metadata)} {resource_name(metadata.urn)}")
        elif event.diagnostic_event is not None:
            self._diagnostic(event.diagnostic_event)
        elif event.summary_event is not None:
            self.summary = dict(event.summary_event.resource_changes or {})

    def _count(self, metadata: events.StepEventMetadata) -> None:
        # The summary counts the stack and components too, not the provider instances.
        if not metadata.type.startswith("pulumi:providers:"):
            self.finished_ops[op_name(metadata)] += 1

    def _outputs(self, metadata: events.StepEventMetadata) -> None:
        """The outputs an unchanged resource registers anew: the stack's exports, a component's
        `register_outputs`. Resource counts leave them out, yet an `up` writes them to the state."""
        if op_name(metadata) != "same" or metadata.type.startswith("pulumi:providers:"):
            return
        old = (metadata.old.outputs if metadata.old else None) or {}
        new = (metadata.new.outputs if metadata.new else None) or {}
        self.outputs_changed.update(key for key in set(old) | set(new) if old.get(key) != new.get(key))

    def changes(self) -> Changes:
        """What the engine did (or, planning, would do): its summary event, or when it sent none
        (it died first) the steps that finished."""
        return Changes.from_summary(self.summary if self.summary is not None else self.finished_ops)

    def _skip(self, metadata: events.StepEventMetadata) -> bool:
        return metadata.type.startswith(SKIPPED_TYPES)

    def _pre(self, metadata: events.StepEventMetadata) -> None:
        op = op_name(metadata)
        if self._skip(metadata) or op == "same":
            return
        verb = PRESENT.get(op, op)
        self.progress.update(self.job.stack, f"{verb} {resource_name(metadata.urn)}")

    def _done(self, metadata: events.StepEventMetadata) -> None:
        op = op_name(metadata)
        if self._skip(metadata):
            return
        name, kind = resource_name(metadata.urn), short_type(metadata.type)
        if self.drift:
            self._drift(op, name, kind, metadata)
            return
        if op in ("same", "refresh", "read"):
            return
        if op in LOGICAL_OPS:
            self.steps.append(Step(op, name, kind, changed_properties(metadata) if op != "create" else ()))
        verb = PAST.get(op, op)
        self._say(f"{'would have ' + verb if self.planning else verb} {name} ({kind})")

    def _drift(self, op: str, name: str, kind: str, metadata: events.StepEventMetadata) -> None:
        """A resource read back: what changed out of band, and secrets no state tracks, whether the
        read just found them or an earlier refresh recorded them (the next `up` removes them)."""
        outputs = (metadata.new.outputs if metadata.new else None) or {}
        untracked = tuple(outputs.get(UNTRACKED_KEY) or ())
        if untracked:
            self.steps.append(Step(UNTRACKED, name, kind, untracked))
            self._say(f"secrets no state tracks on the app of {name} ({kind}): {', '.join(untracked)}")
        if op in DRIFT:
            diffs = changed_properties(metadata) if op == "update" else ()
            if untracked and set(diffs) <= {UNTRACKED_KEY}:
                return
            self.steps.append(Step(op, name, kind, diffs))
            changed = f": {', '.join(diffs)}" if diffs else ""
            self._say(f"{DRIFT[op]}: {name} ({kind}){changed}")

    def _diagnostic(self, diagnostic: events.DiagnosticEvent) -> None:
        if diagnostic.severity == PROVIDER_STDERR:
            self._removals(diagnostic.message)
            return
        if diagnostic.severity != "error":
            return
        message = readable_error(diagnostic.message)
        if message and message not in self.errors:
            self.errors.append(message)
            if not message.startswith(GENERIC_ERRORS):
                self._say(f"error: {message.splitlines()[0]}")

    def _removals(self, message: str) -> None:
        """A leftover secret removed (ssoprov.untracked_secrets.say_removed): said as it happens,
        as `pulumi up` says it, and kept for the outcome."""
        for line, secret_id in removed_in(message):
            if secret_id not in self.removed:
                self.removed.append(secret_id)
                self._say(line)

    def problems(self) -> list[str]:
        specific = [e for e in self.errors if not e.startswith(GENERIC_ERRORS)]
        return specific or self.errors

    def _say(self, text: str) -> None:
        self.progress.update(self.job.stack, text, log=text)


def readable_error(text: str) -> str:
    """An engine error as a reader wants it: no colour codes, no gRPC wrapper, the message kept."""
    return _GRPC_WRAPPER.sub("", _ANSI.sub("", text)).strip()


def stderr_tail(exc: Exception, lines: int = 6) -> str:
    """The last lines of a failed CLI command's stderr (CommandError keeps only its text)."""
    text = str(exc)
    stderr = text.split("\n stderr: ", 1)[-1] if "\n stderr: " in text else text
    kept = [line for line in readable_error(stderr).splitlines() if line.strip()]
    return "\n".join(kept[-lines:]) or type(exc).__name__


def _run(
    job: StackJob,
    action: str,
    progress: Progress,
    body: Callable[[EventTracker], StackOutcome],
    tracker: EventTracker,
) -> StackOutcome:
    progress.begin(job.stack, action)
    started = time.monotonic()
    try:
        outcome = body(tracker)
    except Exception as exc:
        errors = tracker.problems() or [stderr_tail(exc)]
        unfinished = failure_message(job.stack, exc)
        if unfinished:
            errors = [unfinished, *tracker.problems()]
        # What the engine did before the failure: resources it created stay (drift counts none).
        changes = None if tracker.drift else tracker.changes()
        outcome = StackOutcome(job.stack, job.file, FAILED, job.organization, changes, tracker.steps, errors)
    if tracker.removed:
        outcome.details[UNTRACKED_REMOVED] = list(tracker.removed)
        removed = f"removed {counted(len(tracker.removed), 'client secret')} that no stack tracked: "
        said = removed + ", ".join(tracker.removed)
        outcome.remark = f"{outcome.remark}; {said}" if outcome.remark else said
    outcome.seconds = time.monotonic() - started
    progress.end(outcome)
    return outcome


def preview(
    job: StackJob, progress: Progress, message: str = "ssoprov preview", refresh: bool = False
) -> StackOutcome:
    tracker = EventTracker(job, progress, planning=True)

    def body(tracker: EventTracker) -> StackOutcome:
        run_stack_command(
            job.engine, job.stack, ("preview", "--message", message, *_refresh(refresh)), tracker
        )
        return _succeeded(job, tracker)

    return _run(job, "preview", progress, body, tracker)


def _succeeded(job: StackJob, tracker: EventTracker) -> StackOutcome:
    """The outcome of a command that ended well; outputs that change with no resource changed are
    named, since the resource counts alone would read as nothing to do."""
    changes = tracker.changes()
    outcome = StackOutcome(job.stack, job.file, SUCCEEDED, job.organization, changes, tracker.steps)
    if tracker.outputs_changed and not changes.changed:
        names = sorted(tracker.outputs_changed)
        outcome.details[OUTPUTS_CHANGED] = names
        said = "would change (an up writes them)" if tracker.planning else "changed"
        outcome.remark = f"outputs {said}: {', '.join(names)}"
    return outcome


def _refresh(refresh: bool) -> tuple[str, ...]:
    return ("--refresh",) if refresh else ()


def up(job: StackJob, progress: Progress, message: str = "ssoprov up", refresh: bool = False) -> StackOutcome:
    """`pulumi up`; with `refresh`, the state is first refreshed from the services, so what drifted
    out of band is put back to the spec (without it, the engine compares with the recorded state)."""
    tracker = EventTracker(job, progress)

    def body(tracker: EventTracker) -> StackOutcome:
        run_stack_command(job.engine, job.stack, [*UP, "--message", message, *_refresh(refresh)], tracker)
        return _succeeded(job, tracker)

    return _run(job, "up", progress, body, tracker)


class RunInProgress(Exception):
    """The stack's lock belongs to a process still running on this machine: it is not cancelled."""


def recover(job: StackJob, progress: Progress) -> StackOutcome:
    """Release the lock of a run that did not finish, drop its pending creates while reading every
    resource back, then `up` (components/fleet/recovery.py)."""
    tracker = EventTracker(job, progress)

    def body(tracker: EventTracker) -> StackOutcome:
        def refresh() -> None:
            run_stack_command(
                job.engine,
                job.stack,
                ["refresh", "--yes", "--skip-preview", "--clear-pending-creates"],
                tracker,
            )

        try:
            refresh()
        except auto.ConcurrentUpdateError as exc:
            holders = lock_holders(str(exc))
            running = [str(holder) for holder in holders if holder.running_here()]
            if running:
                raise RunInProgress(
                    f"stack {job.stack} is locked by a run still in progress on this machine "
                    f"({', '.join(running)}); nothing was cancelled. Fix: wait for it to end"
                ) from None
            cancel(job.engine, job.stack)
            tracker.progress.update(
                job.stack, "released the lock", log=f"released the lock ({', '.join(map(str, holders))})"
            )
            refresh()
        tracker.summary = None  # the refresh's; the up's own comes next
        run_stack_command(job.engine, job.stack, [*UP, "--message", "ssoprov recover"], tracker)
        return _succeeded(job, tracker)

    return _run(job, "recovery", progress, body, tracker)


def drift(job: StackJob, progress: Progress) -> StackOutcome:
    """`pulumi refresh --preview-only`: read every resource and compare it with the state, changing
    neither the state nor any real resource. A resource whose read differs has drifted."""
    tracker = EventTracker(job, progress, planning=True, drift=True)

    def body(tracker: EventTracker) -> StackOutcome:
        run_stack_command(job.engine, job.stack, ["refresh", "--preview-only"], tracker)
        status = DRIFTED if tracker.steps or tracker.changes().changed else SUCCEEDED
        # The drifted resources are the steps; resource counts would read as changes made.
        return StackOutcome(job.stack, job.file, status, job.organization, None, tracker.steps)

    return _run(job, "drift check", progress, body, tracker)


def read_state(engine: Engine, stack: str, command: auto.PulumiCommand) -> Mapping[str, Any]:
    """The stack's deployment as `pulumi stack export` prints it: secrets stay encrypted (no
    --show-secrets, unlike the Automation API's export_stack), and nothing is decrypted or run."""
    result = command.run(["stack", "export", "--stack", stack], str(engine.project_dir), cli_env(engine))
    return json.loads(result.stdout).get("deployment") or {}


def upgrade_state(job: StackJob, progress: Progress) -> StackOutcome:
    """Rewrite the stack's recorded providers under the `ssoprov` module names
    (components/fleet/provider_names.py says why and how), with one `stack import` when anything
    changed. The export with secrets shown stays in memory; the file imported holds no secret in
    plaintext but the providers (module and class names)."""
    command = auto.PulumiCommand()
    folder, env = str(job.engine.project_dir), cli_env(job.engine)

    def export(*flags: str) -> dict[str, Any]:
        return json.loads(command.run(["stack", "export", "--stack", job.stack, *flags], folder, env).stdout)

    def body(_tracker: EventTracker) -> StackOutcome:
        exported = export()
        revealed = export("--show-secrets").get("deployment") or {}
        renamed = rename_providers(exported.get("deployment") or {}, revealed)
        if renamed:
            with tempfile.TemporaryDirectory() as scratch:
                path = Path(scratch) / "deployment.json"
                path.write_text(json.dumps(exported))
                command.run(["stack", "import", "--stack", job.stack, "--file", str(path)], folder, env)
        details = {"providersRenamed": renamed}
        return StackOutcome(job.stack, job.file, SUCCEEDED, job.organization, details=details)

    return _run(job, "upgrade-state", progress, body, EventTracker(job, progress))


def holds_resources(deployment: Mapping[str, Any]) -> bool:
    """Whether a stack's state records anything deployed: a resource besides the root stack and
    provider instances, or an operation a killed run left pending. A stack that `pulumi destroy`
    emptied, or that only a `stack init` (a first `preview` makes one) or a preview touched, holds
    none: it is not deployed, and running `up` on it would create a customer's connection anew."""
    if deployment.get("pending_operations"):
        return True
    return any(
        not str(r.get("type", "")).startswith(SKIPPED_TYPES) for r in deployment.get("resources") or []
    )


def list_stacks(engine: Engine, command: auto.PulumiCommand) -> dict[str, int | None]:
    """This project's stacks in the backend, by name, with the number of resources in each one's
    state as the backend counts them (the root stack included; None when it does not say), from
    one `pulumi stack ls`."""
    try:
        result = command.run(["stack", "ls", "--json"], str(engine.project_dir), cli_env(engine))
    except auto.CommandError as exc:
        failed = f"listing the stacks in backend {display_url(engine.backend_url)}: {stderr_tail(exc, 2)}."
        fix = damage_note(engine.backend_url, engine.project_dir) or (
            "Fix: check --backend (default: $PULUMI_BACKEND_URL, else .pulumi-state/) and the "
            "backend's credentials"
        )
        raise ProvisionerError(f"{failed} {fix}") from None
    # Pulumi Cloud lists qualified names (org/project/stack); the stack is the last part.
    return {
        entry["name"].rsplit("/", 1)[-1]: entry.get("resourceCount")
        for entry in json.loads(result.stdout or "[]")
    }
