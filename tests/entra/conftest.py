"""Fixtures for the Entra tests: a Graph stand-in on a loopback port, and a GraphClient for it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from components.entra.graph_auth import StaticTokenCredential
from components.entra.graph_client import GraphClient
from components.retry import RetryPolicy
from sandbox.common.server import ServedApp
from sandbox.graph import GraphStandIn, build_graph_standin

FAST_POLICY = RetryPolicy(attempts=6, budget_seconds=10.0, base_delay=0.05, max_delay=0.2)
"""Short waits so retry tests stay fast; Retry-After from the service still wins when given."""

TOKEN = "test-token"


class ServedGraph:
    """A running Graph stand-in: `standin` for its store, faults and call log; `url` to reach it."""

    def __init__(self, standin: GraphStandIn, served: ServedApp) -> None:
        self.standin = standin
        self.url = served.url
        self.base_url = f"{served.url}/v1.0"

    def http(self, token: str | None = TOKEN) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=10)

    def client(self, policy: RetryPolicy = FAST_POLICY, token: str = TOKEN) -> GraphClient:
        return GraphClient(self.base_url, StaticTokenCredential(token), policy=policy)

    def labels(self) -> list[str]:
        """`<status> METHOD /path` for each call served so far."""
        return [f"{call.status} {call.label()}" for call in self.standin.calls.all()]


@pytest.fixture
def graph() -> Iterator[ServedGraph]:
    standin = build_graph_standin()
    with ServedApp(standin.app) as served:
        yield ServedGraph(standin, served)
