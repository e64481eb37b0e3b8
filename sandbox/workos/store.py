"""The stand-in's state: organizations and their SSO connections (OIDC or SAML), behind one lock.

Tests read and change it directly (`standin.store`), e.g. to delete a connection out of band.
A connection keeps its OIDC client secret here so tests can check what was sent; no answer
of the stand-in ever contains it (WorkOS documents the secret as write-only).

Deleting a connection is asynchronous, as at WorkOS: the connection first turns `deleting`
(still listed and readable, `connection_deletion_in_progress` to any change) and disappears
`deletion_seconds` later. Tests switch the delay through `WorkosStore.deletion_seconds`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509

from sandbox.workos.wire import new_id, timestamp

DELETING = "deleting"
"""The state of a connection whose deletion has started and not finished."""


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
class IdpSigningCertificate:
    """An IdP signing certificate the connection trusts (SAMLIdpSigningCertificate in the SDK)."""

    id: str
    value: str
    """PEM, as sent or as read from the IdP's metadata."""
    not_before: str | None
    not_after: str | None
    created_at: str = field(default_factory=timestamp)

    @classmethod
    def from_pem(cls, pem: str) -> IdpSigningCertificate:
        """Raises ValueError when `pem` is not one PEM X.509 certificate."""
        certificate = x509.load_pem_x509_certificate(pem.encode())
        return cls(
            id=new_id("cert"),
            value=pem,
            not_before=timestamp(certificate.not_valid_before_utc),
            not_after=timestamp(certificate.not_valid_after_utc),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "object": "saml_idp_signing_certificate",
            "id": self.id,
            "value": self.value,
            "not_before": self.not_before,
            "not_after": self.not_after,
            "created_at": self.created_at,
        }


@dataclass
class SamlOptions:
    """A SAML connection's two sides: what WorkOS generated for the IdP app to name (the ACS URL it
    serves and the SP entity ID), and what it knows of the IdP (from its metadata)."""

    acs_url: str
    """In effect: WorkOS's generated one (`standard_acs_url`) unless overridden."""
    sp_entity_id: str
    """In effect: WorkOS's generated one (`standard_sp_entity_id`) unless overridden."""
    standard_acs_url: str = ""
    standard_sp_entity_id: str = ""
    idp_metadata_url: str | None = None
    idp_entity_id: str | None = None
    idp_sso_url: str | None = None
    """The IdP's single sign-on URL for the HTTP-Redirect binding."""
    certificates: list[IdpSigningCertificate] = field(default_factory=list)
    """Oldest first."""


def generated_saml_options(base_url: str) -> SamlOptions:
    """A new SAML connection's side as WorkOS generates it: its ACS URL (served at
    `{base_url}/sso/saml/acs/{key}`) and SP entity ID, nothing yet of the IdP."""
    key = new_id("conn").removeprefix("conn_")
    base = base_url.rstrip("/")
    return SamlOptions(
        acs_url=f"{base}{ACS_PATH}/{key}",
        sp_entity_id=f"{base}/{key}",
        standard_acs_url=f"{base}{ACS_PATH}/{key}",
        standard_sp_entity_id=f"{base}/{key}",
    )


@dataclass
class Connection:
    id: str
    organization_id: str
    connection_type: str
    name: str
    oidc: OidcOptions | None = None
    """Set for an OIDC connection; None for a SAML one."""
    saml: SamlOptions | None = None
    """Set for a SAML connection; None for an OIDC one."""
    external_id: str | None = None
    groups_attribute: str = "groups"
    """The ID-token claim (SAML: the assertion attribute) the profile's groups come from
    (attribute_maps.standard_attributes.groups)."""
    attribute_map: dict[str, str] = field(default_factory=dict)
    """Other standard attributes (email, first_name, last_name, ...) -> the claim or attribute they
    come from, as attribute_maps.standard_attributes set them."""
    custom_attribute_map: dict[str, str] = field(default_factory=dict)
    """Profile custom_attributes key -> the claim or attribute it comes from
    (attribute_maps.custom_attributes)."""
    state: str = "active"
    created_at: str = field(default_factory=timestamp)
    updated_at: str = ""
    gone_at: float | None = None
    """While `deleting`: the monotonic time at which the deletion completes."""

    @property
    def deleting(self) -> bool:
        return self.state == DELETING

    def deleted_by(self, now: float) -> bool:
        """Whether its deletion has completed at monotonic time `now`."""
        return self.gone_at is not None and self.gone_at <= now

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

    def profile(self, *, groups: list[str], source: Callable[[str], Any], **standard: Any) -> dict[str, Any]:
        """The Profile object of a sign-in through this connection: `standard` holds idp_id, email,
        first_name, last_name, name and raw_attributes, as the protocol read them; `source` gives
        the value of a claim or attribute by name, for the custom attributes; the role is the
        environment's default (no dashboard role mapping here)."""
        custom = {key: source(name) for key, name in self.custom_attribute_map.items()}
        return {
            "object": "profile",
            "id": new_id("prof"),
            "organization_id": self.organization_id,
            "connection_id": self.id,
            "connection_type": self.connection_type,
            **standard,
            "role": {"slug": DEFAULT_ROLE},
            "roles": [{"slug": DEFAULT_ROLE}],
            "groups": groups,
            "custom_attributes": {key: value for key, value in custom.items() if value is not None},
        }


DEFAULT_ROLE = "member"
"""The role WorkOS gives organization members whom no dashboard mapping names."""
ACS_PATH = "/sso/saml/acs"
"""Where the stand-in serves SAML connections' ACS URLs (one per connection below it)."""
DEFAULT_DELETION_SECONDS = 1.0
"""How long a deleted connection stays `deleting`: never zero by default, so every client of the
stand-in meets the asynchronous deletion it would meet at WorkOS."""


class WorkosStore:
    """One WorkOS environment: organizations by id, connections by id in creation order."""

    def __init__(self, deletion_seconds: float = DEFAULT_DELETION_SECONDS) -> None:
        self.lock = threading.RLock()
        self.organizations: dict[str, Organization] = {}
        self._connections: dict[str, Connection] = {}
        self.deletion_seconds = deletion_seconds
        self.redirect_uris: set[str] = set()
        """The app's redirect URIs the environment allows (the dashboard's Redirects page)."""

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

    @property
    def connections(self) -> dict[str, Connection]:
        """Connections by id in creation order, those whose deletion has completed left out."""
        with self.lock:
            now = time.monotonic()
            for conn_id in [c.id for c in self._connections.values() if c.deleted_by(now)]:
                del self._connections[conn_id]
            return self._connections

    def connection(self, conn_id: str) -> Connection | None:
        with self.lock:
            return self.connections.get(conn_id)

    def connections_of(self, org_id: str) -> list[Connection]:
        with self.lock:
            return [c for c in self.connections.values() if c.organization_id == org_id]

    def by_external_id(self, org_id: str, external_id: str) -> Connection | None:
        with self.lock:
            return next((c for c in self.connections_of(org_id) if c.external_id == external_id), None)

    def add_saml_connection(
        self, org_id: str, base_url: str, connection_type: str = "OktaSAML", name: str | None = None
    ) -> Connection:
        """A SAML connection as the dashboard makes it, before the IdP side is configured: WorkOS
        generates its ACS URL (served at `{base_url}/sso/saml/acs/{key}`) and SP entity ID."""
        with self.lock:
            organization = self.organizations[org_id]
            return self.insert(
                Connection(
                    id=new_id("conn"),
                    organization_id=org_id,
                    connection_type=connection_type,
                    name=name or organization.name,
                    saml=generated_saml_options(base_url),
                    state="draft",
                )
            )

    def by_acs_url(self, acs_url: str) -> Connection | None:
        with self.lock:
            return next(
                (c for c in self.connections.values() if c.saml is not None and c.saml.acs_url == acs_url),
                None,
            )

    def insert(self, connection: Connection) -> Connection:
        with self.lock:
            self.connections[connection.id] = connection
            return connection

    def finish_deletions_within(self, seconds: float) -> None:
        """Let every deletion in progress complete at the latest `seconds` from now (tests: a long
        delay makes a check meet `deleting` however slow the machine, then the wait is cut short)."""
        with self.lock:
            deadline = time.monotonic() + seconds
            for connection in self._connections.values():
                if connection.gone_at is not None:
                    connection.gone_at = min(connection.gone_at, deadline)

    def delete_connection(self, conn_id: str) -> bool:
        """Start deleting a connection, as the API's DELETE does (tests call it to delete one out of
        band): it turns `deleting` and disappears `deletion_seconds` later. False if there is none."""
        with self.lock:
            connection = self.connections.get(conn_id)
            if connection is None:
                return False
            connection.state = DELETING
            connection.updated_at = timestamp()
            connection.gone_at = time.monotonic() + self.deletion_seconds
            return True
