"""A Microsoft Graph v1.0 stand-in that the real msgraph-sdk talks to.

`build_graph_standin()` returns a `StandIn` whose `.app` serves `/v1.0/...` (applications,
service principals, app role assignments, users, groups) over a seeded, in-memory tenant
(`.store`), with Graph's OData error bodies, throttling and replication delays.
"""

from sandbox.graph.app import GraphStandIn, build_graph_standin

__all__ = ["GraphStandIn", "build_graph_standin"]
