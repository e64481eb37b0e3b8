"""Whole organizations against the sandbox: stand-ins, the real Keycloak, the real Pulumi CLI."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator

import pytest

from sandbox.environment import LocalSandbox
from sandbox.keycloak import KeycloakServer
from ssoprov.verify_login import prepare_realm
from tests.support.graph_lag import lagging_graph


@pytest.fixture
def sandbox(keycloak: KeycloakServer) -> Iterator[LocalSandbox]:
    with LocalSandbox(keycloak=keycloak, graph=lagging_graph()) as running:
        yield running


@pytest.fixture
def realm(sandbox: LocalSandbox) -> str:
    """A fresh broker realm per test, with the verify-login client."""
    name = f"customers-{secrets.token_hex(3)}"
    asyncio.run(prepare_realm(sandbox.keycloak_url, name, sandbox.engine_env()))
    return name
