"""An organization's Entra ID SAML application, as a Pulumi dynamic resource: what the admin
center's "Create your own application" (non-gallery) and its "Single sign-on > SAML" page make.

Inputs; "update" patches the application and its service principal, "replace" makes a new one
(create-before-delete):

    tenant_id                replace  the customer's tenant
    display_name             update   the enterprise application's name
    identifier_uri           update   Identifier (Entity ID): the broker's SP entity ID, the Audience
    reply_url                update   Reply URL (Assertion Consumer Service URL): the broker's ACS
    group_membership_claims  update   which groups the token carries (None | SecurityGroup | All |
                                      ApplicationGroup | DirectoryRole), as for OpenID Connect
    assignment_required      update   appRoleAssignmentRequired: only assigned users and groups

Create, with the real Graph calls the admin center makes:
1. `POST /applicationTemplates/8adf8e6e-67b2-4cf2-a259-e3dc5476c621/instantiate`: the application
   and its service principal;
2. `PATCH /applications/{id}`: identifierUris, web.redirectUris, groupMembershipClaims;
3. `PATCH /servicePrincipals/{id}`: preferredSingleSignOnMode saml, appRoleAssignmentRequired.
A create that fails after step 1 deletes the application again, so nothing is left behind. The
token-signing certificates, and which one signs, are `EntraSamlSigningKeys`' (saml_signing_keys.py).

Outputs: the inputs as Graph has them, plus `service_principal_id` (also the resource id: the
enterprise application that users and groups are assigned to), `application_object_id`, `app_id`,
`drifted` and `created_at`. Read reports the inputs as Graph has them, and in `drifted` a service
principal whose preferredSingleSignOnMode is not saml any more (set in the admin center): a
refresh records the drift, the next `pulumi up` patches it back.

Delete removes the application; Graph removes its service principal, certificates and assignments
with it. Already gone is fine; reading one deleted out of band drops it from state.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, ResourceProvider, UpdateResult

from ssoprov.dynamic import declared_properties, exact_diff, gone, run_async
from ssoprov.entra.provider_support import delete_existing, graph_client, read_existing, require_strings
from ssoprov.errors import ProvisionerError

if TYPE_CHECKING:
    from ssoprov.entra.graph_client import ApplicationInfo, GraphClient, ServicePrincipalInfo

REPLACE_KEYS = ("tenant_id",)
UPDATE_KEYS = (
    "display_name",
    "identifier_uri",
    "reply_url",
    "group_membership_claims",
    "assignment_required",
)
INPUT_KEYS = REPLACE_KEYS + UPDATE_KEYS
OUTPUT_KEYS = (
    "service_principal_id",
    "application_object_id",
    "app_id",
    "drifted",
    "created_at",
)
SAML_MODE = "saml"


@dataclass(frozen=True)
class EntraSamlAppArgs:
    tenant_id: pulumi.Input[str]
    display_name: pulumi.Input[str]
    identifier_uri: pulumi.Input[str]
    reply_url: pulumi.Input[str]
    group_membership_claims: pulumi.Input[str] | None
    """None sends no groups."""
    assignment_required: bool


class _EntraSamlAppProvider(ResourceProvider):
    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        drifted = ["service_principal"] if olds.get("drifted") else []
        return exact_diff(
            olds, news, update_keys=UPDATE_KEYS, replace_keys=REPLACE_KEYS, extra_updates=drifted
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        _check(props)
        client = graph_client(props["tenant_id"])
        application, service_principal = run_async(client.instantiate_non_gallery_app(props["display_name"]))
        try:
            outs = run_async(_configure(client, props, application, service_principal))
        except ProvisionerError:
            with contextlib.suppress(ProvisionerError):
                run_async(client.delete_application(application["object_id"]))
            raise
        return CreateResult(id_=service_principal["object_id"], outs=outs)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        found = read_existing(
            lambda client: _read(client, props["application_object_id"], id_),
            tenant_id=props["tenant_id"],
            object_id=id_,
            created_at=props.get("created_at"),
        )
        if found is None:
            return gone()
        return ReadResult(id_, _outs(props, *found))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        _check(news)
        client = graph_client(news["tenant_id"])
        object_id = olds["application_object_id"]
        run_async(client.update_application(object_id, _application_changes(news)))
        run_async(
            client.update_service_principal(
                id_, assignment_required=bool(news["assignment_required"]), single_sign_on_mode=SAML_MODE
            )
        )
        application, service_principal = run_async(_read(client, object_id, id_))
        return UpdateResult(outs=_outs({**olds, **news}, application, service_principal))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        # The service principal, its certificates and its assignments go with the application.
        delete_existing(
            lambda client: client.delete_application(props["application_object_id"]),
            tenant_id=props["tenant_id"],
        )


def _application_changes(props: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "display_name": props["display_name"],
        "identifier_uris": [props["identifier_uri"]],
        "redirect_uris": [props["reply_url"]],
        "group_membership_claims": props.get("group_membership_claims"),
    }


async def _configure(
    client: GraphClient,
    props: Mapping[str, Any],
    application: ApplicationInfo,
    service_principal: ServicePrincipalInfo,
) -> dict[str, Any]:
    """Steps 2 and 3 of a create; the outputs as Graph then reports them."""
    object_id, sp_id = application["object_id"], service_principal["object_id"]
    await client.update_application(object_id, _application_changes(props))
    await client.update_service_principal(
        sp_id, assignment_required=bool(props["assignment_required"]), single_sign_on_mode=SAML_MODE
    )
    application, service_principal = await _read(client, object_id, sp_id)
    return _outs({**props, "created_at": datetime.now(UTC).isoformat()}, application, service_principal)


async def _read(
    client: GraphClient, application_object_id: str, service_principal_id: str
) -> tuple[ApplicationInfo, ServicePrincipalInfo]:
    return (
        await client.get_application(application_object_id),
        await client.get_service_principal(service_principal_id),
    )


def _check(props: Mapping[str, Any]) -> None:
    require_strings(
        "Entra SAML application", props, ("tenant_id", "display_name", "identifier_uri", "reply_url")
    )
    if not isinstance(props.get("assignment_required"), bool):
        raise ValueError("Entra SAML application: assignment_required must be true or false")


def _outs(
    state: Mapping[str, Any], application: ApplicationInfo, service_principal: ServicePrincipalInfo
) -> dict[str, Any]:
    """The inputs as Graph reports them."""
    sso_mode = service_principal["preferred_single_sign_on_mode"]
    return {
        "tenant_id": state["tenant_id"],
        "display_name": application["display_name"],
        "identifier_uri": next(iter(application["identifier_uris"]), None),
        "reply_url": next(iter(application["redirect_uris"]), None),
        "group_membership_claims": application["group_membership_claims"],
        "assignment_required": service_principal["app_role_assignment_required"],
        "service_principal_id": service_principal["object_id"],
        "application_object_id": application["object_id"],
        "app_id": application["app_id"],
        "drifted": [] if sso_mode == SAML_MODE else ["preferredSingleSignOnMode"],
        "created_at": state.get("created_at"),
    }


class EntraSamlApp(Resource, module="entra", name="SamlApp"):
    """One non-gallery SAML application and its enterprise application. Its resource id is the
    service principal's object ID."""

    tenant_id: pulumi.Output[str]
    display_name: pulumi.Output[str]
    identifier_uri: pulumi.Output[str]
    reply_url: pulumi.Output[str]
    group_membership_claims: pulumi.Output[str | None]
    assignment_required: pulumi.Output[bool]
    service_principal_id: pulumi.Output[str]
    application_object_id: pulumi.Output[str]
    app_id: pulumi.Output[str]
    drifted: pulumi.Output[list[str]]
    created_at: pulumi.Output[str]

    def __init__(
        self, resource_name: str, args: EntraSamlAppArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(
            _EntraSamlAppProvider(), resource_name, declared_properties(args, INPUT_KEYS, OUTPUT_KEYS), opts
        )
