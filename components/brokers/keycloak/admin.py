"""The Keycloak admin client of one provider call, imported when a call first needs it.

The Pulumi program imports every provider module to declare its resources, and the provider
process of a no-op preview only diffs: neither talks to Keycloak, so neither should pay for
importing the admin client and httpx (about 50 ms of CPU per stack, measured). Provider modules
open their client here; only a call that talks to Keycloak imports `client`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ssoprov.brokers.keycloak.client import KeycloakAdminClient


def admin_client(url: str) -> KeycloakAdminClient:
    """A client for the Keycloak at `url`, with the admin credentials in the provider process's
    environment (`client.from_environment`); use it as `async with`."""
    from ssoprov.brokers.keycloak.client import from_environment

    return from_environment(url)
