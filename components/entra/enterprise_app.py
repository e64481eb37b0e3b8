"""The enterprise application (service principal) of an app registration, as a Pulumi dynamic
resource: the object users and groups are assigned to, and that decides whether only they may
sign in.

Inputs; "update" patches the service principal, "replace" creates a new one:

    tenant_id              replace  the tenant of the application
    application_object_id  replace  the app registration (its object ID: known while previewing)
    app_id                 -        the application (client) ID, read at create only; it is fixed
                                    by application_object_id, so it takes no part in the diff
    assignment_required    update   appRoleAssignmentRequired: only assigned users and groups

Outputs: the inputs plus `object_id` (also the resource id) and `created_at`. Microsoft OAuth
apps (personal accounts) have none: personal accounts are not in the tenant, so there is nobody
to assign.

With `adopt` (a service principal made by hand), create reads the app's service principal and
records it as it is, with no write; `adopt` is not compared by diff.

Create tolerates a service principal that already exists for the app (a previous run that
failed after creating it): it is adopted and set as the spec says. Reading one deleted out of
band drops it from state (a 404 soon after `created_at` is retried first: replication lag).
Delete removes it with its assignments; already gone is fine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, ResourceProvider, UpdateResult

from ssoprov.dynamic import declared_properties, exact_diff, gone, run_async
from ssoprov.entra.provider_support import delete_existing, graph_client, read_existing, require_strings
from ssoprov.errors import ApiError

if TYPE_CHECKING:
    from ssoprov.entra.graph_client import ServicePrincipalInfo

REPLACE_KEYS = ("tenant_id", "application_object_id")
UPDATE_KEYS = ("assignment_required",)
INPUT_KEYS = (*REPLACE_KEYS, "app_id", *UPDATE_KEYS)
OUTPUT_KEYS = ("object_id", "created_at")
ADOPT_KEY = "adopt"


@dataclass(frozen=True)
class EntraEnterpriseAppArgs:
    tenant_id: pulumi.Input[str]
    application_object_id: pulumi.Input[str]
    app_id: pulumi.Input[str]
    assignment_required: bool
    adopt: bool = False


class _EntraEnterpriseAppProvider(ResourceProvider):
    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return exact_diff(olds, news, update_keys=UPDATE_KEYS, replace_keys=REPLACE_KEYS)

    def create(self, props: dict[str, Any]) -> CreateResult:
        _check(props)
        if props.get(ADOPT_KEY):
            client = graph_client(props["tenant_id"])
            service_principal = run_async(client.get_service_principal_by_app_id(props["app_id"]))
        else:
            service_principal = run_async(
                _create(props["tenant_id"], props["app_id"], bool(props["assignment_required"]))
            )
        created_at = datetime.now(UTC).isoformat()
        return CreateResult(
            id_=service_principal["object_id"], outs=_outs(props, service_principal, created_at)
        )

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        created_at = props.get("created_at")
        service_principal = read_existing(
            lambda client: client.get_service_principal(id_),
            tenant_id=props["tenant_id"],
            object_id=id_,
            created_at=created_at,
        )
        if service_principal is None:
            return gone()
        return ReadResult(id_, _outs(props, service_principal, created_at))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        _check(news)
        required = bool(news["assignment_required"])
        run_async(graph_client(news["tenant_id"]).update_service_principal(id_, assignment_required=required))
        outs = {key: news.get(key) for key in INPUT_KEYS}
        return UpdateResult(outs={**outs, "object_id": id_, "created_at": olds.get("created_at")})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        # Already gone is fine.
        delete_existing(lambda client: client.delete_service_principal(id_), tenant_id=props["tenant_id"])


async def _create(tenant_id: str, app_id: str, assignment_required: bool) -> ServicePrincipalInfo:
    client = graph_client(tenant_id)
    try:
        return await client.create_service_principal(app_id, assignment_required)
    except ApiError as error:
        if error.status != 409:
            raise
    # The application already has its service principal: adopt it, as the spec wants it.
    existing = await client.get_service_principal_by_app_id(app_id)
    if existing["app_role_assignment_required"] != assignment_required:
        await client.update_service_principal(existing["object_id"], assignment_required=assignment_required)
        existing["app_role_assignment_required"] = assignment_required
    return existing


def _check(props: Mapping[str, Any]) -> None:
    require_strings("Entra enterprise application", props, ("tenant_id", "application_object_id", "app_id"))
    if not isinstance(props.get("assignment_required"), bool):
        raise ValueError("Entra enterprise application: assignment_required must be true or false")


def _outs(
    props: Mapping[str, Any], service_principal: ServicePrincipalInfo, created_at: str | None
) -> dict[str, Any]:
    return {
        "tenant_id": props["tenant_id"],
        "application_object_id": props["application_object_id"],
        "app_id": service_principal["app_id"] or props["app_id"],
        "assignment_required": service_principal["app_role_assignment_required"],
        "object_id": service_principal["object_id"],
        "created_at": created_at,
    }


class EntraEnterpriseApp(Resource, module="entra", name="EnterpriseApp"):
    """The service principal of one app registration. Its resource id is its object ID."""

    tenant_id: pulumi.Output[str]
    application_object_id: pulumi.Output[str]
    app_id: pulumi.Output[str]
    assignment_required: pulumi.Output[bool]
    object_id: pulumi.Output[str]
    created_at: pulumi.Output[str]

    def __init__(
        self, resource_name: str, args: EntraEnterpriseAppArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        props = {**declared_properties(args, INPUT_KEYS, OUTPUT_KEYS), ADOPT_KEY: args.adopt}
        super().__init__(_EntraEnterpriseAppProvider(), resource_name, props, opts)
