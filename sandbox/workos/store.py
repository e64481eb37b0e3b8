"""The stand-in's state: organizations and their SSO connections, behind one lock.

Tests read and change it directly (`standin.store`), e.g. to delete a connection out of band.
A connection keeps its OIDC client secret here so tests can check what was sent; no answer
of the stand-in ever contains it (WorkOS documents the secret as write-only).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from sandbox.workos.wire import new_id, timestamp


@dataclass
class Organization:
    id: str
    name: str
    domains: dict[str, str] = field(default_factory=dict)
    """Domain name -> its organization_domain id."""
    external_id: str | None = None
    created_at: str = field(default_factory=timestamp)
    updated_at: str = ""

    def to_json(self) -> dict[str, Any]:
        """The Organization object (`object`, `domains` of organization_domain, `metadata`, ...)."""
        return {
            "object": "organization",
            "id": self.id,
            "name": self.name,
            "domains": [
                {
                    "object": "organization_domain",
                    "id": domain_id,
                    "organization_id": self.id,
                    "domain": domain,
                    "state": "verified",
                    "verification_strategy": "manual",
                    "created_at": self.created_at,
                    "updated_at": self.updated_at or self.created_at,
                }
                for domain, domain_id in self.domains.items()
            ],
            "metadata": {},
            "external_id": self.external_id,
            "allow_profiles_outside_organization": False,
            "created_at": self.created_at,
            "updated_at": self.updated_at or self.created_at,
        }


@dataclass
class OidcOptions:
    discovery_endpoint: str
    client_id: str
    client_secret: str | None = field(default=None, repr=False)
    redirect_uri: str | None = None
    """None means WorkOS's own generated redirect URI."""
    token_authentication_method: str = "client_secret_post"
    extra: dict[str, Any] = field(default_factory=dict)
    """Other accepted oidc_options (pkce, fetch_user_info, ...), kept as sent."""


@dataclass
class Connection:
    id: str
    organization_id: str
    connection_type: str
    name: str
    oidc: OidcOptions
    external_id: str | None = None
    state: str = "active"
    created_at: str = field(default_factory=timestamp)
    updated_at: str = ""

    def to_json(self) -> dict[str, Any]:
        """The Connection object exactly as documented: no oidc_options, no external_id, no secret."""
        return {
            "object": "connection",
            "id": self.id,
            "organization_id": self.organization_id,
            "connection_type": self.connection_type,
            "name": self.name,
            "state": self.state,
            "status": "linked" if self.state == "active" else "unlinked",
            "domains": [],
            "created_at": self.created_at,
            "updated_at": self.updated_at or self.created_at,
        }


class WorkosStore:
    """One WorkOS environment: organizations by id, connections by id in creation order."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.organizations: dict[str, Organization] = {}
        self.connections: dict[str, Connection] = {}

    def add_organization(self, name: str, domains: list[str] | None = None, org_id: str | None = None) -> str:
        with self.lock:
            organization = Organization(
                id=org_id or new_id("org"),
                name=name,
                domains={domain: new_id("org_domain") for domain in domains or []},
            )
            self.organizations[organization.id] = organization
            return organization.id

    def organization(self, org_id: str) -> Organization | None:
        with self.lock:
            return self.organizations.get(org_id)

    def connection(self, conn_id: str) -> Connection | None:
        with self.lock:
            return self.connections.get(conn_id)

    def connections_of(self, org_id: str) -> list[Connection]:
        with self.lock:
            return [c for c in self.connections.values() if c.organization_id == org_id]

    def by_external_id(self, org_id: str, external_id: str) -> Connection | None:
        with self.lock:
            return next((c for c in self.connections_of(org_id) if c.external_id == external_id), None)

    def insert(self, connection: Connection) -> Connection:
        with self.lock:
            self.connections[connection.id] = connection
            return connection

    def delete_connection(self, conn_id: str) -> bool:
        """Remove a connection; tests call this to delete one out of band."""
        with self.lock:
            return self.connections.pop(conn_id, None) is not None
