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

A stack is settled only when every one of these holds, else Pulumi runs as always:
- the backend is a local `file://` folder (the checkpoint is read as a file, where the CLI would
  read it: fleet/file_backend.py), the stack holds no lock and no pending operation;
- the project runs ssoprov's own program (a team's program of its own, examples/team-program,
  may read anything: it always runs);
- a record exists whose checkpoint digest is the checkpoint's now (any `pulumi` that changed the
  state since, ssoprov's or by hand: up, refresh, import, destroy, a state edit, clears it) and
  whose inputs digest is the stack's now (the stack file's content, Pulumi.yaml, __main__.py, the
  ssoprov package's code, the versions of the Pulumi CLI and of the packages that shape a plan,
  the discovery document);
- nothing is due as of now (or SSOPROV_AS_OF): no client secret, signing certificate or realm key
  to rotate, no rollover half done, no secret that no state tracks;
- no resource's diff reads a service (the realm client-assertion key of a secretless stack does:
  such stacks always run).

`--full` runs Pulumi for every stack anyway. The records hold digests and dates, never a value
from the spec or the state.
"""

from __future__ import annotations

import ast
import gzip
import hashlib
import importlib.metadata
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

import ssoprov
from ssoprov.clock import parse_timestamp
from ssoprov.fleet.file_backend import backend_root, checkpoint_file
from ssoprov.fleet.project import Project
from ssoprov.fleet.secrets import ASSERTION_KEY_TYPE_SUFFIX, secret_status
from ssoprov.oidc import DiscoveryError, fetch_discovery_document
from ssoprov.spec.models import OrganizationSpec
from ssoprov.untracked_secrets import untracked_in

SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

RECORD_FOLDER = ".ssoprov-settled"
"""Beside the file backend's `.pulumi` folder: one record per project and stack."""
RECORD_VERSION = 1
LIVE_DIFF_TYPE_SUFFIXES = (ASSERTION_KEY_TYPE_SUFFIX,)
"""Resources whose `diff` reads the service (the realm's current keys): their plan can change with
nothing recorded changing."""
PACKAGES = ("pulumi", "dill", "pydantic", "msgraph-sdk", "okta", "workos")
"""Distributions whose version can change what the program registers or the providers decide."""
OWN_PROGRAM = [ast.dump(node) for node in ast.parse("from ssoprov.program import main\nmain()\n").body]
"""The statements of ssoprov's own __main__.py."""
SECRETS_SETTINGS = ("encryptionsalt", "secretsprovider", "encryptedkey")
"""Stack-file keys Pulumi writes itself, to decrypt the config."""


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


def program_digest(project: Project, cli_version: str) -> str | None:
    """The program as the engine would run it: Pulumi.yaml and __main__.py, the ssoprov package's
    files, the Pulumi CLI's version and the versions of the packages that shape a plan. None when
    the project runs a program of its own (examples/team-program): what it reads is unknown here."""
    entry = project.root / "__main__.py"
    if not _runs_ssoprov_program(project, entry):
        return None
    digest = hashlib.sha256(f"pulumi {cli_version}\0".encode())
    for path in (project.root / "Pulumi.yaml", entry):
        digest.update(path.read_bytes() + b"\0")
    package = Path(ssoprov.__file__).resolve().parent
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes() + b"\0")
    for package_name in PACKAGES:
        try:
            digest.update(f"{package_name}=={importlib.metadata.version(package_name)}\0".encode())
        except importlib.metadata.PackageNotFoundError:
            digest.update(f"{package_name} absent\0".encode())
    return digest.hexdigest()


def _runs_ssoprov_program(project: Project, entry: Path) -> bool:
    """Whether the project's program is ssoprov's own: Pulumi.yaml names no other `main`, and
    __main__.py, docstring and comments aside, only imports `ssoprov.program.main` and calls it."""
    try:
        settings = yaml.load((project.root / "Pulumi.yaml").read_bytes(), Loader=SafeLoader)
        tree = ast.parse(entry.read_bytes())
    except (OSError, SyntaxError, ValueError, yaml.YAMLError):
        return False
    if not isinstance(settings, dict) or settings.get("main") not in (None, ".", "./"):
        return False
    body = [
        node
        for node in tree.body
        if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))
    ]
    return [ast.dump(node) for node in body] == OWN_PROGRAM


def inputs_digest(program: str | None, stack_file: Path, spec: OrganizationSpec | None) -> str | None:
    """The digest of everything the stack's plan is a function of besides its state and the time;
    None when the plan depends on something that cannot be digested (an ESC environment, a
    discovery endpoint that does not answer: a real run reports it)."""
    try:
        document = yaml.load(stack_file.read_bytes(), Loader=SafeLoader)
    except yaml.YAMLError:
        return None
    if program is None or spec is None or not isinstance(document, dict) or "environment" in document:
        return None
    # What Pulumi writes into a stack file itself (the passphrase's salt on a stack's first run)
    # decrypts the config; it changes no plan.
    config = {key: value for key, value in document.items() if key not in SECRETS_SETTINGS}
    digest = hashlib.sha256(
        f"{program}\0".encode() + json.dumps(config, sort_keys=True, default=str).encode()
    )
    idp = spec.identity_provider
    if idp.kind == "oidc":
        try:
            document = fetch_discovery_document(idp.discovery_url)
        except DiscoveryError:
            return None
        digest.update(json.dumps(document, sort_keys=True).encode())
    return digest.hexdigest()


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


def settled(
    stacks: FileBackendStacks,
    stack: str,
    spec: OrganizationSpec,
    inputs: str | None,
    checkpoint: Checkpoint | None,
    moment: datetime,
) -> Settled | None:
    """The stack's settled record, when its plan is known to be empty as of `moment`."""
    if inputs is None or checkpoint is None:
        return None
    record = stacks.read_record(stack)
    if record is None or record.checkpoint != checkpoint.digest or record.inputs != inputs:
        return None
    if not nothing_pending(stack, spec, checkpoint.deployment, moment):
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
