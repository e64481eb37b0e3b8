"""Stacks a fleet `preview` or `up` answers without starting Pulumi: settled since their last run.

A plan (what `pulumi preview` or `pulumi up` would change) is a function of a few things: the
stack file (the spec), the program and the packages it runs, the state the engine diffs against,
the moment (rotation falls due by date), and, for a generic OIDC organization, the discovery
document the program reads. Credentials and service endpoints are never resource inputs, and
without `--refresh` the services themselves are not read (that is `ssoprov drift`'s job). So when
a run's plan came out empty, or an `up` succeeded, a record of those inputs (digests only, beside
the file backend's state) lets the next fleet `preview`/`up` know the plan is still empty when
all of them are unchanged, and report the stack as unchanged without starting a `pulumi` for it:
about 2 s of CPU per organization and command.

A record is written only after a run whose plan was empty against the checkpoint it leaves: a
successful `up`, or a `preview` without `--refresh` that planned no change to any resource or
output, the state the same before and after it; and only when the inputs digested again after the
run are those it started with (fleet/commands.py, `_remember`).

A stack is settled only when every one of these holds, else Pulumi runs as always:
- the backend is a local `file://` folder (the checkpoint is read as a file, where the CLI would
  read it: fleet/file_backend.py), the stack holds no lock and no pending operation;
- the project runs ssoprov's own program on the python this process runs on (a team's program of
  its own, examples/team-program, may read anything; another python's packages are not the ones
  digested: both always run);
- a record exists whose checkpoint digest is the checkpoint's now (any `pulumi` that changed the
  state since, ssoprov's or by hand: up, refresh, import, destroy, a state edit, clears it) and
  whose inputs digest is the stack's now (fleet/plan_inputs.py: the stack file as the engine reads
  it, secrets settings included, Pulumi.yaml, __main__.py, the ssoprov package's code, the Pulumi
  CLI's version, the python version and every installed distribution's, the variables the program
  reads into inputs, the discovery document);
- nothing is due as of now (or SSOPROV_AS_OF): no client secret, signing certificate or realm key
  to rotate, no rollover half done, no secret that no state tracks;
- no resource's diff reads a service (the realm client-assertion key of a secretless stack does:
  such stacks always run);
- the run would get past the stack's secrets: with the passphrase provider, the passphrase is
  given and opens the stack's salts (fleet/passphrase.py), as Pulumi checks before any plan.

`--full` runs Pulumi for every stack anyway. The records hold digests and dates, never a value
from the spec or the state.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ssoprov.clock import parse_timestamp
from ssoprov.fleet.file_backend import backend_root, checkpoint_file
from ssoprov.fleet.passphrase import PassphraseCheck
from ssoprov.fleet.plan_inputs import StackInputs
from ssoprov.fleet.project import Project
from ssoprov.fleet.secrets import ASSERTION_KEY_TYPE_SUFFIX, secret_status
from ssoprov.spec.models import OrganizationSpec
from ssoprov.untracked_secrets import untracked_in

RECORD_FOLDER = ".ssoprov-settled"
"""Beside the file backend's `.pulumi` folder: one record per project and stack."""
RECORD_VERSION = 2
LIVE_DIFF_TYPE_SUFFIXES = (ASSERTION_KEY_TYPE_SUFFIX,)
"""Resources whose `diff` reads the service (the realm's current keys): their plan can change with
nothing recorded changing."""
PASSPHRASE_PROVIDER = "passphrase"


@dataclass(frozen=True)
class Record:
    """What a run found: with this checkpoint and these inputs the plan was empty."""

    checkpoint: str
    inputs: str
    recorded_by: str
    """"preview" (its plan was empty) or "up" (it succeeded)."""
    recorded_at: str

    def to_json(self) -> dict[str, Any]:
        return {
            "version": RECORD_VERSION,
            "checkpoint": self.checkpoint,
            "inputs": self.inputs,
            "recordedBy": self.recorded_by,
            "recordedAt": self.recorded_at,
        }


@dataclass(frozen=True)
class Settled:
    """A stack whose plan is known to be empty: since when, and how many resources it holds."""

    record: Record
    resources: int

    def remark(self) -> str:
        when = _calendar_minute(self.record.recorded_at)
        return f"settled since the {self.record.recorded_by} of {when}: not run (--full runs it)"


@dataclass(frozen=True)
class Checkpoint:
    """A stack's checkpoint file as read once: its digest and its latest deployment."""

    digest: str
    deployment: Mapping[str, Any]


class FileBackendStacks:
    """The stacks of one project in a `file://` backend: checkpoints, locks and settled records."""

    def __init__(self, root: Path, project_name: str):
        self.root = root
        self.project_name = project_name

    @classmethod
    def of(cls, backend_url: str, project: Project) -> FileBackendStacks | None:
        """The backend's stacks, or None when it is not a local folder or the project has no name."""
        root = backend_root(backend_url, project.root)
        return cls(root, project.name) if root and project.name else None

    def checkpoint_file(self, stack: str) -> Path | None:
        return checkpoint_file(self.root, self.project_name, stack)

    def locked(self, stack: str) -> bool:
        locks = self.root / ".pulumi" / "locks"
        return any(
            folder.is_dir() and any(folder.iterdir())
            for folder in (locks / "organization" / self.project_name / stack, locks / stack)
        )

    def checkpoint(self, stack: str) -> Checkpoint | None:
        """The stack's checkpoint, or None when it has none, is locked or holds pending operations."""
        found = self.checkpoint_file(stack)
        if "/" in stack or found is None or self.locked(stack):
            return None
        content = found.read_bytes()
        try:
            text = gzip.decompress(content) if found.name.endswith(".gz") else content
            deployment = json.loads(text).get("checkpoint", {}).get("latest") or {}
        except (ValueError, AttributeError, OSError, EOFError):
            return None
        if deployment.get("pending_operations"):
            return None
        return Checkpoint(hashlib.sha256(content).hexdigest(), deployment)

    def record_file(self, stack: str) -> Path:
        return self.root / RECORD_FOLDER / self.project_name / f"{stack}.json"

    def read_record(self, stack: str) -> Record | None:
        try:
            data = json.loads(self.record_file(stack).read_text())
            if data.get("version") != RECORD_VERSION:
                return None
            return Record(data["checkpoint"], data["inputs"], data["recordedBy"], data["recordedAt"])
        except (OSError, ValueError, KeyError, AttributeError):
            return None

    def write_record(self, stack: str, record: Record) -> None:
        """Write atomically: a reader sees the old record or the new one, never half of one."""
        target = self.record_file(stack)
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=target.parent, delete=False, suffix=".tmp") as out:
            json.dump(record.to_json(), out)
        os.replace(out.name, target)

    def forget(self, stack: str) -> None:
        self.record_file(stack).unlink(missing_ok=True)


def nothing_pending(
    stack: str, spec: OrganizationSpec, deployment: Mapping[str, Any], moment: datetime
) -> bool:
    """No resource's plan can change by the date or by a service read: nothing due as of `moment`,
    no rollover half done, no leftover secret, no diff that reads a service."""
    resources = deployment.get("resources") or []
    for resource in resources:
        if str(resource.get("type", "")).endswith(LIVE_DIFF_TYPE_SUFFIXES) or untracked_in(
            resource.get("outputs") or {}
        ):
            return False
    status = secret_status(stack, spec, deployment, moment)
    if not status.managed:
        return True
    has_dates = status.created_at is not None or status.expires_at is not None
    return has_dates and status.due_reason is None and not status.unfinished


def secrets_open(
    secrets: Mapping[str, Any], deployment: Mapping[str, Any], passphrase: PassphraseCheck
) -> bool:
    """Whether a real run would get past the stack's secrets: with the passphrase provider (a stack
    file without a cloud key names no other), the run's passphrase must be given and open every
    passphrase salt the stack keeps, the stack file's and the checkpoint's. A cloud key
    (`secretsprovider: awskms://...`) needs credentials that are not checked here, like every
    service's."""
    salts = [secrets["encryptionsalt"]] if secrets.get("encryptionsalt") else []
    provider = deployment.get("secrets_providers") or {}
    if provider.get("type") == PASSPHRASE_PROVIDER:
        salts.append(str((provider.get("state") or {}).get("salt") or ""))
    named = secrets.get("secretsprovider") not in (None, "", PASSPHRASE_PROVIDER)
    cloud = named or bool(secrets.get("encryptedkey"))
    if cloud and not salts:
        return True
    return passphrase.given and all(passphrase.opens(salt) for salt in dict.fromkeys(salts))


def settled(
    stacks: FileBackendStacks,
    stack: str,
    spec: OrganizationSpec,
    inputs: StackInputs | None,
    checkpoint: Checkpoint | None,
    moment: datetime,
    passphrase: PassphraseCheck,
) -> Settled | None:
    """The stack's settled record, when its plan is known to be empty as of `moment` and a real run
    would not fail for want of the passphrase."""
    if inputs is None or checkpoint is None:
        return None
    record = stacks.read_record(stack)
    if record is None or record.checkpoint != checkpoint.digest or record.inputs != inputs.digest:
        return None
    if not nothing_pending(stack, spec, checkpoint.deployment, moment):
        return None
    if not secrets_open(inputs.secrets, checkpoint.deployment, passphrase):
        return None
    counted = [
        resource
        for resource in checkpoint.deployment.get("resources") or []
        if not str(resource.get("type", "")).startswith("pulumi:providers:")
    ]
    return Settled(record, len(counted))


def _calendar_minute(timestamp: str) -> str:
    try:
        return parse_timestamp(timestamp).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return timestamp
