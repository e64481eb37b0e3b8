"""The sandbox as the benchmarks see it: stand-ins with optional latency, Keycloak behind a counting proxy.

Nothing here edits the stand-ins: latency is an ASGI wrapper around their apps, installed before
the sandbox starts serving them, and Keycloak's admin calls are counted by a small reverse proxy
the stacks use as their broker URL.
"""

from __future__ import annotations

import asyncio
import tempfile
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from starlette.types import ASGIApp, Receive, Scope, Send

from sandbox.common.server import ServedApp
from sandbox.environment import LocalSandbox
from ssoprov.fleet.stack_command import run_stack_command
from tests.integration.organizations import entra_organization, okta_organization, stack_config
from tests.support.projects import StackProject, new_stack_project


class Delayed:
    """Answers every HTTP request `seconds` late (the sandbox's control API included)."""

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self._app = app
        self._seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self._seconds:
            await asyncio.sleep(self._seconds)
        await self._app(scope, receive, send)


@dataclass
class CountingProxy:
    """Forwards everything to `upstream`, counting `METHOD /path` of each request, optionally late."""

    upstream: str
    seconds: float = 0.0
    calls: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _client: httpx.AsyncClient | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        if self._client is None:
            self._client = httpx.AsyncClient(base_url=self.upstream, timeout=60)
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        with self._lock:
            self.calls.append(f"{scope['method']} {scope['path']}")
        if self.seconds:
            await asyncio.sleep(self.seconds)
        query = scope.get("query_string", b"").decode()
        skip = {b"host", b"content-length", b"accept-encoding"}
        answer = await self._client.request(
            scope["method"],
            scope["path"] + (f"?{query}" if query else ""),
            headers=[(k, v) for k, v in scope["headers"] if k.lower() not in skip],
            content=body,
        )
        dropped = {b"content-length", b"transfer-encoding", b"content-encoding", b"connection"}
        headers = [(k, v) for k, v in answer.headers.raw if k.lower() not in dropped]
        headers.append((b"content-length", str(len(answer.content)).encode()))
        await send({"type": "http.response.start", "status": answer.status_code, "headers": headers})
        await send({"type": "http.response.body", "body": answer.content})

    def take(self) -> list[str]:
        with self._lock:
            taken, self.calls = self.calls, []
        return taken


@dataclass
class Bench:
    sandbox: LocalSandbox
    keycloak_proxy: CountingProxy
    keycloak_url: str
    root: Path

    def take_calls(self) -> dict[str, list[str]]:
        """Calls per service since the last take, as `METHOD /path`; clears the logs."""
        taken = {}
        for service, stand_in in (("Graph", self.sandbox.graph), ("Okta", self.sandbox.okta)):
            taken[service] = [c.label() for c in stand_in.calls.all()]
            stand_in.calls.clear()
        taken["Keycloak"] = self.keycloak_proxy.take()
        return taken

    def project(
        self, kind: str, realm: str, name: str, extra_env: dict[str, str] | None = None
    ) -> StackProject:
        make = {"entra": entra_organization, "okta": okta_organization}[kind]
        organization: dict[str, Any] = make(self.sandbox, realm, name)
        organization["broker"]["url"] = self.keycloak_url
        return new_stack_project(
            self.root / name,
            name,
            stack_config(organization),
            env={**self.sandbox.engine_env(), **(extra_env or {})},
        )


@contextmanager
def bench(latency_seconds: float = 0.0) -> Iterator[Bench]:
    """A started sandbox (with its own Keycloak) whose stand-ins and Keycloak answer that much late."""
    with ExitStack() as stack:
        sandbox = LocalSandbox()
        sandbox.graph.app = Delayed(sandbox.graph.app, latency_seconds)
        sandbox.okta.app = Delayed(sandbox.okta.app, latency_seconds)
        stack.enter_context(sandbox)
        proxy = CountingProxy(sandbox.keycloak_url, latency_seconds)
        served = stack.enter_context(ServedApp(proxy))
        root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ssoprov-bench-")))
        yield Bench(sandbox, proxy, served.url, root)


def new_realm(bench: Bench, name: str) -> str:
    from ssoprov.verify_login import prepare_realm

    asyncio.run(prepare_realm(bench.sandbox.keycloak_url, name, bench.sandbox.engine_env()))
    return name


def run_pulumi(project: StackProject, *args: str) -> None:
    """`pulumi <args>` on the project's stack as a user types it: the command alone, without the
    reads the Automation API adds after an `up` (components/fleet/stack_command.py says which)."""
    run_stack_command(project.engine, project.stack.name, args, lambda _event: None)
