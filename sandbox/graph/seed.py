"""The tenant a Graph stand-in starts with: users, groups, memberships and Microsoft Graph itself.

Object ids are derived from names (uuid5), so a seed always yields the same ids and tests can
name objects by UPN or display name. Two groups share the display name "Support" on purpose:
resolving a group by name must fail loudly rather than pick one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

_NAMESPACE = uuid.UUID("6f1d1a8e-3c2b-4e55-9d0e-7a4f2b9c8e10")

MICROSOFT_GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
"""The appId every tenant's Microsoft Graph service principal has."""

MICROSOFT_GRAPH_SCOPES = {
    "openid": "37f7f235-527c-4136-accd-4a02d197296e",
    "profile": "14dad69e-099b-42c9-810b-d002981feec1",
    "email": "64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0",
    "offline_access": "7427e0e9-2fba-42fe-b0c0-848c9e6a8182",
    "User.Read": "e1fe6dd8-ba31-4d61-89e7-88639da4683d",
    "GroupMember.Read.All": "bc024368-1153-4739-b217-4326f2e966d0",
}
"""Delegated permission (scope) ids of Microsoft Graph that an SSO app may request."""


def seeded_id(kind: str, name: str) -> str:
    """The stable object id the seed gives `name` of `kind` ("user", "group", ...)."""
    return str(uuid.uuid5(_NAMESPACE, f"{kind}:{name}"))


@dataclass(frozen=True)
class SeedUser:
    user_principal_name: str
    given_name: str
    surname: str
    job_title: str | None = None

    @property
    def id(self) -> str:
        return seeded_id("user", self.user_principal_name.lower())

    @property
    def display_name(self) -> str:
        return f"{self.given_name} {self.surname}"


@dataclass(frozen=True)
class SeedGroup:
    display_name: str
    description: str
    members: tuple[str, ...]
    """UPNs of member users, or `group:<key>` for a nested group."""
    key: str = ""
    """Distinguishes groups that share a display name; defaults to the display name."""

    @property
    def id(self) -> str:
        return seeded_id("group", self.key or self.display_name)


@dataclass(frozen=True)
class TenantSeed:
    tenant_id: str
    domain: str
    users: tuple[SeedUser, ...] = ()
    groups: tuple[SeedGroup, ...] = ()
    read_only_tokens: frozenset[str] = field(default_factory=frozenset)
    """Bearer tokens that may read but get 403 Authorization_RequestDenied on writes."""
    user_consent_allowed: bool = True
    """False: the tenant's admins turned user consent off, so only granted scopes sign in."""

    def user(self, user_principal_name: str) -> SeedUser:
        return next(u for u in self.users if u.user_principal_name.lower() == user_principal_name.lower())

    def group(self, key: str) -> SeedGroup:
        return next(g for g in self.groups if (g.key or g.display_name) == key)


def _contoso() -> TenantSeed:
    domain = "contoso.example"
    people = [
        ("alice", "Alice", "Anders", "Staff Engineer"),
        ("bob", "Bob", "Berg", "Engineer"),
        ("carol", "Carol", "Castillo", "Engineering Manager"),
        ("dave", "Dave", "Dubois", "IT Administrator"),
        ("erin", "Erin", "Eastwood", "Account Executive"),
        ("frank", "Frank", "Fischer", "Sales Manager"),
    ]
    users = tuple(
        SeedUser(f"{login}@{domain}", given, surname, title) for login, given, surname, title in people
    )
    every = tuple(user.user_principal_name for user in users)

    def upn(login: str) -> str:
        return f"{login}@{domain}"

    groups = (
        SeedGroup(
            "Engineering", "Everyone who builds the product.", (upn("alice"), upn("bob"), upn("carol"))
        ),
        SeedGroup("Admins", "Tenant and application administrators.", (upn("alice"), upn("dave"))),
        SeedGroup("Sales", "Sales and account management.", (upn("erin"), upn("frank"))),
        SeedGroup("Everyone", "All employees.", every),
        SeedGroup("Support", "Tier 1 support rotation.", (upn("bob"), upn("erin")), key="Support-Tier1"),
        SeedGroup("Support", "Tier 2 support escalations.", (upn("frank"),), key="Support-Tier2"),
        SeedGroup("Leadership", "Managers; nests Admins.", (upn("carol"), upn("frank"), "group:Admins")),
    )
    return TenantSeed(
        tenant_id="8f3c1a52-7e4b-4c0d-9a61-2b5d9e7f0c13",
        domain=domain,
        users=users,
        groups=groups,
    )


CONTOSO = _contoso()
"""The default seed: six contoso.example users and seven groups (two named "Support")."""
