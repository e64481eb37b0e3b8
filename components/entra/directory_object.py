"""A group or user of the customer's tenant, looked up once by the name the spec gives it.

The spec names groups by display name and users by user principal name; Graph wants object IDs
(for assignments, and in the groups claim the broker maps to roles). One resource per named
group or user, shared by everything that needs its ID: a group both assigned and role-mapped is
looked up once.

Inputs; "update" changes state only, "replace" looks the object up again:

    tenant_id  replace  the customer's tenant
    kind       replace  "group" or "user"
    spec_name  replace  group display name or UPN, as in the spec (an object ID works too)
    stack_key  update   where the name comes from in the stack file, for error messages

Outputs: the inputs plus `object_id` (also the resource id). A name that matches no object, or
several groups, fails the create with a `DirectoryLookupError` naming the object and the stack
key to fix, before anything that depends on it is created. Reading an object deleted from the
tenant drops it from state, so the next `pulumi up` looks the name up again. Delete calls
nothing: the directory object is the customer's, not ours.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, ResourceProvider, UpdateResult

from ssoprov.dynamic import declared_properties, exact_diff, gone, run_async
from ssoprov.entra.provider_support import STACK_KEY_PREFIX, graph_client, require_strings

REPLACE_KEYS = ("tenant_id", "kind", "spec_name")
UPDATE_KEYS = ("stack_key",)
INPUT_KEYS = REPLACE_KEYS + UPDATE_KEYS
OUTPUT_KEYS = ("object_id",)
KINDS = ("group", "user")


@dataclass(frozen=True)
class EntraDirectoryObjectArgs:
    tenant_id: pulumi.Input[str]
    kind: Literal["group", "user"]
    spec_name: pulumi.Input[str]
    """The group's display name or the user's UPN, as the spec writes it (an object ID works too)."""
    stack_key: str
    """e.g. "identityProvider.assignments.groups" (the `ssoprov:organization.` prefix is added)."""


class _EntraDirectoryObjectProvider(ResourceProvider):
    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return exact_diff(olds, news, update_keys=UPDATE_KEYS, replace_keys=REPLACE_KEYS)

    def create(self, props: dict[str, Any]) -> CreateResult:
        _check(props)
        object_id = run_async(_resolve(props))
        return CreateResult(id_=object_id, outs=_outs(props, object_id))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        from ssoprov.entra.graph_client import DirectoryLookupError

        client = graph_client(props["tenant_id"])
        lookup = client.resolve_group if props["kind"] == "group" else client.resolve_user
        try:
            run_async(lookup(id_))  # by object id: 404 means deleted
        except DirectoryLookupError:
            return gone()
        return ReadResult(id_, _outs(props, id_))

    def update(self, id_: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Only `stack_key` changed (anything else replaces): nothing to call."""
        return UpdateResult(outs=_outs(news, id_))

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        return None  # the group or user belongs to the customer: looking it up created nothing


async def _resolve(props: Mapping[str, Any]) -> str:
    from ssoprov.entra.graph_client import DirectoryLookupError

    client = graph_client(props["tenant_id"])
    lookup = client.resolve_group if props["kind"] == "group" else client.resolve_user
    try:
        return await lookup(props["spec_name"])
    except DirectoryLookupError as exc:
        # The lookup's message names the object and what was found; add where the name comes from.
        raise DirectoryLookupError(
            exc.kind, exc.name, exc.matches, f"{exc} Stack key: {STACK_KEY_PREFIX}{props['stack_key']}."
        ) from None


def _check(props: Mapping[str, Any]) -> None:
    require_strings("Entra directory object", props, INPUT_KEYS)
    if props["kind"] not in KINDS:
        raise ValueError(f"Entra directory object: kind must be one of {KINDS}, not {props['kind']!r}")


def _outs(props: Mapping[str, Any], object_id: str) -> dict[str, Any]:
    return {**{key: props[key] for key in INPUT_KEYS}, "object_id": object_id}


class EntraDirectoryObject(Resource, module="entra", name="DirectoryObject"):
    """One group or user of the tenant, by name. Its resource id is the object ID."""

    tenant_id: pulumi.Output[str]
    kind: pulumi.Output[str]
    spec_name: pulumi.Output[str]
    stack_key: pulumi.Output[str]
    object_id: pulumi.Output[str]

    def __init__(
        self, resource_name: str, args: EntraDirectoryObjectArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        props = declared_properties(args, INPUT_KEYS, OUTPUT_KEYS)
        super().__init__(_EntraDirectoryObjectProvider(), resource_name, props, opts)
