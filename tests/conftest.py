"""Fixtures shared by every test folder: the real Pulumi CLI, throwaway projects on a file backend,
and one real Keycloak per session."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sandbox.keycloak import KeycloakServer
from ssoprov.workspace import let_language_hosts_stop
from tests.support.projects import StackProject, new_stack_project


def pytest_configure() -> None:
    """In the main thread of the run and of each xdist worker, before any `pulumi` starts."""
    let_language_hosts_stop()


@pytest.fixture(scope="session")
def pulumi_cli() -> str:
    """The Pulumi CLI the bootstrap provides; the suite fails (not skips) without it."""
    path = shutil.which("pulumi")
    if path is None or shutil.which("pulumi-language-python") is None:
        pytest.fail("the Pulumi CLI is not on PATH: run the tests through `make test`, which bootstraps it")
    return path


@pytest.fixture
def stack_project(pulumi_cli: str, tmp_path: Path) -> Callable[..., StackProject]:
    """Make a project in a temp dir with one stack, on a file backend in the same dir."""

    def make(
        stack: str, config: dict, *, program_dir: Path | None = None, env: dict | None = None
    ) -> StackProject:
        return new_stack_project(tmp_path / stack, stack, config, program_dir=program_dir, env=env or {})

    return make


@pytest.fixture(scope="session")
def keycloak() -> Iterator[KeycloakServer]:
    """Started once per session, on first use (15-60 s); stopped at the end even when tests fail.

    The `with` stops it on any exit of the session, the launcher's watchdog if the test
    process itself is killed. A start failure fails the tests, with Keycloak's log tail.
    """
    with KeycloakServer() as server:
        yield server
