"""One user or group assigned to an enterprise application, as a Pulumi dynamic resource.

The manual guide's "Users and groups > Add user/group": with assignment required, only assigned
users (directly, or through an assigned group) may sign in, and with the ApplicationGroup groups
claim only assigned groups reach the token. One resource per principal, so adding or removing a
name in the spec touches that principal's assignment and nothing else.

Inputs; every change replaces the assignment (create-before-delete):

    tenant_id             the tenant
    service_principal_id  the enterprise application (resource) assigned to
    principal_id          the user's or group's object ID (from an EntraDirectoryObject)
    principal_name        the name the spec gives it, for the preview and error messages
    app_role_id           00000000-0000-0000-0000-000000000000 (default access), or the id of one of
                          the app's roles (`EntraAppRole.role_id`): the `roles` claim then carries it

With `adopt` (an assignment made by hand), create finds the principal's existing assignment and
records it, with no write; `adopt` is not compared by diff.

Outputs: the inputs plus `assignment_id` (also the resource id), `principal_type` (User or
Group, as Graph reports it) and `created_at`. Create returns an identical existing assignment
rather than fail. Reading an assignment removed out of band drops it from state, so the next
`pulumi up` assigns the principal again. Delete unassigns; already unassigned is fine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, ResourceProvider

from ssoprov.dynamic import declared_properties, exact_diff, gone, run_async
from ssoprov.entra.provider_support import delete_existing, graph_client, read_existing, require_strings
from ssoprov.errors import ProvisionerError

if TYPE_CHECKING:
    from ssoprov.entra.graph_client import AssignmentInfo, GraphClient

DEFAULT_APP_ROLE_ID = "00000000-0000-0000-0000-000000000000"
"""The "default access" app role: assign to an app that defines no roles."""
REPLACE_KEYS = ("tenant_id", "service_principal_id", "principal_id", "principal_name", "app_role_id")
INPUT_KEYS = REPLACE_KEYS
OUTPUT_KEYS = ("assignment_id", "principal_type", "created_at")
ADOPT_KEY = "adopt"


@dataclass(frozen=True)
class EntraAssignmentArgs:
    tenant_id: pulumi.Input[str]
    service_principal_id: pulumi.Input[str]
    principal_id: pulumi.Input[str]
    principal_name: str
    app_role_id: pulumi.Input[str] = DEFAULT_APP_ROLE_ID
    adopt: bool = False


class _EntraAssignmentProvider(ResourceProvider):
    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return exact_diff(olds, news, replace_keys=REPLACE_KEYS)

    def create(self, props: dict[str, Any]) -> CreateResult:
        require_strings("Entra assignment", props, INPUT_KEYS)
        client = graph_client(props["tenant_id"])
        if props.get(ADOPT_KEY):
            assignment = run_async(_existing(client, props))
        else:
            assignment = run_async(
                client.assign(props["service_principal_id"], props["principal_id"], props["app_role_id"])
            )
        created_at = datetime.now(UTC).isoformat()
        return CreateResult(id_=assignment["assignment_id"], outs=_outs(props, assignment, created_at))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        created_at = props.get("created_at")
        assignment = read_existing(
            lambda client: client.get_assignment(props["service_principal_id"], id_),
            tenant_id=props["tenant_id"],
            object_id=id_,
            created_at=created_at,
        )
        if assignment is None:
            return gone()  # unassigned, or the enterprise application is gone
        return ReadResult(id_, _outs(props, assignment, created_at))

    # No update: every input change is a replacement.

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        # Already unassigned is fine, and so is an enterprise application already gone.
        delete_existing(
            lambda client: client.unassign(props["service_principal_id"], id_), tenant_id=props["tenant_id"]
        )


async def _existing(client: GraphClient, props: Mapping[str, Any]) -> AssignmentInfo:
    """The principal's assignment made by hand (adoption)."""
    wanted = (props["principal_id"].lower(), props["app_role_id"].lower())
    for assignment in await client.list_assignments(props["service_principal_id"]):
        if (assignment["principal_id"].lower(), assignment["app_role_id"].lower()) == wanted:
            return assignment
    raise ProvisionerError(
        f"Entra: adopting the assignment of {props['principal_name']} to service principal "
        f"{props['service_principal_id']}: it is not assigned. Fix: assign it in the portal, or remove "
        "it from identityProvider.assignments"
    )


def _outs(props: Mapping[str, Any], assignment: AssignmentInfo, created_at: str | None) -> dict[str, Any]:
    return {
        **{key: props[key] for key in INPUT_KEYS},
        "principal_id": assignment["principal_id"] or props["principal_id"],
        "app_role_id": assignment["app_role_id"] or props["app_role_id"],
        "assignment_id": assignment["assignment_id"],
        "principal_type": assignment["principal_type"],
        "created_at": created_at,
    }


class EntraAssignment(Resource, module="entra", name="Assignment"):
    """One user or group assigned to one enterprise application. Its resource id is the assignment id."""

    tenant_id: pulumi.Output[str]
    service_principal_id: pulumi.Output[str]
    principal_id: pulumi.Output[str]
    principal_name: pulumi.Output[str]
    app_role_id: pulumi.Output[str]
    assignment_id: pulumi.Output[str]
    principal_type: pulumi.Output[str]
    created_at: pulumi.Output[str]

    def __init__(
        self, resource_name: str, args: EntraAssignmentArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        props = {**declared_properties(args, INPUT_KEYS, OUTPUT_KEYS), ADOPT_KEY: args.adopt}
        super().__init__(_EntraAssignmentProvider(), resource_name, props, opts)
