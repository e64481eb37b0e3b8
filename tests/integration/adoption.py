"""What the adoption tests share: a project to adopt into, `ssoprov adopt` run as a process, an
Entra app made by hand, and Keycloak's view of a connection."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sandbox.environment import LocalSandbox
from sandbox.graph.seed import CONTOSO
from ssoprov.brokers.keycloak.client import from_environment
from ssoprov.entra.graph_client import graph_client_from_env
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


HAND_MADE_SECRET = "broker secret (added by Jo)"
SIGN_IN_AND_USER_READ = ["openid", "profile", "email", "User.Read"]


async def make_app_by_hand(redirect_uri: str) -> tuple[str, str, dict[str, str]]:
    """The portal steps of the Entra ID OIDC guide; returns the client ID, the secret and group ids."""
    graph = graph_client_from_env(CONTOSO.tenant_id)
    app = await graph.create_application(
        {
            "display_name": "Contoso SSO for Acme",
            "sign_in_audience": "AzureADMyOrg",
            "redirect_uris": [redirect_uri, "https://sso.example.com/legacy/callback"],
            "id_token_claims": [
                {"name": name, "essential": False, "additional_properties": []}
                for name in ("email", "family_name", "given_name", "groups", "upn")
            ],  # upn: a claim the spec cannot express
            "group_membership_claims": "ApplicationGroup",
            "required_resource_access": [
                {
                    "resource_app_id": "00000003-0000-0000-c000-000000000000",
                    "resource_access": [
                        {"id": "37f7f235-527c-4136-accd-4a02d197296e", "type": "Scope"},
                        {"id": "14dad69e-099b-42c9-810b-d002981feec1", "type": "Scope"},
                        {"id": "64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0", "type": "Scope"},
                        {
                            "id": "e1fe6dd8-ba31-4d61-89e7-88639da4683d",
                            "type": "Scope",
                        },  # User.Read: the portal's
                    ],
                }
            ],
        }
    )
    secret = await graph.add_password(
        app["object_id"], HAND_MADE_SECRET, datetime.now(UTC) + timedelta(days=300)
    )
    service_principal = await graph.create_service_principal(app["app_id"], True)
    # "Grant admin consent": the portal consents to every permission the app requests, User.Read too.
    api = await graph.get_service_principal_by_app_id("00000003-0000-0000-c000-000000000000")
    await graph.grant_admin_consent(service_principal["object_id"], api["object_id"], SIGN_IN_AND_USER_READ)
    groups = {name: await graph.resolve_group(name) for name in ("Engineering", "Admins")}
    for principal in [*groups.values(), await graph.resolve_user("frank@contoso.example")]:
        await graph.assign(service_principal["object_id"], principal)
    # Adoption comes long after the clicks: let Graph's replication lag pass (it hides new
    # assignments from lists for a moment, as the stand-in does).
    for _ in range(50):
        if len(await graph.list_assignments(service_principal["object_id"])) == 3:
            break
        await asyncio.sleep(0.2)
    return app["app_id"], secret["secret_text"], groups


def run_adopt(
    project_dir: Path, state_dir: Path, env: dict[str, str], *args: str
) -> subprocess.CompletedProcess:
    """`ssoprov adopt ...` as a user runs it, in its own process."""
    backend = ("--backend", state_dir.resolve().as_uri())
    return subprocess.run(
        [
            str(Path(sys.executable).parent / "ssoprov"),
            "adopt",
            *args,
            "--project-dir",
            str(project_dir),
            *backend,
        ],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=600,
    )


def selected_stack(engine: Engine) -> str:
    """What `pulumi stack --show-name` says in the engine's project: the stack a bare `pulumi up`
    would act on, or that none is selected."""
    shown = subprocess.run(
        ["pulumi", "--non-interactive", "stack", "--show-name"],
        cwd=engine.project_dir,
        env={**os.environ, **engine.environment()},
        capture_output=True,
        text=True,
        timeout=60,
    )
    return shown.stdout.strip() if shown.returncode == 0 else shown.stderr.strip()
