"""What the adoption tests share: a project to adopt into, and Keycloak's view of a connection."""

from __future__ import annotations

import secrets
import shutil
from pathlib import Path

import pytest

from sandbox.environment import LocalSandbox
from ssoprov.brokers.keycloak.client import from_environment
from ssoprov.fleet.project import Project
from ssoprov.workspace import Engine, local_engine
from tests.support.projects import REPO


def adoption_project(
    tmp_path: Path, sandbox: LocalSandbox, monkeypatch: pytest.MonkeyPatch
) -> tuple[Project, Engine]:
    """An empty copy of the project (no stack file yet) on a file backend; `adopt` itself reads the
    services with the sandbox's credentials, as an engineer's shell would have them."""
    for key, value in sandbox.engine_env().items():
        monkeypatch.setenv(key, value)
    root = tmp_path / "project"
    (root / "stacks").mkdir(parents=True)
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(REPO / name, root / name)
    env = {
        "PULUMI_CONFIG_PASSPHRASE": secrets.token_urlsafe(24),
        "PYTHONPATH": str(REPO),
        **sandbox.engine_env(),
    }
    return Project.at(root), local_engine(root, tmp_path / "state", env=env)


async def keycloak_view(sandbox: LocalSandbox, realm: str, alias: str) -> tuple[dict, list[dict]]:
    """The identity provider and its mappers (by name) as Keycloak holds them."""
    async with from_environment(sandbox.keycloak_url, sandbox.engine_env()) as admin:
        provider = await admin.get_identity_provider(realm, alias)
        mappers = await admin.list_mappers(realm, alias)
    return provider, sorted(mappers, key=lambda m: m["name"])


async def create_by_hand(
    sandbox: LocalSandbox, realm: str, provider: dict, mappers: list[tuple[str, str, dict]], roles: list[str]
) -> None:
    """What an admin does in the Keycloak console: the roles, the provider, then its mappers in order."""
    async with from_environment(sandbox.keycloak_url, sandbox.engine_env()) as admin:
        for role in roles:
            await admin.ensure_realm_role(realm, role)
        await admin.create_identity_provider(realm, provider)
        for name, kind, config in mappers:
            await admin.create_mapper(
                realm, provider["alias"], {"name": name, "identityProviderMapper": kind, "config": config}
            )


async def endpoints_from(sandbox: LocalSandbox, realm: str, discovery_url: str) -> dict[str, str]:
    """The endpoint settings the console fills in from a discovery URL."""
    async with from_environment(sandbox.keycloak_url, sandbox.engine_env()) as admin:
        imported = await admin.import_config(realm, discovery_url)
    return {key: str(value) for key, value in imported.items() if value is not None}
