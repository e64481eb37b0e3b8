"""Fixtures for the Entra tests: a Graph stand-in on a loopback port, and a GraphClient for it."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from sandbox.common.server import ServedApp
from sandbox.graph import GraphStandIn, build_graph_standin
from ssoprov.entra.graph_auth import StaticTokenCredential
from ssoprov.entra.graph_client import GraphClient
from ssoprov.retry import RetryPolicy
from tests.support.graph_contract import GraphResponseRecorder

FAST_POLICY = RetryPolicy(attempts=6, budget_seconds=10.0, base_delay=0.05, max_delay=0.2)
"""Short waits so retry tests stay fast; Retry-After from the service still wins when given."""

TOKEN = "test-token"


class ServedGraph:
    """A running Graph stand-in: `standin` for its store, faults and call log; `url` to reach it;
    `recorder.responses` for every JSON body it served (see `tests.support.graph_contract`)."""

    def __init__(self, standin: GraphStandIn, recorder: GraphResponseRecorder, url: str) -> None:
        self.standin = standin
        self.recorder = recorder
        self.url = url
        self.base_url = f"{url}/v1.0"

    def http(self, token: str | None = TOKEN) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=10)

    def client(self, policy: RetryPolicy = FAST_POLICY, token: str = TOKEN) -> GraphClient:
        return GraphClient(self.base_url, StaticTokenCredential(token), policy=policy)

    def labels(self) -> list[str]:
        """`<status> METHOD /path` for each call served so far.

        The shared call log records a call after its response went out, so a client can see a
        response before its call is logged: wait until the log stops growing.
        """
        calls = self.standin.calls.all()
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            time.sleep(0.03)
            again = self.standin.calls.all()
            if len(again) == len(calls):
                break
            calls = again
        return [f"{call.status} {call.label()}" for call in calls]


class _CurrentApp:
    """The ASGI app of the current test's stand-in: one server for the session, a fresh tenant per test."""

    def __init__(self) -> None:
        self.app: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.app is not None, "no Graph stand-in is installed"
        await self.app(scope, receive, send)


@pytest.fixture(scope="session")
def _graph_server() -> Iterator[tuple[_CurrentApp, str]]:
    current = _CurrentApp()
    with ServedApp(current) as served:
        yield current, served.url


@pytest.fixture
def graph(_graph_server: tuple[_CurrentApp, str]) -> Iterator[ServedGraph]:
    current, url = _graph_server
    standin = build_graph_standin()
    recorder = GraphResponseRecorder(standin.app)
    current.app = recorder
    try:
        yield ServedGraph(standin, recorder, url)
    finally:
        current.app = None
