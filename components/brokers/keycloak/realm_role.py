"""A Keycloak realm role that role mappers grant, as a Pulumi dynamic resource.

Realm roles are shared: every organization brokered by a realm maps its groups onto the same
roles (`developer`, `member`, ...), and users hold them whichever organization they came from.
So this resource makes sure a role exists and never removes it:

- create: with `create_missing` (`broker.createRoles`) creates the role, an existing one
  (Keycloak's 409) being left as it is; without it, reads the role and fails, if it is missing,
  saying which role is missing and how to fix it. The output
  `created` records whether this resource created the role, for the reader of the state;
- read: a role deleted out of band is dropped from state, so the next `pulumi up` checks
  (and, with `create_missing`, creates) it again;
- delete: does nothing in Keycloak. **Deleting this resource never deletes the role**, whether
  this resource created it or not: another organization's mappers may grant it, and users hold
  it. Remove a role no longer used by any organization by hand.

Inputs; "update" changes only what is recorded, "replace" checks another role:

    url             replace  Keycloak's base URL
    realm           replace  the realm that holds the role
    name            replace  the role's name (a realm role; see the mapper for client roles)
    create_missing  update   create the role if it is missing (else a missing role is an error)

Outputs: the inputs plus `created`. The resource id is `<realm>/<name>`.

Admin credentials come from the provider process's environment (`client.from_environment`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, ResourceProvider, UpdateResult

from ssoprov.brokers.keycloak.client import from_environment
from ssoprov.dynamic import declared_properties, exact_diff, gone, run_async
from ssoprov.errors import NotFoundError, ProvisionerError

REPLACE_KEYS = ("url", "realm", "name")
UPDATE_KEYS = ("create_missing",)
INPUT_KEYS = REPLACE_KEYS + UPDATE_KEYS
OUTPUT_KEYS = ("created",)
DESCRIPTION = "Granted by SSO identity provider mappers (created by ssoprov)"
STACK_KEY = "ssoprov:organization.broker.createRoles"


@dataclass(frozen=True)
class KeycloakRealmRoleArgs:
    url: pulumi.Input[str]
    realm: pulumi.Input[str]
    name: pulumi.Input[str]
    create_missing: pulumi.Input[bool]


class _KeycloakRealmRoleProvider(ResourceProvider):
    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        # Replacing is safe in either order: delete removes nothing in Keycloak.
        return exact_diff(olds, news, update_keys=UPDATE_KEYS, replace_keys=REPLACE_KEYS)

    def create(self, props: dict[str, Any]) -> CreateResult:
        _check(props)
        created = run_async(_ensure(props))
        return CreateResult(id_=f"{props['realm']}/{props['name']}", outs=_outs(props, created))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        async def exists() -> None:
            async with from_environment(props["url"]) as keycloak:
                await keycloak.get_realm_role(props["realm"], props["name"])

        try:
            run_async(exists())
        except NotFoundError:
            return gone()
        return ReadResult(id_, _outs(props, bool(props.get("created"))))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        # Only create_missing can change in place; the role exists (read would have dropped it).
        return UpdateResult(outs=_outs(news, bool(olds.get("created"))))

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Leave the role in Keycloak: it is shared (see the module docstring)."""


async def _ensure(props: Mapping[str, Any]) -> bool:
    """Make sure the role exists; True if this call created it.

    With `create_missing`, one POST both checks and creates: Keycloak answers 409 for a role that
    exists and leaves it as it is. Without it, one GET checks."""
    realm, name = props["realm"], props["name"]
    async with from_environment(props["url"]) as keycloak:
        if props["create_missing"]:
            return await keycloak.create_realm_role(realm, name, description=DESCRIPTION)
        try:
            await keycloak.get_realm_role(realm, name)
        except NotFoundError:
            raise ProvisionerError(
                f"Keycloak: realm role {name!r} does not exist in realm {realm} at {props['url']}, "
                "and role mappings would grant it. Fix: create the role in Keycloak, or set "
                f"{STACK_KEY}: true to let ssoprov create missing roles"
            ) from None
        return False


def _check(props: Mapping[str, Any]) -> None:
    missing = [key for key in REPLACE_KEYS if not isinstance(props.get(key), str) or not props[key]]
    if missing or not isinstance(props.get("create_missing"), bool):
        raise ValueError(
            f"Keycloak realm role: inputs {missing or ['create_missing']} must be non-empty strings "
            "(create_missing: a boolean)"
        )


def _outs(props: Mapping[str, Any], created: bool) -> dict[str, Any]:
    return {**{key: props[key] for key in INPUT_KEYS}, "created": created}


class KeycloakRealmRole(Resource, module="keycloak", name="RealmRole"):
    """One realm role that exists as long as some organization's mappers grant it."""

    url: pulumi.Output[str]
    realm: pulumi.Output[str]
    name: pulumi.Output[str]
    create_missing: pulumi.Output[bool]
    created: pulumi.Output[bool]

    def __init__(
        self, resource_name: str, args: KeycloakRealmRoleArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        props = declared_properties(args, INPUT_KEYS, OUTPUT_KEYS)
        super().__init__(_KeycloakRealmRoleProvider(), resource_name, props, opts)
