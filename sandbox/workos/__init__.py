"""A WorkOS API stand-in that the real workos SDK talks to.

`build_workos_standin()` returns a `StandIn` whose `.app` serves `/organizations/{id}` and
`/connections[/{id}]` over an in-memory environment (`.store`) seeded with two organizations, with
WorkOS's error bodies, Bearer API-key auth, Idempotency-Key replay and 429 rate limiting with
Retry-After. The OIDC client secret is accepted and never returned. SAML connections are made by
POST /connections with `saml_options`, or as the dashboard makes them
(`store.add_saml_connection`), configured through the API (saml.py) and signed in through
(saml_signin.py).
"""

from sandbox.workos.app import DEFAULT_API_KEY, WorkosStandIn, build_workos_standin
from sandbox.workos.seed import GLOBEX, INITECH

__all__ = ["DEFAULT_API_KEY", "GLOBEX", "INITECH", "WorkosStandIn", "build_workos_standin"]
