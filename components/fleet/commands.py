"""The fleet commands of `ssoprov`: preview, up, rotate, secrets, drift, recover, new.

Every command runs in the same order: select stacks, validate their files (an invalid stack is
reported and never reaches the engine), run one worker per stack with bounded parallelism,
print a summary table on stdout (progress goes to stderr), optionally write a JSON report, and
exit 1 if any stack failed, was invalid or drifted (2 for usage errors, such as a --stack pattern
matching nothing).
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, TextIO

from pulumi import automation as auto

from ssoprov.clock import (
    AS_OF_FLAG,
    AS_OF_VARIABLE,
    AsOfError,
    as_of_from_environment,
    calendar_date,
    later_of_now,
    parse_as_of,
)
from ssoprov.fleet import operations
from ssoprov.fleet.engine import display_url, with_env
from ssoprov.fleet.html_report import FleetRow, render_page
from ssoprov.fleet.operations import StackJob
from ssoprov.fleet.passphrase import PassphraseCheck
from ssoprov.fleet.plan_inputs import StackInputs, program_digest, stack_inputs
from ssoprov.fleet.progress import Progress, progress_for
from ssoprov.fleet.project import Project, ProjectError
from ssoprov.fleet.realm_keys import KeyRotationRun, realm_rotations, rotate_realm
from ssoprov.fleet.report import (
    DRIFTED,
    DUE,
    FAILED,
    INVALID,
    NOT_DEPLOYED,
    NOT_DUE,
    ROTATED,
    SUCCEEDED,
    Changes,
    RunReport,
    StackOutcome,
    Step,
    change_table,
    format_table,
    now,
    summary_line,
)
from ssoprov.fleet.runner import run_each
from ssoprov.fleet.secrets import REALM_KEY, SIGNING_CERTIFICATE, SecretStatus, secret_status
from ssoprov.fleet.selection import Selection
from ssoprov.fleet.settled import Checkpoint, FileBackendStacks, Record, Settled, settled
from ssoprov.fleet.stack_command import process_env
from ssoprov.spec.loading import load_stack_file, validate_stack_files
from ssoprov.spec.models import OrganizationSpec
from ssoprov.wording import counted
from ssoprov.workspace import Engine, pulumi_command

NOT_MANAGED = "not-managed"
INCOMPLETE = "incomplete"
"""A managed secret missing from a deployed stack's state (its first `up` failed): not due, and
`rotate` skips it; `ssoprov up` finishes the stack."""
NO_EXPIRY = "does not expire"
"""Shown for a managed secret without an expiry of its own (Okta's)."""


@dataclass
class FleetRun:
    """What every fleet command shares: the project, the chosen stacks, the engine, how to report."""

    project: Project
    selection: Selection
    engine: Engine
    parallel: int = 4
    progress_mode: str = "auto"
    json_report: Path | None = None
    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)

    def say(self, text: str) -> None:
        print(text, file=self.err, flush=True)

    def prepare(
        self, *, need_valid: bool = True
    ) -> tuple[list[tuple[StackJob, OrganizationSpec | None]], list[StackOutcome]]:
        """Jobs for the selected stacks, and the outcomes of those whose files do not validate.

        The whole fleet is validated (organization names must be unique across it), but only the
        selected stacks' problems count. Problems are printed as file + key + fix lines.
        """
        every = self.project.stacks()
        by_file: dict[str, list[str]] = {}
        for problem in validate_stack_files([ref.file for ref in every]) if every else []:
            # Read by absolute path (any cwd), shown as the program shows it: stacks/Pulumi.<x>.yaml.
            shown = dataclasses.replace(problem, file=self.project.relative(Path(problem.file)))
            by_file.setdefault(shown.file, []).append(str(shown))
        jobs: list[tuple[StackJob, OrganizationSpec | None]] = []
        invalid: list[StackOutcome] = []
        for ref in self.selection.stacks:
            file = self.project.relative(ref.file)
            spec, _, _ = load_stack_file(ref.file)
            found = by_file.get(file, [])
            organization = spec.name if spec else None
            if found and need_valid:
                for line in found:
                    self.say(line)
                invalid.append(StackOutcome(ref.name, file, INVALID, organization, errors=found))
                continue
            jobs.append((StackJob(ref.name, file, organization, self.engine), spec))
        return jobs, invalid

    def header(self, command: str, count: int) -> None:
        self.say(
            f"ssoprov {command}: {count} stack(s) ({self.selection.described}), "
            f"parallel {self.parallel}, backend {display_url(self.engine.backend_url)}"
        )

    def finish(self, report: RunReport, table: str) -> int:
        print(table, file=self.out, flush=True)
        if self.json_report:
            report.write_json(self.json_report)
            self.say(f"JSON report: {self.json_report}")
        return report.exit_code

    def report(
        self, command: str, outcomes: list[StackOutcome], started: datetime, **extra: object
    ) -> RunReport:
        return RunReport(
            command=command,
            outcomes=sorted(outcomes, key=lambda outcome: outcome.stack),
            started=started,
            finished=now(),
            selection=self.selection.described,
            backend=display_url(self.engine.backend_url),
            removed=self.selection.removed,
            extra=dict(extra),
        )

    def run_jobs(
        self, jobs: list[StackJob], work: Callable[[StackJob, Progress], StackOutcome]
    ) -> list[StackOutcome]:
        progress = progress_for([job.stack for job in jobs], self.progress_mode, self.err)
        try:
            return run_each(
                jobs,
                lambda job: work(job, progress),
                parallel=self.parallel,
                describe=lambda job: (job.stack, job.file),
            )
        finally:
            progress.close()

    def deployed(self, command: auto.PulumiCommand) -> set[str]:
        return _with_resources(operations.list_stacks(self.engine, command))

    def split_deployed(
        self, prepared: list[tuple[StackJob, OrganizationSpec | None]], *, empty_too: bool = False
    ) -> tuple[list[StackJob], list[StackOutcome]]:
        """Jobs for the prepared stacks the backend holds with resources in them (`empty_too`: any it
        holds); `not-deployed` outcomes for the others."""
        listed = operations.list_stacks(self.engine, auto.PulumiCommand())
        taken = set(listed) if empty_too else _with_resources(listed)
        jobs = [job for job, _ in prepared if job.stack in taken]
        absent = [not_deployed(job, job.stack in listed) for job, _ in prepared if job.stack not in taken]
        return jobs, absent


def _with_resources(listed: Mapping[str, int | None]) -> set[str]:
    """The listed stacks with resources in their state; one the backend gives no count for is taken
    to have some, so that it is never left out unseen."""
    return {name for name, count in listed.items() if count != 0}


EMPTY_STACK = "its stack in the backend holds no resources (none deployed yet, or destroyed)"


def not_deployed(job: StackJob, in_backend: bool) -> StackOutcome:
    """A stack with nothing deployed: none in the backend, or one whose state holds no resources."""
    return StackOutcome(
        job.stack, job.file, NOT_DEPLOYED, job.organization, remark=EMPTY_STACK if in_backend else ""
    )


def changes(run: FleetRun, command: str, refresh: bool = False, full: bool = False) -> int:
    """preview / up over the selection; `refresh` reads the services first (repairs drift).

    A stack settled since its last run (components/fleet/settled.py) is reported unchanged without
    a `pulumi` run, unless `full` or `refresh` is asked for."""
    started = now()
    prepared, invalid = run.prepare()
    jobs = [job for job, _ in prepared]
    run.header(command, len(jobs) + len(invalid))
    operation = operations.up if command == "up" else operations.preview
    stacks = FileBackendStacks.of(run.engine.backend_url, run.project)
    if stacks is None:

        def work(job: StackJob, progress: Progress) -> StackOutcome:
            return operation(job, progress, refresh=refresh)

    else:
        specs = {job.stack: spec for job, spec in prepared}
        env = process_env(run.engine)
        version = str(pulumi_command().version)
        moment = later_of_now(as_of_from_environment())
        passphrase = PassphraseCheck(env, run.project.root)
        program = program_digest(run.project.root, version, env)

        def inputs_now(stack: str) -> StackInputs | None:
            now_program = program_digest(run.project.root, version, env)
            return stack_inputs(now_program, run.project.stack_file(stack), specs[stack])

        def work(job: StackJob, progress: Progress) -> StackOutcome:
            spec = specs[job.stack]
            inputs = stack_inputs(program, run.project.stack_file(job.stack), spec)
            before = stacks.checkpoint(job.stack)
            if spec is not None and not (full or refresh):
                found = settled(stacks, job.stack, spec, inputs, before, moment, passphrase)
                if found is not None:
                    return _settled_outcome(job, found, command, progress)
            outcome = operation(job, progress, refresh=refresh)
            ran = Ran(command, refresh, outcome, inputs, before)
            _remember(stacks, job.stack, ran, lambda: inputs_now(job.stack))
            return outcome

    outcomes = run.run_jobs(jobs, work) + invalid
    report = run.report(command, outcomes, started)
    return run.finish(report, change_table(report))


def _settled_outcome(job: StackJob, found: Settled, command: str, progress: Progress) -> StackOutcome:
    progress.begin(job.stack, command)
    outcome = StackOutcome(
        job.stack,
        job.file,
        SUCCEEDED,
        job.organization,
        Changes(unchanged=found.resources),
        details={"settled": {"since": found.record.recorded_at, "by": found.record.recorded_by}},
        remark=found.remark(),
    )
    progress.end(outcome)
    return outcome


@dataclass(frozen=True)
class Ran:
    """One stack's preview or up as `_remember` judges it: what was asked, what came of it, and the
    inputs and checkpoint it started from."""

    command: str
    refresh: bool
    outcome: StackOutcome
    inputs: StackInputs | None
    before: Checkpoint | None


def _remember(
    stacks: FileBackendStacks, stack: str, ran: Ran, inputs_now: Callable[[], StackInputs | None]
) -> None:
    """Record a stack as settled after a run whose plan came out empty against the checkpoint as it
    now is, and forget any record after anything else.

    That is a successful up, or a preview that planned no change to a resource or an output,
    without --refresh (that plan was against what the services hold, not the checkpoint), the state
    the same before and after it. And the inputs, digested again after the run, must be those it
    started with: an edit while it ran may be what it read, even if undone before the next run."""
    after = stacks.checkpoint(stack)
    empty = ran.outcome.status == SUCCEEDED and ran.inputs is not None and after is not None
    if ran.command == "preview":
        unchanged_state = ran.before is not None and after is not None and ran.before.digest == after.digest
        empty = empty and not ran.refresh and ran.outcome.planned_nothing and unchanged_state
    current = inputs_now() if empty else None
    if after is None or ran.inputs is None or current is None or not current.unchanged_since(ran.inputs):
        stacks.forget(stack)
        return
    stacks.write_record(stack, Record(after.digest, current.digest, ran.command, now().isoformat()))


def recover(run: FleetRun) -> int:
    """Bring back the selected stacks after a run that did not finish: release the lock, drop pending
    creates while reading everything back, then `up` (components/fleet/recovery.py)."""
    started = now()
    prepared, invalid = run.prepare()
    run.header("recover", len(prepared) + len(invalid))
    # A lock may sit on a stack whose first `up` was killed before it recorded a resource.
    jobs, absent = run.split_deployed(prepared, empty_too=True)
    outcomes = run.run_jobs(jobs, operations.recover) + absent + invalid
    report = run.report("recover", outcomes, started)
    return run.finish(report, change_table(report))


def upgrade_state(run: FleetRun) -> int:
    """Rename the providers recorded by ssoprov 0.1 in the selected stacks (fleet/provider_names.py)."""
    started = now()
    prepared, _ = run.prepare(need_valid=False)
    run.header("upgrade-state", len(prepared))
    jobs, absent = run.split_deployed(prepared)
    outcomes = run.run_jobs(jobs, operations.upgrade_state) + absent
    report = run.report("upgrade-state", outcomes, started)
    rows = [
        [outcome.stack, outcome.status, outcome.details.get("providersRenamed", outcome.note())]
        for outcome in report.outcomes
    ]
    table = format_table(("stack", "result", "providers renamed"), rows)
    return run.finish(report, f"{table}\n{summary_line(report)}")


def drift(run: FleetRun) -> int:
    """A refresh in preview-only mode per deployed stack: out-of-band changes, nothing written."""
    started = now()
    prepared, _ = run.prepare(need_valid=False)
    run.header("drift", len(prepared))
    jobs, absent = run.split_deployed(prepared)
    outcomes = run.run_jobs(jobs, operations.drift) + absent
    report = run.report("drift", outcomes, started)
    rows = []
    for outcome in report.outcomes:
        found = "; ".join(_drift_text(step) for step in outcome.steps)
        rows.append([outcome.stack, outcome.status, found or outcome.note()])
    table = format_table(("stack", "result", "out-of-band changes"), rows)
    return run.finish(report, f"{table}\n{summary_line(report)}")


def _drift_text(step: Step) -> str:
    if step.op == operations.UNTRACKED:
        return (
            f"{step.name} ({step.type}): {len(step.diffs)} secret(s) on the app that no state tracks "
            f"({', '.join(step.diffs)}), left by an interrupted run; the next `ssoprov up` removes them"
        )
    if step.op == "delete":
        return f"{step.name} ({step.type}) deleted"
    return f"{step.name} ({step.type}) changed" + (f": {', '.join(step.diffs)}" if step.diffs else "")


def _as_of_env(as_of: datetime | None) -> dict[str, str]:
    return {AS_OF_VARIABLE: as_of.isoformat()} if as_of else {}


def _statuses(
    run: FleetRun, prepared: list[tuple[StackJob, OrganizationSpec | None]], moment: datetime
) -> tuple[list[tuple[StackJob, SecretStatus]], list[StackOutcome]]:
    """Each deployed stack's secret status, read from its state; outcomes for the others (not
    deployed: a state with no resources too, which `up` would deploy anew, never `incomplete`)."""
    command = auto.PulumiCommand()
    jobs, others = run.split_deployed(prepared)
    specs = {job.stack: spec for job, spec in prepared}
    readable = [(job, spec) for job in jobs if (spec := specs[job.stack]) is not None]
    found: dict[str, SecretStatus] = {}

    def read(item: tuple[StackJob, OrganizationSpec]) -> StackOutcome:
        job, spec = item
        deployment = operations.read_state(job.engine, job.stack, command)
        if not operations.holds_resources(deployment):
            return not_deployed(job, in_backend=True)
        found[job.stack] = secret_status(job.stack, spec, deployment, moment)
        return StackOutcome(job.stack, job.file, SUCCEEDED, job.organization)

    outcomes = run_each(
        readable, read, parallel=run.parallel, describe=lambda item: (item[0].stack, item[0].file)
    )
    others.extend(outcome for outcome in outcomes if outcome.status in (FAILED, NOT_DEPLOYED))
    return [(job, found[job.stack]) for job, _ in readable if job.stack in found], others


def secret_state(status: SecretStatus) -> str:
    """The status a stack's secret is reported with by `secrets` and `rotate`; `rotate` runs `up`
    on the DUE ones only."""
    if not status.managed:
        return NOT_MANAGED
    if status.missing:
        return INCOMPLETE
    return DUE if status.due else NOT_DUE


def _cell(value: object) -> str:
    return "-" if value is None else str(value)


def _note_cell(secret: dict[str, Any]) -> str:
    """Why due, else the note; a signing certificate's note (its kid) is shown with the reason too."""
    reason, note = secret.get("reason") or "", secret.get("note") or ""
    if secret.get("credential") in (SIGNING_CERTIFICATE, REALM_KEY) and reason:
        return f"{reason}; {note}" if note else reason
    return reason or note


def _expiry_cell(secret: dict[str, Any]) -> str:
    """A secret's expiry date as the tables show it (from `SecretStatus.to_json`)."""
    if secret.get("secretExpiresAt"):
        return secret["secretExpiresAt"]
    return NO_EXPIRY if secret.get("secretRotateBy") else "-"


@dataclass(frozen=True)
class SecretReport:
    """What `secrets` and the fleet page read: every selected stack's secret status."""

    report: RunReport
    statuses: list[tuple[StackJob, SecretStatus]]
    specs: dict[str, OrganizationSpec]
    """The valid selected stacks' specs, by stack."""
    moment: datetime


def _secret_report(run: FleetRun, as_of: datetime | None) -> SecretReport:
    started = now()
    moment = later_of_now(as_of)
    prepared, invalid = run.prepare()
    statuses, others = _statuses(run, prepared, moment)
    outcomes = invalid + others
    for job, status in statuses:
        outcomes.append(
            StackOutcome(
                job.stack,
                job.file,
                secret_state(status),
                job.organization,
                details={"secret": status.to_json(moment)},
            )
        )
    report = run.report("secrets", outcomes, started, asOf=calendar_date(moment))
    specs = {job.stack: spec for job, spec in prepared if spec is not None}
    return SecretReport(report, statuses, specs, moment)


def secrets(run: FleetRun, as_of: datetime | None, as_json: bool) -> int:
    """The expiry report: every selected stack's client secret, its expiry and rotate-by date."""
    found = _secret_report(run, as_of)
    report, statuses, moment = found.report, found.statuses, found.moment
    if as_json:
        document = report.to_json()
        document["secrets"] = [
            status.to_json(moment) for _, status in sorted(statuses, key=lambda s: s[0].stack)
        ]
        print(json.dumps(document, indent=2), file=run.out)
        if run.json_report:
            report.write_json(run.json_report)
        return report.exit_code
    rows = []
    for outcome in report.outcomes:
        secret = outcome.details.get("secret") or {}
        rows.append(
            [
                outcome.stack,
                outcome.organization or "-",
                _cell(secret.get("identityProvider")),
                _expiry_cell(secret),
                "" if secret.get("daysLeft") is None else secret["daysLeft"],
                _cell(secret.get("secretRotateBy")),
                outcome.status,
                _note_cell(secret) or outcome.note(),
            ]
        )
    headers = ("stack", "organization", "idp", "expires", "days left", "rotate by", "status", "note")
    table = format_table(headers, rows, right=(4,))
    return run.finish(report, f"as of {calendar_date(moment)}\n{table}\n{summary_line(report)}")


def due_summary(statuses: list[tuple[StackJob, SecretStatus]]) -> str:
    """How many of the deployed stacks have a credential due, whatever its kind: a client secret, a
    SAML signing certificate or a secretless stack's realm key."""
    due = sum(secret_state(status) == DUE for _, status in statuses)
    return f"{due} of {len(statuses)} deployed stack(s) have a secret due"


def rotate(run: FleetRun, as_of: datetime | None, dry_run: bool, generic_registered: bool = False) -> int:
    """Find the secrets due (as of --as-of) and rotate exactly those stacks with `up`; rotate the
    realm keys of secretless stacks realm by realm (components/fleet/realm_keys.py)."""
    started = now()
    moment = later_of_now(as_of)
    prepared, invalid = run.prepare()
    statuses, others = _statuses(run, prepared, moment)
    described = run.selection.described
    run.say(f"ssoprov rotate: {due_summary(statuses)} as of {calendar_date(moment)} ({described})")
    key_rows = [(job, status) for job, status in statuses if status.credential == REALM_KEY]
    statuses = [(job, status) for job, status in statuses if status.credential != REALM_KEY]
    due = [(job, status) for job, status in statuses if secret_state(status) == DUE]
    for job, status in due:
        run.say(f"  {job.stack}: {status.due_reason}")
    outcomes = invalid + others
    for job, status in statuses:
        state = secret_state(status)
        if state == INCOMPLETE:
            run.say(f"  {job.stack}: skipped, {status.note}")
        if state != DUE:
            outcomes.append(
                StackOutcome(
                    job.stack, job.file, state, job.organization, details={"secret": status.to_json(moment)}
                )
            )
    before = {job.stack: status for job, status in due}
    if dry_run:
        outcomes += [
            StackOutcome(
                job.stack, job.file, DUE, job.organization, details={"secret": status.to_json(moment)}
            )
            for job, status in due
        ]
    else:
        rotation_jobs = [
            StackJob(job.stack, job.file, job.organization, with_env(job.engine, **_as_of_env(as_of)))
            for job, _ in due
        ]
        plain_jobs = {job.stack: job for job, _ in due}
        specs = {job.stack: spec for job, spec in prepared}
        command = auto.PulumiCommand()

        def rotate_one(job: StackJob, progress: Progress) -> StackOutcome:
            spec = specs[job.stack]
            assert spec is not None

            def status_now() -> SecretStatus:
                deployment = operations.read_state(job.engine, job.stack, command)
                return secret_status(job.stack, spec, deployment, moment)

            outcome = operations.up(job, progress, message="ssoprov rotate")
            if outcome.status != SUCCEEDED:
                return outcome
            after = status_now()
            if after.unfinished:
                # A certificate rollover's step (d) needs a second `up` (saml_signing_keys.py says
                # why). It runs at the real date: the new key made today is not due, so --as-of
                # cannot start a second rollover here.
                finish = operations.up(
                    plain_jobs[job.stack], progress, message="ssoprov rotate: finish the certificate rollover"
                )
                if finish.status != SUCCEEDED:
                    return finish
                outcome.steps += finish.steps
                after = status_now()
            old = before[job.stack]
            outcome.details.update({"secret": after.to_json(moment), "previous": old.to_json(moment)})
            if after.secret_id and after.secret_id != old.secret_id and not after.unfinished:
                outcome.status = ROTATED
            elif old.unfinished and after.secret_id and not after.unfinished:
                outcome.status = ROTATED  # an interrupted rollover, finished: its new key was recorded
            else:
                outcome.status = FAILED
                what = "signing certificate" if after.credential == SIGNING_CERTIFICATE else "client secret"
                outcome.errors.append(
                    f"up succeeded but the {what} {old.resource} was not replaced "
                    f"(still {old.secret_id}). Fix: check the stack's rotation policy and that the "
                    f"provider process sees {AS_OF_VARIABLE}"
                )
            return outcome

        outcomes += run.run_jobs(rotation_jobs, rotate_one)
    if key_rows:
        outcomes += _rotate_realm_keys(run, prepared, key_rows, moment, dry_run, generic_registered)
    report = run.report("rotate", outcomes, started, asOf=calendar_date(moment), dryRun=dry_run)
    rows = []
    for outcome in report.outcomes:
        secret = outcome.details.get("secret") or {}
        previous = outcome.details.get("previous")
        before, after = (previous, secret) if previous else (secret, {})
        note = outcome.note() or (before.get("note") if outcome.status == INCOMPLETE else "")
        rows.append(
            [
                outcome.stack,
                outcome.status,
                before.get("reason") or "",
                _cell(before.get("secretRotateBy")),
                _cell(after.get("secretRotateBy")),
                _expiry_cell(after),
                note,
            ]
        )
    headers = ("stack", "result", "why due", "rotate by", "new rotate by", "new expires", "note")
    table = format_table(headers, rows)
    return run.finish(report, f"{table}\n{summary_line(report)}")


def _rotate_realm_keys(
    run: FleetRun,
    prepared: list[tuple[StackJob, OrganizationSpec | None]],
    rows: list[tuple[StackJob, SecretStatus]],
    moment: datetime,
    dry_run: bool,
    generic_registered: bool,
) -> list[StackOutcome]:
    specs = {job.stack: spec for job, spec in prepared if spec is not None}
    command = auto.PulumiCommand()
    every = [(ref.name, load_stack_file(ref.file)[0]) for ref in run.project.stacks()]
    rotations = realm_rotations(
        [(job, status, specs[job.stack]) for job, status in rows], every, run.deployed(command)
    )
    shared = KeyRotationRun(run.say, run.run_jobs, command, moment, dry_run, generic_registered)
    run.say(f"ssoprov rotate: {len(rotations)} Keycloak realm(s) with secretless stacks")
    return [outcome for rotation in rotations for outcome in rotate_realm(rotation, shared)]


def check_as_of(text: str | None) -> datetime | None:
    """--as-of, else SSOPROV_AS_OF, by one rule (ssoprov.clock.parse_as_of).

    Every `pulumi` the run starts inherits SSOPROV_AS_OF, so a plan or report that ignored it
    would disagree with what those runs rotate."""
    try:
        return parse_as_of(text, AS_OF_FLAG) if text else as_of_from_environment()
    except AsOfError as exc:
        raise ProjectError(str(exc)) from None


def fleet_page(run: FleetRun, as_of: datetime | None, page: Path, drift_report: Path | None) -> int:
    """`report --html`: the expiry report and the last drift check on one static page."""
    drift_checked, drift = read_drift_report(drift_report) if drift_report else (None, {})
    found = _secret_report(run, as_of)
    rows = []
    for outcome in found.report.outcomes:
        secret = outcome.details.get("secret") or {}
        spec = found.specs.get(outcome.stack)
        drift_result, drift_detail = drift.get(outcome.stack, (None, ""))
        rows.append(
            FleetRow(
                stack=outcome.stack,
                organization=outcome.organization,
                idp=spec.identity_provider.kind if spec else None,
                broker=spec.broker.kind if spec else None,
                status=outcome.status,
                expires=_day(secret.get("secretExpiresAt")),
                rotate_by=_day(secret.get("secretRotateBy")),
                note=secret.get("reason") or secret.get("note") or outcome.note(),
                drift=drift_result,
                drift_detail=drift_detail,
            )
        )
    as_of_day = found.moment.date()
    page.parent.mkdir(parents=True, exist_ok=True)  # as for --json-report
    page.write_text(render_page(rows, as_of_day, drift_checked, display_url(run.engine.backend_url)))
    run.say(f"wrote {page}: {counted(len(rows), 'organization')} as of {as_of_day}")
    return found.report.exit_code


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


DRIFT_RESULTS = {SUCCEEDED: "clean", DRIFTED: "drifted", FAILED: "failed"}


def read_drift_report(path: Path) -> tuple[str, dict[str, tuple[str, str]]]:
    """When the drift check in `ssoprov drift --json-report FILE` ended, and per stack its result
    (clean, drifted, failed) with what it found."""
    fix = f"Fix: pass the file `ssoprov drift --json-report {path}` wrote"
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ProjectError(f"--drift-report {path}: cannot read it as JSON ({exc}). {fix}") from None
    if not isinstance(document, dict) or document.get("command") != "drift":
        raise ProjectError(f"--drift-report {path}: not the JSON report of `ssoprov drift`. {fix}")
    results = {}
    for entry in document.get("stacks") or []:
        result = DRIFT_RESULTS.get(entry.get("status"))
        if result is not None:
            found = "; ".join(f"{step['name']}: {step['op']}" for step in entry.get("steps") or [])
            results[entry["stack"]] = (result, found or " ".join(entry.get("errors") or []))
    return str(document.get("finishedAt", ""))[:16].replace("T", " "), results
