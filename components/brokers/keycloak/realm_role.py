"""What is left of KeycloakRealmRole (one dynamic resource per realm role): the provider that stacks
made before `KeycloakRealmRoles` (realm_roles.py) still name in their state.

Why it stays: a dynamic resource's state holds its provider, pickled by reference to this module
and class, and the engine deletes or refreshes a resource through that recorded provider, not the
program's. The first `pulumi up` after the upgrade deletes each stack's old `keycloak:RealmRole`
resources (the program declares them no more) and creates its one `keycloak:RealmRoles`; without
this class, that up (and any refresh or destroy before it) fails to load the provider.

What it does: delete calls no Keycloak API (realm roles are shared by the realm's organizations and
were never deleted), and read returns the recorded state as it is, so a refresh before that up
calls Keycloak for nothing either.

When it can go: once no stack's state has a resource of type
`pulumi-python:dynamic/keycloak:RealmRole`, that is after one `pulumi up` (or `ssoprov up`) of every
stack with this release: `pulumi stack export --stack <org> | grep -c 'dynamic/keycloak:RealmRole"'`
counts those a stack still holds.
"""

from __future__ import annotations

from typing import Any

from pulumi.dynamic import ReadResult, ResourceProvider


class _KeycloakRealmRoleProvider(ResourceProvider):
    """The name the old state records; it reads and deletes without touching Keycloak."""

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return ReadResult(id_, props)

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Leave the role in Keycloak: it is shared, and `KeycloakRealmRoles` now ensures it."""
