"""The broker interface: one implementation per SSO broker (Keycloak, WorkOS)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import pulumi

from ssoprov.identity import ConnectionInfo


@dataclass(frozen=True)
class RoleRule:
    """Members whose groups claim contains `claim_value` get `role`."""

    group: str
    """The group as named in the spec (used for resource names and reports)."""
    claim_value: pulumi.Output[str]
    role: str


@dataclass(frozen=True)
class BrokerConnection:
    connection_id: pulumi.Output[str]
    manual_steps: list[pulumi.Input[str]] = field(default_factory=list)
    """Steps the broker's API cannot do, to finish by hand in its dashboard (empty when none)."""
    trusted_certificates: pulumi.Output[list[str]] | None = None
    """SAML: the IdP signing certificates the broker trusts, known once it has written them."""


@dataclass(frozen=True)
class BrokerKey:
    """The public half of the key a broker signs its client assertions with (private_key_jwt):
    what an IdP app must trust instead of handing the broker a secret."""

    kid: pulumi.Output[str]
    certificate: pulumi.Output[str]
    """The key's X.509 certificate, base64 DER (Entra registers certificates)."""
    jwk: pulumi.Output[dict[str, str]]
    """The public key as a JWK with the same kid (Okta registers keys)."""
    certificates: pulumi.Output[list[str]]
    """Every key the IdP app must trust, as certificates: the signer first, then a key staged by a
    rotation (which the broker signs with once every app trusts it)."""
    jwks: pulumi.Output[list[dict[str, str]]]
    """The same keys as JWKs."""
    algorithm: str
    """The JWS algorithm the broker signs its assertions with (RS256)."""
    jwks_url: str
    """Where the broker publishes its public keys: an IdP that fetches keys by URL follows the
    broker's key changes without anyone copying a key again."""
    holder: pulumi.Resource
    """The resource that puts the key in place: a broker that signs with it depends on it."""


class Broker(Protocol):
    def redirect_uri(self) -> str:
        """The callback URL the IdP app must allow; known before anything is created."""
        ...

    def saml_service_provider(self) -> tuple[str, str]:
        """(SP entity ID, ACS URL) a SAML IdP app must name as its audience and post to; known before
        anything is created. Only for brokers that take SAML connections (the spec refuses others)."""
        ...

    def assertion_key(self, parent: pulumi.Resource) -> BrokerKey:
        """The key the broker will sign client assertions with, made (or found) as a child of
        `parent`; only called for `clientAuthentication.method: privateKeyJwt`."""
        ...

    def connect(
        self,
        idp: ConnectionInfo,
        rules: list[RoleRule],
        default_role: str | None,
        parent: pulumi.Resource,
    ) -> BrokerConnection:
        """Create the connection (and its role mappings) as children of `parent`."""
        ...
