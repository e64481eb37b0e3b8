"""Which stacks a realm-key rotation takes, and what it refuses, without a Keycloak: the realm's
deployed secretless stacks outside the selection are named, and a Keycloak that cannot be reached
fails that realm's stacks with the error instead of stopping the command."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ssoprov.fleet.commands import due_summary
from ssoprov.fleet.operations import StackJob
from ssoprov.fleet.realm_keys import KeyRotationRun, Realm, realm_rotations, rotate_realm
from ssoprov.fleet.secrets import REALM_KEY, SecretStatus
from ssoprov.spec import parse_organization
from ssoprov.workspace import Engine

NOW = datetime(2027, 1, 10, tzinfo=UTC)


def organization(name: str, realm: str, method: str = "privateKeyJwt") -> Any:
    return parse_organization(
        {
            "name": name,
            "displayName": name.title(),
            "identityProvider": {"kind": "okta", "orgUrl": "https://acme.okta.com"},
            "broker": {"kind": "keycloak", "url": "http://127.0.0.1:9/", "realm": realm},
            "clientAuthentication": {"method": method},
        },
        f"stacks/Pulumi.{name}.yaml",
    )


def row(name: str, realm: str) -> tuple[StackJob, SecretStatus, Any]:
    job = StackJob(
        name, f"stacks/Pulumi.{name}.yaml", name, Engine(project_dir=Path("."), backend_url="file://x")
    )
    status = SecretStatus(name, name, "okta", True, credential=REALM_KEY, due_reason="created 2026-01-01")
    return job, status, organization(name, realm)


def test_the_realm_s_deployed_secretless_stacks_outside_the_selection_are_named() -> None:
    every = [
        ("acme", organization("acme", "customers")),
        ("globex", organization("globex", "customers")),
        ("hooli", organization("hooli", "customers", method="clientSecret")),  # no realm key
        ("initech", organization("initech", "partners")),  # another realm
        ("vandelay", organization("vandelay", "customers")),  # not deployed yet
    ]

    [rotation] = realm_rotations([row("acme", "customers")], every, {"acme", "globex", "hooli", "initech"})

    assert rotation.realm == Realm("http://127.0.0.1:9", "customers")
    assert rotation.stacks == ["acme"] and rotation.outside == ["globex"]


def test_a_keycloak_error_fails_the_realm_s_stacks_with_it(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "KEYCLOAK_ADMIN_USERNAME",
        "KEYCLOAK_ADMIN_PASSWORD",
        "KEYCLOAK_CLIENT_ID",
        "KEYCLOAK_CLIENT_SECRET",
    ):
        monkeypatch.delenv(name, raising=False)
    said: list[str] = []
    [rotation] = realm_rotations([row("acme", "customers")], [], {"acme"})
    run = KeyRotationRun(
        said.append, lambda jobs, work: [], None, NOW, dry_run=False, generic_registered=False
    )  # type: ignore[arg-type]

    [outcome] = rotate_realm(rotation, run)

    assert outcome.status == "failed"
    assert "no admin credentials" in outcome.errors[0] and "KEYCLOAK_ADMIN_USERNAME" in outcome.errors[0]
    assert any("realm key not rotated" in line for line in said)


def test_rotate_counts_a_secretless_stack_whose_realm_key_is_due() -> None:
    job, status, _ = row("acme", "customers")
    recorded = dataclasses.replace(status, resource="acme-realm-key")

    assert due_summary([(job, recorded)]) == "1 of 1 deployed stack(s) have a secret due"
