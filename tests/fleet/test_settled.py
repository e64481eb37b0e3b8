"""When a fleet preview/up may answer for a stack without Pulumi: the record matches the checkpoint
and the inputs, nothing is due, no diff reads a service, the passphrase opens the stack's secrets;
anything else runs Pulumi. And what a run records: only a plan that was empty against the
checkpoint it leaves, with the inputs it started from."""

from __future__ import annotations

import hashlib
import importlib.metadata
import io
import json
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from ssoprov.fleet import operations
from ssoprov.fleet.commands import FleetRun, changes
from ssoprov.fleet.passphrase import PassphraseCheck
from ssoprov.fleet.plan_inputs import StackInputs, program_digest, stack_inputs
from ssoprov.fleet.project import Project
from ssoprov.fleet.report import Changes, StackOutcome
from ssoprov.fleet.selection import Selection
from ssoprov.fleet.settled import FileBackendStacks, Record, settled
from ssoprov.workspace import Engine
from tests.fleet.test_secrets import NOW, deployment, spec

STACK = "acme"
REPO = Path(__file__).resolve().parents[2]
PASSPHRASE = "correct horse battery staple"
GIVEN = PassphraseCheck({"PULUMI_CONFIG_PASSPHRASE": PASSPHRASE}, Path("."))
THIS_PYTHON = {"PATH": str(Path(sys.executable).parent)}
"""An environment whose `python3` is the one running the tests, as the bootstrap's PATH has it."""


def inputs(digest: str = "inputs-1", **secrets: str) -> StackInputs:
    return StackInputs(digest, digest, secrets)


def checkpoint_text(state: dict[str, Any]) -> str:
    return json.dumps({"version": 3, "checkpoint": {"stack": STACK, "latest": state}})


@pytest.fixture
def backend(tmp_path: Path) -> FileBackendStacks:
    root = tmp_path / "project"
    root.mkdir()
    (root / "Pulumi.yaml").write_text("name: ssoprov\nruntime: python\n")
    project = Project.at(root)
    found = FileBackendStacks.of((tmp_path / "state").as_uri(), project)
    assert found is not None
    return found


def write_checkpoint(backend: FileBackendStacks, state: dict[str, Any]) -> None:
    path = backend.root / ".pulumi" / "stacks" / backend.project_name / f"{STACK}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(checkpoint_text(state))


def record_now(backend: FileBackendStacks, digest: str = "inputs-1") -> None:
    found = backend.checkpoint(STACK)
    assert found is not None
    backend.write_record(STACK, Record(found.digest, digest, "up", NOW.isoformat()))


def check(
    backend: FileBackendStacks,
    state_spec: Any,
    now: StackInputs | None = None,
    moment: Any = NOW,
    passphrase: PassphraseCheck = GIVEN,
) -> Any:
    found = now if now is not None else inputs()
    return settled(backend, STACK, state_spec, found, backend.checkpoint(STACK), moment, passphrase)


def test_a_recorded_stack_is_settled_until_its_state_or_inputs_change(backend: FileBackendStacks) -> None:
    state = deployment("entra", NOW - timedelta(days=10))
    write_checkpoint(backend, state)
    assert check(backend, spec("entra")) is None  # nothing recorded yet
    record_now(backend)

    found = check(backend, spec("entra"))
    assert found is not None and found.resources == 2
    assert found.remark().startswith("settled since the up of 2027-01-10 12:00 UTC")
    assert check(backend, spec("entra"), inputs("inputs-2")) is None

    state["resources"][1]["outputs"]["created_at"] = (NOW - timedelta(days=9)).isoformat()
    write_checkpoint(backend, state)  # any pulumi that wrote the state: refresh, up, import
    assert check(backend, spec("entra")) is None


def test_a_lock_or_a_pending_operation_means_a_run_is_or_was_under_way(backend: FileBackendStacks) -> None:
    state = deployment("entra", NOW - timedelta(days=10))
    write_checkpoint(backend, state)
    record_now(backend)
    lock = backend.root / ".pulumi" / "locks" / "organization" / backend.project_name / STACK / "x.json"
    lock.parent.mkdir(parents=True)
    lock.write_text("{}")
    assert check(backend, spec("entra")) is None
    lock.unlink()
    assert check(backend, spec("entra")) is not None

    state["pending_operations"] = [{"type": "creating", "resource": {}}]
    write_checkpoint(backend, state)  # a killed up: recorded as if it had been settled, still not
    path = backend.checkpoint_file(STACK)
    assert path is not None
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    backend.write_record(STACK, Record(digest, "inputs-1", "up", NOW.isoformat()))
    assert check(backend, spec("entra")) is None


def test_a_secret_falling_due_ends_it_as_of_now_or_a_later_as_of(backend: FileBackendStacks) -> None:
    write_checkpoint(backend, deployment("entra", NOW - timedelta(days=10)))
    record_now(backend)
    assert check(backend, spec("entra"), moment=NOW + timedelta(days=169)) is not None
    assert check(backend, spec("entra"), moment=NOW + timedelta(days=171)) is None  # 180 days old
    strict = spec("entra", lifetimeDays=365, rotateAfterDays=5, rotateBeforeExpiryDays=30)
    assert check(backend, strict) is None  # the spec's policy, as the provider's diff reads it


def test_leftover_secrets_and_service_read_diffs_always_run(backend: FileBackendStacks) -> None:
    leftover = deployment("okta", NOW - timedelta(days=1), untracked_secret_ids=["ocs-9"])
    write_checkpoint(backend, leftover)
    record_now(backend)
    assert check(backend, spec("okta")) is None

    secretless = deployment("oidc", NOW)
    secretless["resources"].append(
        {"urn": "urn:x::realm-key", "type": "pulumi-python:dynamic/keycloak:RealmAssertionKey", "outputs": {}}
    )
    write_checkpoint(backend, secretless)
    record_now(backend)
    assert check(backend, spec("oidc")) is None


def test_a_managed_stack_without_its_secret_in_the_state_is_not_settled(backend: FileBackendStacks) -> None:
    state = deployment("okta", NOW)
    state["resources"].pop()
    write_checkpoint(backend, state)
    record_now(backend)
    assert check(backend, spec("okta")) is None


def test_only_a_local_file_backend_is_read(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: ssoprov\nruntime: python\n")
    project = Project.at(tmp_path)
    assert FileBackendStacks.of("s3://bucket/state", project) is None
    assert FileBackendStacks.of("https://api.pulumi.com", project) is None
    relative = FileBackendStacks.of("file://./state", project)
    assert relative is not None and relative.root == tmp_path.resolve() / "state"


def own_program(root: Path, pulumi_yaml: str = "name: ssoprov\nruntime: python\n") -> Path:
    (root / "Pulumi.yaml").write_text(pulumi_yaml)
    entry = root / "__main__.py"
    entry.write_text('"""Entry point."""\n\nfrom ssoprov.program import main\n\nmain()  # run it\n')
    return entry


def test_the_program_digest_covers_ssoprovs_own_program_and_no_other(tmp_path: Path) -> None:
    entry = own_program(tmp_path)
    first = program_digest(tmp_path, "3.259.0", THIS_PYTHON)
    assert first is not None and first == program_digest(tmp_path, "3.259.0", THIS_PYTHON)
    assert program_digest(tmp_path, "3.260.0", THIS_PYTHON) != first  # a new engine may plan differently
    sandbox = {**THIS_PYTHON, "SSOPROV_ENTRA_LOGIN_URL": "http://127.0.0.1:8443"}
    assert program_digest(tmp_path, "3.259.0", sandbox) != first  # Entra apps' discovery URL changes
    entry.write_text("from ssoprov.program import main\nimport team_defaults\n\nmain()\n")
    assert program_digest(tmp_path, "3.259.0", THIS_PYTHON) is None  # a program of its own: it always runs
    own_program(tmp_path, "name: ssoprov\nruntime: python\nmain: src/\n")
    assert program_digest(tmp_path, "3.259.0", THIS_PYTHON) is None
    assert stack_inputs(None, entry, spec("entra")) is None


def test_the_program_digest_follows_every_installed_package_and_the_python_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    own_program(tmp_path)
    first = program_digest(tmp_path, "3.259.0", THIS_PYTHON)
    real = importlib.metadata.distributions

    def httpx_upgraded() -> list[Any]:
        found = list(real())
        [httpx] = [d for d in found if d.metadata["Name"] == "httpx"]
        upgraded = SimpleNamespace(metadata={"Name": "httpx"}, version=httpx.version + ".post1")
        return [d for d in found if d is not httpx] + [upgraded]

    monkeypatch.setattr(importlib.metadata, "distributions", httpx_upgraded)
    assert program_digest(tmp_path, "3.259.0", THIS_PYTHON) != first  # the program fetches with httpx
    monkeypatch.setattr(importlib.metadata, "distributions", real)
    monkeypatch.setattr(sys, "version", sys.version + " (another build)")
    assert program_digest(tmp_path, "3.259.0", THIS_PYTHON) != first


def test_only_a_program_pulumi_runs_on_this_python_is_digested(tmp_path: Path) -> None:
    """Pulumi starts `python3` from PATH (or PULUMI_PYTHON_CMD, or the project's virtualenv): a
    python without ssoprov's packages fails the real run, one with others may plan differently."""
    own_program(tmp_path)
    assert program_digest(tmp_path, "3.259.0", THIS_PYTHON) is not None
    elsewhere = tmp_path / "other-bin"
    elsewhere.mkdir()
    (elsewhere / "python3").symlink_to(sys.executable)  # the same interpreter, not its environment
    assert program_digest(tmp_path, "3.259.0", {"PATH": str(elsewhere)}) is None
    assert program_digest(tmp_path, "3.259.0", {"PATH": str(tmp_path / "empty")}) is None
    command = {"PATH": str(Path(sys.executable).parent), "PULUMI_PYTHON_CMD": str(elsewhere / "python3")}
    assert program_digest(tmp_path, "3.259.0", command) is None

    this_venv = Path(sys.executable).parent.parent
    for options, expected in [
        (f"virtualenv: {this_venv}", True),
        (f"virtualenv: {tmp_path / 'venv'}", False),
        ("toolchain: uv", False),
        ("toolchain: poetry", False),
        ("typechecker: mypy", False),
    ]:
        own_program(tmp_path, f"name: ssoprov\nruntime:\n  name: python\n  options:\n    {options}\n")
        assert (program_digest(tmp_path, "3.259.0", {"PATH": ""}) is not None) is expected, options


def test_the_inputs_digest_follows_the_stack_file_as_the_engine_reads_it(tmp_path: Path) -> None:
    stack_file = tmp_path / "Pulumi.acme.yaml"
    stack_file.write_text("config:\n  ssoprov:organization:\n    name: acme\n")
    first = stack_inputs("program", stack_file, spec("entra"))
    assert first is not None and first == stack_inputs("program", stack_file, spec("entra"))
    assert digest_of("other program", stack_file) != first.digest
    stack_file.write_text("config:\n  ssoprov:organization: {name: acme}\n")
    assert digest_of("program", stack_file) == first.digest  # the same config, written otherwise
    stack_file.write_text("config:\n  ssoprov:organization:\n    name: acme2\n")
    assert digest_of("program", stack_file) != first.digest
    stack_file.write_text("environment:\n  - acme-esc\nconfig: {}\n")
    assert stack_inputs("program", stack_file, spec("entra")) is None  # ESC values are not in the file
    assert stack_inputs("program", stack_file, None) is None

    # What PyYAML reads alike, the engine may not: a date is handed over as Go renders it.
    stack_file.write_text('config:\n  ssoprov:organization:\n    displayName: "2024-01-01"\n')
    quoted = digest_of("program", stack_file)
    stack_file.write_text("config:\n  ssoprov:organization:\n    displayName: 2024-01-01\n")
    assert digest_of("program", stack_file) != quoted
    stack_file.write_text("config:\n  ssoprov:organization: {name: a}\n  ssoprov:organization: {name: b}\n")
    assert stack_inputs("program", stack_file, spec("entra")) is None  # the engine refuses a duplicate key


def digest_of(program: str, stack_file: Path) -> str:
    found = stack_inputs(program, stack_file, spec("entra"))
    assert found is not None
    return found.digest


def test_the_secrets_settings_count_but_pulumi_may_add_them_during_a_run(tmp_path: Path) -> None:
    """A stack file without a salt gets one from `stack init` or the stack's first run; a salt or a
    secrets provider edited by hand is a change (the run may fail to decrypt the config)."""
    stack_file = tmp_path / "Pulumi.acme.yaml"
    config = "config:\n  ssoprov:organization: {name: acme}\n"
    stack_file.write_text(config)
    bare = stack_inputs("program", stack_file, spec("entra"))
    stack_file.write_text("encryptionsalt: v1:AAAA:v1:BBBB:CCCC\n" + config)
    salted = stack_inputs("program", stack_file, spec("entra"))
    stack_file.write_text("encryptionsalt: v1:DDDD:v1:BBBB:CCCC\n" + config)
    edited = stack_inputs("program", stack_file, spec("entra"))
    stack_file.write_text("secretsprovider: awskms://alias/x\nencryptedkey: ZZZZ\n" + config)
    kms = stack_inputs("program", stack_file, spec("entra"))
    assert bare and salted and edited and kms
    assert len({bare.digest, salted.digest, edited.digest, kms.digest}) == 4
    assert salted.unchanged_since(bare)  # Pulumi wrote the salt while the run read the config
    assert not edited.unchanged_since(salted) and not kms.unchanged_since(salted)
    assert not bare.unchanged_since(salted)


@pytest.fixture(scope="module")
def salt(pulumi_cli: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The `encryptionsalt` the real CLI writes for a new stack under PASSPHRASE."""
    root = tmp_path_factory.mktemp("salt")
    (root / "state").mkdir()
    (root / "Pulumi.yaml").write_text("name: salt\nruntime: python\n")
    env = {
        "PATH": str(Path(pulumi_cli).parent),
        "PULUMI_BACKEND_URL": (root / "state").as_uri(),
        "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
        "PULUMI_HOME": str(root / "home"),
        "PULUMI_SKIP_UPDATE_CHECK": "true",
    }
    init = [pulumi_cli, "--non-interactive", "stack", "init", "dev", "--secrets-provider", "passphrase"]
    subprocess.run(init, cwd=root, env=env, check=True, capture_output=True)
    document = (root / "Pulumi.dev.yaml").read_text()
    return document.split("encryptionsalt:", 1)[1].split()[0]


def test_the_passphrase_must_be_given_and_open_the_stacks_salts(
    backend: FileBackendStacks, salt: str, tmp_path: Path
) -> None:
    """Pulumi checks the passphrase before any plan: without it, or with a wrong one, the real run
    fails, so the stack is not answered for."""
    state = deployment("entra", NOW - timedelta(days=10))
    write_checkpoint(backend, state)
    record_now(backend)
    salted = inputs(encryptionsalt=salt)
    assert check(backend, spec("entra"), salted) is not None
    assert check(backend, spec("entra"), salted, passphrase=PassphraseCheck({}, tmp_path)) is None
    wrong = PassphraseCheck({"PULUMI_CONFIG_PASSPHRASE": PASSPHRASE + "!"}, tmp_path)
    assert check(backend, spec("entra"), salted, passphrase=wrong) is None
    (tmp_path / "passphrase.txt").write_text(PASSPHRASE + "\n")  # the CLI trims the file's text
    from_file = PassphraseCheck({"PULUMI_CONFIG_PASSPHRASE_FILE": "passphrase.txt"}, tmp_path)
    assert check(backend, spec("entra"), salted, passphrase=from_file) is not None
    missing = PassphraseCheck({"PULUMI_CONFIG_PASSPHRASE_FILE": "no-such-file"}, tmp_path)
    assert check(backend, spec("entra"), salted, passphrase=missing) is None
    assert check(backend, spec("entra"), inputs(), passphrase=PassphraseCheck({}, tmp_path)) is None

    # The state's secrets are the checkpoint's salt's: the passphrase must open it too.
    state["secrets_providers"] = {"type": "passphrase", "state": {"salt": salt}}
    write_checkpoint(backend, state)
    record_now(backend)
    assert check(backend, spec("entra"), inputs()) is not None
    assert check(backend, spec("entra"), inputs(), passphrase=wrong) is None
    # A cloud key's credentials are not checked here (as no service's are).
    kms = inputs(secretsprovider="awskms://alias/ssoprov", encryptedkey="c2VjcmV0")
    state.pop("secrets_providers")
    write_checkpoint(backend, state)
    record_now(backend)
    assert check(backend, spec("entra"), kms, passphrase=PassphraseCheck({}, tmp_path)) is not None


ORGANIZATION = {
    "name": STACK,
    "displayName": "Acme",
    "identityProvider": {"kind": "entra", "tenantId": "8f3c1a52-7e4b-4c0d-9a61-2b5d9e7f0c13"},
    "broker": {"kind": "keycloak", "url": "https://sso.example.com", "realm": "customers"},
}


class Fleet:
    """One stack of ssoprov's own program on a file backend, with `preview` and `up` stood in for by
    functions that write the checkpoint a real run would (or not) and say what it planned."""

    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch):
        (root / "stacks").mkdir(parents=True)
        for name in ("Pulumi.yaml", "__main__.py"):
            shutil.copy(REPO / name, root / name)
        self.root = root
        self.stack_file = root / "stacks" / f"Pulumi.{STACK}.yaml"
        self.write_spec("Acme")
        project = Project.at(root)
        found = FileBackendStacks.of((root / "state").as_uri(), project)
        assert found is not None
        self.backend = found
        self.project = project
        self.runs: list[str] = []
        self.during: Any = None
        self.outputs_changed: list[str] = []
        self.state = deployment("entra", NOW - timedelta(days=10))
        write_checkpoint(self.backend, self.state)
        monkeypatch.setenv("SSOPROV_AS_OF", NOW.isoformat())
        monkeypatch.setattr(operations, "up", lambda job, progress, refresh=False: self.run("up", refresh))
        monkeypatch.setattr(
            operations, "preview", lambda job, progress, refresh=False: self.run("preview", refresh)
        )

    def write_spec(self, display_name: str) -> None:
        document = {"config": {"ssoprov:organization": {**ORGANIZATION, "displayName": display_name}}}
        self.stack_file.write_text(json.dumps(document))

    def run(self, command: str, refresh: bool) -> StackOutcome:
        self.runs.append(command + (" --refresh" if refresh else ""))
        if self.during:
            self.during()
        if command == "up":
            self.state["resources"][0]["outputs"] = {"updated": len(self.runs)}
            write_checkpoint(self.backend, self.state)
        details = {"outputsChanged": self.outputs_changed} if self.outputs_changed else {}
        return StackOutcome(
            STACK, "stacks/Pulumi.acme.yaml", "succeeded", STACK, Changes(unchanged=2), details=details
        )

    def ssoprov(self, command: str, *, refresh: bool = False) -> dict[str, Any]:
        engine = Engine(
            self.root, (self.root / "state").as_uri(), env={"PULUMI_CONFIG_PASSPHRASE": PASSPHRASE}
        )
        run = FleetRun(
            self.project, Selection(self.project.stacks()), engine, out=io.StringIO(), err=io.StringIO()
        )
        report = self.root / "report.json"
        run.json_report = report
        assert changes(run, command, refresh=refresh) == 0, run.err.getvalue()
        [entry] = json.loads(report.read_text())["stacks"]
        return entry


@pytest.fixture
def fleet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pulumi_cli: str) -> Fleet:
    return Fleet(tmp_path / "fleet", monkeypatch)


def test_an_up_is_recorded_and_the_next_run_is_answered_without_pulumi(fleet: Fleet) -> None:
    fleet.ssoprov("up")
    entry = fleet.ssoprov("preview")
    assert fleet.runs == ["up"] and entry["settled"]["by"] == "up"


@pytest.mark.parametrize("undone", [False, True])
def test_a_spec_edited_while_up_ran_is_not_recorded(fleet: Fleet, undone: bool) -> None:
    """Whether the run read the file before or after the edit is not known: its state may be that
    of either spec, so neither may be answered for, whether the edit stays or is undone later."""
    fleet.during = lambda: fleet.write_spec("Acme Renamed")
    fleet.ssoprov("up")
    fleet.during = None
    if undone:
        fleet.write_spec("Acme")
    entry = fleet.ssoprov("preview")
    assert fleet.runs == ["up", "preview"] and "settled" not in entry


def test_a_preview_that_changes_only_outputs_is_not_an_empty_plan(fleet: Fleet) -> None:
    """Its `up` writes the outputs to the state: answering that up unchanged would never write them."""
    fleet.outputs_changed = ["secretRotateBy"]
    fleet.ssoprov("preview")
    entry = fleet.ssoprov("up")
    assert fleet.runs == ["preview", "up"] and "settled" not in entry
    fleet.outputs_changed = []
    fleet.ssoprov("preview")
    assert "settled" in fleet.ssoprov("up")


def test_a_preview_with_refresh_records_nothing(fleet: Fleet) -> None:
    """Its plan was against what the services hold, not against the checkpoint the next run diffs."""
    fleet.ssoprov("preview", refresh=True)
    entry = fleet.ssoprov("up")
    assert fleet.runs == ["preview --refresh", "up"] and "settled" not in entry
