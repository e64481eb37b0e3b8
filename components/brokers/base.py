"""The broker interface: one implementation per SSO broker (Keycloak, WorkOS)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import pulumi

from ssoprov.identity import IdpConnectionInfo


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


class Broker(Protocol):
    def redirect_uri(self) -> str:
        """The callback URL the IdP app must allow; known before anything is created."""
        ...

    def connect(
        self,
        idp: IdpConnectionInfo,
        rules: list[RoleRule],
        default_role: str | None,
        parent: pulumi.Resource,
    ) -> BrokerConnection:
        """Create the connection (and its role mappings) as children of `parent`."""
        ...
