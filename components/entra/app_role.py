"""One app role of an app registration, as a Pulumi dynamic resource: what Entra puts in the
`roles` claim of users assigned to it (directly or through a group).

Microsoft's recommended way to carry application roles: no group object IDs in tokens, and no
group overage. With `roleSource: appRoles` the app registration defines one app role per broker
role in the role mappings, and each mapped group is assigned to its role (`EntraAssignment` with
this role's `role_id`).

Inputs; "update" patches the role, "replace" makes a new one (create-before-delete):

    tenant_id              replace  the tenant
    application_object_id  replace  the app registration that defines the role
    value                  replace  the text of the `roles` claim (the broker role; no spaces)
    display_name           update   the name admins see when assigning
    description            update   shown to admins in the portal
    allowed_member_types   update   ["User"]: users and groups (not applications)
    enabled                update   always true; a role an admin disabled is enabled again

Outputs: the inputs plus `role_id` (the app role's GUID) and `created_at`. The resource id is
`<application object id>/<role id>`, so `read` (and an import) rebuilds every input from Graph.

Graph takes an application's app roles as one list, so every write reads the list, changes this
role and writes the list back, one write per application at a time in this process (the engine
creates roles in parallel). Graph refuses to remove an enabled role: delete disables it in one
write and removes it in the next. Dependents (the assignments to the role) are deleted by the
engine first, so a role goes only after its assignments. Create adopts a role the app already
defines with the same value. Delete of a role (or application) already gone is fine.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, ResourceProvider, UpdateResult

from ssoprov.dynamic import declared_properties, exact_diff, gone, run_async
from ssoprov.entra.provider_support import delete_existing, graph_client, read_existing, require_strings

if TYPE_CHECKING:
    from ssoprov.entra.graph_client import AppRoleInfo, GraphClient

REPLACE_KEYS = ("tenant_id", "application_object_id", "value")
UPDATE_KEYS = ("display_name", "description", "allowed_member_types", "enabled")
INPUT_KEYS = (*REPLACE_KEYS, *UPDATE_KEYS)
OUTPUT_KEYS = ("role_id", "created_at")
_ROLE_IDS = uuid.UUID("2b0e4c1e-9a51-4f5e-8f0d-4c6a1f3e7b92")
"""Namespace of the role ids this provider makes: one id per application and value."""

_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _application_lock(object_id: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(object_id.lower(), threading.Lock())


@dataclass(frozen=True)
class EntraAppRoleArgs:
    tenant_id: pulumi.Input[str]
    application_object_id: pulumi.Input[str]
    value: str
    display_name: str
    description: str
    allowed_member_types: list[str] = field(default_factory=lambda: ["User"])
    enabled: bool = True


class _EntraAppRoleProvider(ResourceProvider):
    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return exact_diff(olds, news, update_keys=UPDATE_KEYS, replace_keys=REPLACE_KEYS)

    def create(self, props: dict[str, Any]) -> CreateResult:
        _check(props)
        app = props["application_object_id"]
        with _application_lock(app):
            role = run_async(_write(props, role_id=None))
        outs = _outs(props, role, datetime.now(UTC).isoformat())
        return CreateResult(id_=f"{app}/{role['id']}", outs=outs)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        app, _, role_id = id_.partition("/")
        roles = read_existing(
            lambda client: client.get_app_roles(app),
            tenant_id=props["tenant_id"],
            object_id=app,
            created_at=props.get("created_at"),
        )
        role = next((r for r in roles or [] if r["id"] == role_id), None)
        if role is None:
            return gone()
        return ReadResult(id_, _outs({**props, "application_object_id": app}, role, props.get("created_at")))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        _check(news)
        app, _, role_id = id_.partition("/")
        with _application_lock(app):
            role = run_async(_write(news, role_id=role_id))
        return UpdateResult(outs=_outs(news, role, olds.get("created_at")))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        app, _, role_id = id_.partition("/")
        with _application_lock(app):
            delete_existing(lambda client: _remove(client, app, role_id), tenant_id=props["tenant_id"])


async def _write(props: Mapping[str, Any], *, role_id: str | None) -> AppRoleInfo:
    """Add or set this role in the application's list; a new role adopts one with the same value."""
    client = graph_client(props["tenant_id"])
    app = props["application_object_id"]
    roles = await client.get_app_roles(app)
    if role_id is None:
        same_value = next((r for r in roles if r["value"] == props["value"]), None)
        role_id = (
            same_value["id"] if same_value else str(uuid.uuid5(_ROLE_IDS, f"{app.lower()}:{props['value']}"))
        )
    wanted: AppRoleInfo = {
        "id": role_id,
        "value": props["value"],
        "display_name": props["display_name"],
        "description": props["description"],
        "allowed_member_types": list(props["allowed_member_types"]),
        "is_enabled": bool(props["enabled"]),
    }
    others = [r for r in roles if r["id"] != role_id]
    if wanted not in roles:
        await client.set_app_roles(app, [*others, wanted], action=f"setting app role {props['value']!r}")
    return wanted


async def _remove(client: GraphClient, app: str, role_id: str) -> None:
    roles = await client.get_app_roles(app)
    role = next((r for r in roles if r["id"] == role_id), None)
    if role is None:
        return
    others = [r for r in roles if r["id"] != role_id]
    if role["is_enabled"]:
        disabled = {**role, "is_enabled": False}
        await client.set_app_roles(app, [*others, disabled], action=f"disabling app role {role['value']!r}")
    await client.set_app_roles(app, others, action=f"removing app role {role['value']!r}")


def _check(props: Mapping[str, Any]) -> None:
    require_strings("Entra app role", props, ("tenant_id", "application_object_id", "value", "display_name"))
    if any(c.isspace() for c in props["value"]):
        raise ValueError(f"Entra app role: value {props['value']!r} must not contain spaces")
    if not isinstance(props.get("description"), str):
        raise ValueError("Entra app role: description must be text")
    types = props.get("allowed_member_types")
    if not isinstance(types, list) or not types or not set(types) <= {"User", "Application"}:
        raise ValueError("Entra app role: allowed_member_types must list User and/or Application")
    if not isinstance(props.get("enabled"), bool):
        raise ValueError("Entra app role: enabled must be true or false")


def _outs(props: Mapping[str, Any], role: AppRoleInfo, created_at: str | None) -> dict[str, Any]:
    return {
        "tenant_id": props["tenant_id"],
        "application_object_id": props["application_object_id"],
        "value": role["value"],
        "display_name": role["display_name"],
        "description": role["description"],
        "allowed_member_types": role["allowed_member_types"],
        "enabled": role["is_enabled"],
        "role_id": role["id"],
        "created_at": created_at,
    }


class EntraAppRole(Resource, module="entra", name="AppRole"):
    """One app role of one app registration. Its resource id is `<application object id>/<role id>`."""

    tenant_id: pulumi.Output[str]
    application_object_id: pulumi.Output[str]
    value: pulumi.Output[str]
    display_name: pulumi.Output[str]
    description: pulumi.Output[str]
    allowed_member_types: pulumi.Output[list[str]]
    enabled: pulumi.Output[bool]
    role_id: pulumi.Output[str]
    created_at: pulumi.Output[str]

    def __init__(
        self, resource_name: str, args: EntraAppRoleArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        props = declared_properties(args, INPUT_KEYS, OUTPUT_KEYS)
        super().__init__(_EntraAppRoleProvider(), resource_name, props, opts)
