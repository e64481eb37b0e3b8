"""Tenant-wide admin consent for the delegated permissions an app registration requests, as a
Pulumi dynamic resource: the portal's "Grant admin consent for <tenant>" button.

Tenants that turn user consent off (many enterprise tenants do) refuse every user's first sign-in
with AADSTS65001 until an admin consents. The consent is one delegated permission grant
(oAuth2PermissionGrant, consentType AllPrincipals) from the app's service principal to the API's
(Microsoft Graph's), listing the scopes. Graph keeps one such grant per client and API.

Inputs; "update" patches the grant, "replace" makes a new one (create-before-delete):

    tenant_id                    replace  the tenant
    client_service_principal_id  replace  the app's enterprise application (service principal)
    resource_app_id              replace  the API's application id (Microsoft Graph: 00000003-...)
    scopes                       update   the delegated permissions consented, sorted (openid, ...)

Outputs: the inputs plus `grant_id` (also the resource id), `resource_service_principal_id` (the
API's service principal in this tenant) and `created_at`. `read` rebuilds every input from the
grant (the API's application id from its service principal), so drift in the portal (a scope
revoked or added) shows and the next `pulumi up` sets the scopes back. Create adopts a
tenant-wide grant that already exists for the pair. Delete revokes it; already gone is fine
(deleting the service principal also deletes its grants).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, ResourceProvider, UpdateResult

from ssoprov.dynamic import declared_properties, exact_diff, gone, run_async
from ssoprov.entra.application import MICROSOFT_GRAPH_APP_ID
from ssoprov.entra.provider_support import delete_existing, graph_client, read_existing, require_strings

if TYPE_CHECKING:
    from ssoprov.entra.graph_client import GrantInfo, GraphClient

REPLACE_KEYS = ("tenant_id", "client_service_principal_id", "resource_app_id")
UPDATE_KEYS = ("scopes",)
INPUT_KEYS = (*REPLACE_KEYS, *UPDATE_KEYS)
OUTPUT_KEYS = ("grant_id", "resource_service_principal_id", "created_at")


@dataclass(frozen=True)
class EntraAdminConsentArgs:
    tenant_id: pulumi.Input[str]
    client_service_principal_id: pulumi.Input[str]
    scopes: list[str]
    resource_app_id: str = MICROSOFT_GRAPH_APP_ID


class _EntraAdminConsentProvider(ResourceProvider):
    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return exact_diff(olds, _normalized(news), update_keys=UPDATE_KEYS, replace_keys=REPLACE_KEYS)

    def create(self, props: dict[str, Any]) -> CreateResult:
        props = _checked(props)
        grant, resource_sp = run_async(_create(props))
        created_at = datetime.now(UTC).isoformat()
        return CreateResult(id_=grant["grant_id"], outs=_outs(props, grant, resource_sp, created_at))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        created_at = props.get("created_at")
        found = read_existing(
            lambda client: _read(client, id_, props),
            tenant_id=props["tenant_id"],
            object_id=id_,
            created_at=created_at,
        )
        if found is None:
            return gone()
        grant, resource_app_id = found
        return ReadResult(
            id_, _outs({**props, "resource_app_id": resource_app_id}, grant, grant["resource_id"], created_at)
        )

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        news = _checked(news)
        run_async(graph_client(news["tenant_id"]).update_grant(id_, news["scopes"]))
        outs = {key: news[key] for key in INPUT_KEYS}
        return UpdateResult(
            outs={
                **outs,
                "grant_id": id_,
                "resource_service_principal_id": olds.get("resource_service_principal_id"),
                "created_at": olds.get("created_at"),
            }
        )

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        # Already revoked, or gone with its service principal, is fine.
        delete_existing(lambda client: client.delete_grant(id_), tenant_id=props["tenant_id"])


async def _create(props: Mapping[str, Any]) -> tuple[GrantInfo, str]:
    client = graph_client(props["tenant_id"])
    resource = await client.get_service_principal_by_app_id(props["resource_app_id"])
    grant = await client.grant_admin_consent(
        props["client_service_principal_id"], resource["object_id"], props["scopes"]
    )
    return grant, resource["object_id"]


async def _read(client: GraphClient, grant_id: str, props: Mapping[str, Any]) -> tuple[GrantInfo, str]:
    """The grant, and the application id of the API it is for (looked up when state lacks it)."""
    grant = await client.get_grant(grant_id)
    if props.get("resource_service_principal_id") == grant["resource_id"] and props.get("resource_app_id"):
        return grant, props["resource_app_id"]
    resource = await client.get_service_principal(grant["resource_id"])
    return grant, resource["app_id"]


def _normalized(props: Mapping[str, Any]) -> dict[str, Any]:
    """Scopes compare as a set: Graph keeps the order they were granted in, which means nothing."""
    scopes = props.get("scopes")
    return {**props, "scopes": sorted(set(scopes)) if isinstance(scopes, list) else scopes}


def _checked(props: Mapping[str, Any]) -> dict[str, Any]:
    require_strings("Entra admin consent", props, REPLACE_KEYS)
    scopes = props.get("scopes")
    if not isinstance(scopes, list) or not scopes or not all(isinstance(s, str) and s for s in scopes):
        raise ValueError("Entra admin consent: scopes must be a non-empty list of permission names")
    return _normalized(props)


def _outs(
    props: Mapping[str, Any], grant: GrantInfo, resource_service_principal_id: str, created_at: str | None
) -> dict[str, Any]:
    return {
        "tenant_id": props["tenant_id"],
        "client_service_principal_id": grant["client_id"] or props.get("client_service_principal_id"),
        "resource_app_id": props["resource_app_id"],
        "scopes": grant["scopes"],
        "grant_id": grant["grant_id"],
        "resource_service_principal_id": resource_service_principal_id,
        "created_at": created_at,
    }


class EntraAdminConsent(Resource, module="entra", name="AdminConsent"):
    """Admin consent for one app's delegated permissions on one API. Its resource id is the grant id."""

    tenant_id: pulumi.Output[str]
    client_service_principal_id: pulumi.Output[str]
    resource_app_id: pulumi.Output[str]
    scopes: pulumi.Output[list[str]]
    grant_id: pulumi.Output[str]
    resource_service_principal_id: pulumi.Output[str]
    created_at: pulumi.Output[str]

    def __init__(
        self, resource_name: str, args: EntraAdminConsentArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        props = declared_properties(args, INPUT_KEYS, OUTPUT_KEYS)
        super().__init__(_EntraAdminConsentProvider(), resource_name, props, opts)
