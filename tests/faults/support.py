"""What the fault tests share: secrets the stand-ins issue, CLI output, counts of tenant objects,
and each identity provider's side of the sandbox (`IDENTITY_PROVIDERS`)."""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from operator import attrgetter
from pathlib import Path
from typing import Any

from pulumi import automation as auto

from sandbox.common import procgroup
from sandbox.common.service import StandIn
from sandbox.environment import LocalSandbox
from tests.integration.organizations import entra_organization, okta_organization
from tests.support.projects import StackProject


@dataclass
class IssuedSecrets:
    """Every client secret value the Graph and Okta stand-ins hand out while installed.

    Graph's `add_password` answer is the only place a secret text ever appears (the store keeps
    a hash), and Okta drops a deleted secret's value, so both are captured as they are issued.
    """

    values: set[str] = field(default_factory=set)

    def install(self, sandbox: LocalSandbox) -> IssuedSecrets:
        graph, okta = sandbox.graph.store, sandbox.okta.store
        graph.add_password = self._recording(graph.add_password, lambda answer: [answer["secretText"]])
        okta.create_app = self._recording(okta.create_app, lambda answer: [answer[1] and answer[1].value])
        okta.create_secret = self._recording(okta.create_secret, lambda answer: [answer.value])
        return self

    def _recording(self, method: Callable, secrets_of: Callable[[Any], Iterable[str | None]]) -> Callable:
        @functools.wraps(method)
        def recorded(*args: Any, **kwargs: Any) -> Any:
            answer = method(*args, **kwargs)
            self.values.update(value for value in secrets_of(answer) if value)
            return answer

        return recorded


@dataclass
class Transcript:
    """Every line the CLI printed (Automation API `on_output`), per command."""

    lines: list[str] = field(default_factory=list)

    def __call__(self, line: str) -> None:
        self.lines.append(line)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def leaked(haystacks: dict[str, str], needles: dict[str, str]) -> list[str]:
    """`<needle name> in <haystack name>` for every needle found; empty when nothing leaked."""
    return [
        f"{needle_name} in {where}"
        for where, text in haystacks.items()
        for needle_name, needle in needles.items()
        if needle and needle in text
    ]


def okta_app_ids(sandbox: LocalSandbox) -> set[str]:
    return {app.id for app in sandbox.okta.store.apps()}


def run_cli(project: StackProject, *args: str) -> tuple[int, str]:
    """Run the pulumi CLI in the project's workspace with its environment; (exit code, output)."""
    import subprocess

    workspace = project.stack.workspace
    assert isinstance(workspace, auto.LocalWorkspace)
    completed = subprocess.run(
        ["pulumi", *args, "--stack", project.stack.name, "--non-interactive"],
        cwd=workspace.work_dir,
        env=cli_env(project),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return completed.returncode, completed.stdout + completed.stderr


def process_tree(root: int) -> list[int]:
    """`root` and every process below it, read from /proc while they are alive (a killed parent's
    children are re-parented, and the CLI starts each provider in a process group of its own)."""
    children: dict[int, list[int]] = {}
    for entry in procgroup.processes():
        children.setdefault(entry.ppid, []).append(entry.pid)

    def below(pid: int) -> list[int]:
        return [pid] + [found for child in children.get(pid, []) for found in below(child)]

    return below(root)


def command_name(pid: int) -> str:
    """The file name of the program `pid` runs ('' once it is gone)."""
    try:
        return Path((Path("/proc") / str(pid) / "cmdline").read_bytes().split(b"\0")[0].decode()).name
    except OSError:
        return ""


def run_ssoprov(project: StackProject, *args: str) -> tuple[int, str]:
    """Run `ssoprov` in the project as a user would, on its backend; (exit code, output)."""
    import subprocess
    import sys

    completed = subprocess.run(
        [sys.executable, "-m", "ssoprov.cli", *args, "--backend", project.engine.backend_url],
        cwd=project.root / "project",
        env=cli_env(project),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    return completed.returncode, completed.stdout + completed.stderr


def cli_env(project: StackProject) -> dict[str, str]:
    import os

    workspace = project.stack.workspace
    env = {**os.environ, **workspace.env_vars}
    if workspace.pulumi_home:
        env["PULUMI_HOME"] = workspace.pulumi_home
    return env


def keycloak_state(sandbox: LocalSandbox, realm: str) -> tuple[list[str], list[str]]:
    """(identity provider aliases, realm role names) in `realm`, sorted."""
    import asyncio

    from ssoprov.brokers.keycloak.client import from_environment

    async def read() -> tuple[list[str], list[str]]:
        async with from_environment(sandbox.keycloak_url, sandbox.engine_env()) as admin:
            providers = await admin.list_identity_providers(realm)
            roles = await admin.list_realm_roles(realm)
            return sorted(p["alias"] for p in providers), sorted(r["name"] for r in roles)

    return asyncio.run(read())


def graph_objects(sandbox: LocalSandbox) -> Counter[str]:
    """Applications, service principals and client secrets (passwords) in the Graph stand-in's tenant."""
    applications = sandbox.graph.store.stored_applications()
    return Counter(
        {
            "applications": len(applications),
            "service principals": len(sandbox.graph.store.stored_service_principals()),
            "passwords": sum(len(app["passwordCredentials"]) for app in applications),
        }
    )


def okta_objects(sandbox: LocalSandbox) -> Counter[str]:
    """Apps in the Okta stand-in's org, and their client secrets by status ("active secrets", ...)."""
    apps = sandbox.okta.store.apps()
    counts = Counter({"apps": len(apps)})
    counts.update(
        f"{secret.status.lower()} secrets" for app in apps for secret in sandbox.okta.store.secrets(app.id)
    )
    return counts


@dataclass(frozen=True)
class IdentityProvider:
    """One identity provider's side of the sandbox, as the fault tests drive and inspect it."""

    kind: str
    service: str
    """How the provisioner's errors name its API."""
    api_path: str
    """What every path of its management API on the stand-in contains (sign-in endpoints do not)."""
    organization: Callable[[LocalSandbox, str], dict[str, Any]]
    """A spec of one organization with a Keycloak broker in the given realm."""
    stand_in: Callable[[LocalSandbox], StandIn]
    objects: Callable[[LocalSandbox], Counter[str]]
    """What the provisioner creates there, counted by kind."""
    created_by_one_organization: Counter[str]
    """`objects` after `pulumi up` of `organization`, less `objects` before."""
    client_ids: Callable[[LocalSandbox], set[str]]
    """The client ID of every app there."""


IDENTITY_PROVIDERS = {
    "entra": IdentityProvider(
        kind="entra",
        service="Microsoft Graph",
        api_path="/v1.0/",
        organization=entra_organization,
        stand_in=attrgetter("graph"),
        objects=graph_objects,
        created_by_one_organization=Counter({"applications": 1, "service principals": 1, "passwords": 1}),
        client_ids=lambda sandbox: {app["appId"] for app in sandbox.graph.store.stored_applications()},
    ),
    "okta": IdentityProvider(
        kind="okta",
        service="Okta",
        api_path="/api/v1/",
        organization=okta_organization,
        stand_in=attrgetter("okta"),
        objects=okta_objects,
        created_by_one_organization=Counter({"apps": 1, "active secrets": 1}),
        client_ids=lambda sandbox: {app.client_id for app in sandbox.okta.store.apps()},
    ),
}
