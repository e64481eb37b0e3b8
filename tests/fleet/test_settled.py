"""When a fleet preview/up may answer for a stack without Pulumi: the record matches the checkpoint
and the inputs, nothing is due, no diff reads a service; anything else runs Pulumi."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from ssoprov.fleet.project import Project
from ssoprov.fleet.settled import (
    FileBackendStacks,
    Record,
    inputs_digest,
    program_digest,
    settled,
)
from tests.fleet.test_secrets import NOW, deployment, spec

STACK = "acme"


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


def record_now(backend: FileBackendStacks, inputs: str = "inputs-1") -> None:
    found = backend.checkpoint(STACK)
    assert found is not None
    backend.write_record(STACK, Record(found.digest, inputs, "up", NOW.isoformat()))


def check(backend: FileBackendStacks, state_spec: Any, inputs: str = "inputs-1", moment: Any = NOW) -> Any:
    return settled(backend, STACK, state_spec, inputs, backend.checkpoint(STACK), moment)


def test_a_recorded_stack_is_settled_until_its_state_or_inputs_change(backend: FileBackendStacks) -> None:
    state = deployment("entra", NOW - timedelta(days=10))
    write_checkpoint(backend, state)
    assert check(backend, spec("entra")) is None  # nothing recorded yet
    record_now(backend)

    found = check(backend, spec("entra"))
    assert found is not None and found.resources == 2
    assert found.remark().startswith("settled since the up of 2027-01-10 12:00 UTC")
    assert check(backend, spec("entra"), inputs="inputs-2") is None
    assert check(backend, spec("entra"), inputs=None) is None

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


def test_the_program_digest_covers_ssoprovs_own_program_and_no_other(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: ssoprov\nruntime: python\n")
    entry = tmp_path / "__main__.py"
    entry.write_text('"""Entry point."""\n\nfrom ssoprov.program import main\n\nmain()  # run it\n')
    project = Project.at(tmp_path)
    first = program_digest(project, "3.259.0")
    assert first is not None and first == program_digest(project, "3.259.0")
    assert program_digest(project, "3.260.0") != first  # a new engine may plan differently
    entry.write_text("from ssoprov.program import main\nimport team_defaults\n\nmain()\n")
    assert program_digest(project, "3.259.0") is None  # a program of its own: it always runs
    entry.write_text("from ssoprov.program import main\n\nmain()\n")
    (tmp_path / "Pulumi.yaml").write_text("name: ssoprov\nruntime: python\nmain: src/\n")
    assert program_digest(Project.at(tmp_path), "3.259.0") is None
    assert inputs_digest(None, entry, spec("entra")) is None


def test_the_inputs_digest_follows_the_stack_file(tmp_path: Path) -> None:
    stack_file = tmp_path / "Pulumi.acme.yaml"
    stack_file.write_text("config:\n  ssoprov:organization:\n    name: acme\n")
    first = inputs_digest("program", stack_file, spec("entra"))
    assert first is not None and first == inputs_digest("program", stack_file, spec("entra"))
    assert inputs_digest("other program", stack_file, spec("entra")) != first
    stack_file.write_text("encryptionsalt: v1:abc\nconfig:\n  ssoprov:organization: {name: acme}\n")
    assert inputs_digest("program", stack_file, spec("entra")) == first  # Pulumi's salt, same config
    stack_file.write_text("config:\n  ssoprov:organization:\n    name: acme2\n")
    assert inputs_digest("program", stack_file, spec("entra")) != first
    stack_file.write_text("environment:\n  - acme-esc\nconfig: {}\n")
    assert inputs_digest("program", stack_file, spec("entra")) is None  # ESC values are not in the file
    assert inputs_digest("program", stack_file, None) is None
