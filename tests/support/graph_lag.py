"""The replication lag of the Graph stand-in in every test that provisions whole organizations."""

from sandbox.graph import GraphStandIn, build_graph_standin

GRAPH_REPLICATION_LAG_SECONDS = 2.5
"""Long enough that a `pulumi up` meets every lagged answer our retries handle: the engine
creates the service principal 1-2 s after its application, still inside the lag (400, no backing
application), the assignments meet 404 and then 400 (not a valid reference), and addPassword
waits for the new password to show. The price: an Entra organization's first `up` takes about
5.5 s longer (application to last assignment 6.9 s instead of 1.4 s), each new client secret
about 2.5 s longer."""


def lagging_graph() -> GraphStandIn:
    """A fresh Graph stand-in with the tests' replication lag, e.g. for `LocalSandbox(graph=...)`."""
    return build_graph_standin(replication_lag_seconds=GRAPH_REPLICATION_LAG_SECONDS)
