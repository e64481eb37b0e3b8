"""The org a fresh stand-in starts with: a few people of Acme and the groups they are in.

"Engineering" and "Engineering-Contractors" are both there on purpose: `q=Engineering` (a
prefix match) finds both, so a client that means the group named "Engineering" has to check
the exact name.
"""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.okta.store import OktaStore


@dataclass(frozen=True)
class SeedUser:
    login: str
    first_name: str
    last_name: str


@dataclass(frozen=True)
class SeedGroup:
    name: str
    description: str
    members: tuple[str, ...]
    """Logins of the members."""
    type: str = "OKTA_GROUP"


@dataclass(frozen=True)
class OrgSeed:
    users: tuple[SeedUser, ...] = ()
    groups: tuple[SeedGroup, ...] = ()
    everyone: bool = True
    """Add Okta's built-in "Everyone" group holding every user."""


DEFAULT_SEED = OrgSeed(
    users=(
        SeedUser("alice@acme.example", "Alice", "Anders"),
        SeedUser("bob@acme.example", "Bob", "Brennan"),
        SeedUser("carol@acme.example", "Carol", "Castillo"),
        SeedUser("dave@acme.example", "Dave", "Dimitrov"),
        SeedUser("erin@acme.example", "Erin", "Eze"),
    ),
    groups=(
        SeedGroup("Engineering", "Product engineering", ("alice@acme.example", "bob@acme.example")),
        SeedGroup("Engineering-Contractors", "External engineers", ("dave@acme.example",)),
        SeedGroup("Admins", "Org administrators", ("alice@acme.example",)),
        SeedGroup("Sales", "Sales team", ("carol@acme.example", "erin@acme.example")),
    ),
)

EMPTY_SEED = OrgSeed(everyone=False)


def seed_org(store: OktaStore, seed: OrgSeed = DEFAULT_SEED) -> None:
    by_login = {}
    for user in seed.users:
        by_login[user.login] = store.add_user(user.login, user.first_name, user.last_name).id
    if seed.everyone:
        everyone = store.add_group("Everyone", "All users in your organization", type="BUILT_IN")
        for user_id in by_login.values():
            store.add_member(everyone.id, user_id)
    for group in seed.groups:
        group_id = store.add_group(group.name, group.description, type=group.type).id
        for login in group.members:
            store.add_member(group_id, by_login[login])


__all__ = ["DEFAULT_SEED", "EMPTY_SEED", "OrgSeed", "SeedGroup", "SeedUser", "seed_org"]
