"""What the fault tests share: secrets the stand-ins issue, CLI output, counts of tenant objects."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from pulumi import automation as auto

from sandbox.environment import LocalSandbox
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


def secret_output(project: StackProject) -> str:
    output = project.stack.outputs()["clientSecret"]
    assert output.secret
    return str(output.value)


def okta_app_ids(sandbox: LocalSandbox) -> set[str]:
    return {app.id for app in sandbox.okta.store.apps()}


def okta_secret_count(sandbox: LocalSandbox, app_id: str) -> int:
    return len(sandbox.okta.store.secrets(app_id))


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

    from components.brokers.keycloak.client import from_environment

    async def read() -> tuple[list[str], list[str]]:
        async with from_environment(sandbox.keycloak_url, sandbox.engine_env()) as admin:
            providers = await admin.list_identity_providers(realm)
            roles = await admin.list_realm_roles(realm)
            return sorted(p["alias"] for p in providers), sorted(r["name"] for r in roles)

    return asyncio.run(read())
