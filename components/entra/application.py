"""The app registration of an organization's Entra ID (or Microsoft OAuth) sign-in, as a Pulumi
dynamic resource.

Inputs; "update" patches the application in place, "replace" registers a new one
(create-before-delete):

    tenant_id                replace  the tenant that holds the registration
    display_name             update   the app's name in the Entra admin center
    sign_in_audience         update   AzureADMyOrg | AzureADMultipleOrgs | PersonalMicrosoftAccount
    redirect_uris            update   Web platform redirect URIs, the broker's callback first
    id_token_claims          update   optional ID-token claims: [{name, essential, additional_properties}]
    group_membership_claims  update   None | SecurityGroup | All | ApplicationGroup | DirectoryRole
    graph_scopes             update   delegated Microsoft Graph permissions by name (openid, ...)

    adopt_app_id             -        the client ID of an app registration made by hand: create
                                      reads it and records it as Graph has it, with no write
                                      (adoption); not compared by diff

What the app always is: a confidential Web app. For audiences that include personal Microsoft
accounts Graph requires v2 access tokens, so `api.requestedAccessTokenVersion` is set to 2 with
such an audience (on create, and whenever the audience changes to one).

Outputs: the inputs as Graph stored them, plus `object_id` (also the resource id), `app_id`
(the application (client) ID) and `created_at`. `read` reports every input property as Graph has it, so a
refresh records drift made in the portal (a redirect URI edited, a claim removed, a permission
added) and the next `pulumi up` patches exactly those properties back. Graph scopes that are
not among the names below, and permissions on other APIs, read as `<resourceAppId>/<id>/<type>`.

Delete removes the registration (Graph removes its service principal, assignments and secrets
with it); an application already gone is fine. Reading one deleted out of band drops it from
state; a 404 in the minutes after `created_at` is taken for replication lag and retried first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, ResourceProvider, UpdateResult

from ssoprov.dynamic import changed_keys, exact_diff, gone, run_async
from ssoprov.entra.provider_support import delete_existing, graph_client, read_existing, require_strings
from ssoprov.errors import ProvisionerError

if TYPE_CHECKING:
    from ssoprov.entra.graph_client import ApplicationInfo, ApplicationSpec

REPLACE_KEYS = ("tenant_id",)
UPDATE_KEYS = (
    "display_name",
    "sign_in_audience",
    "redirect_uris",
    "id_token_claims",
    "group_membership_claims",
    "graph_scopes",
)
INPUT_KEYS = REPLACE_KEYS + UPDATE_KEYS
OUTPUT_KEYS = ("object_id", "app_id", "created_at")
ADOPT_KEY = "adopt_app_id"

MICROSOFT_GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
GRAPH_DELEGATED_SCOPES = {
    "openid": "37f7f235-527c-4136-accd-4a02d197296e",
    "profile": "14dad69e-099b-42c9-810b-d002981feec1",
    "email": "64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0",
    "User.Read": "e1fe6dd8-ba31-4d61-89e7-88639da4683d",
}
"""Microsoft Graph's delegated permission ids: the same in every tenant."""
PERSONAL_ACCOUNT_AUDIENCES = ("AzureADandPersonalMicrosoftAccount", "PersonalMicrosoftAccount")
SIGN_IN_AUDIENCES = ("AzureADMyOrg", "AzureADMultipleOrgs", *PERSONAL_ACCOUNT_AUDIENCES)


@dataclass(frozen=True)
class EntraApplicationArgs:
    tenant_id: pulumi.Input[str]
    display_name: pulumi.Input[str]
    sign_in_audience: pulumi.Input[str]
    redirect_uris: pulumi.Input[Sequence[str]]
    id_token_claims: Sequence[Mapping[str, Any]]
    """Each {"name": str, "essential": bool, "additional_properties": [str]}."""
    group_membership_claims: str | None
    graph_scopes: Sequence[str]
    adopt_app_id: str | None = None


class _EntraApplicationProvider(ResourceProvider):
    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return exact_diff(olds, news, update_keys=UPDATE_KEYS, replace_keys=REPLACE_KEYS)

    def create(self, props: dict[str, Any]) -> CreateResult:
        _check(props)
        if props.get(ADOPT_KEY):
            application = run_async(_adopted(props["tenant_id"], props[ADOPT_KEY]))
            return CreateResult(id_=application["object_id"], outs=_outs(props, application))
        spec = cast("ApplicationSpec", _graph_properties(props))
        application = run_async(graph_client(props["tenant_id"]).create_application(spec))
        return CreateResult(id_=application["object_id"], outs=_outs(props, application))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        application = read_existing(
            lambda client: client.get_application(id_),
            tenant_id=props["tenant_id"],
            object_id=id_,
            created_at=props.get("created_at"),
        )
        if application is None:
            return gone()
        return ReadResult(id_, _outs(props, application))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Patch only the properties whose recorded value (after any refresh) differs from the spec."""
        _check(news)
        changed = changed_keys(olds, news, UPDATE_KEYS)
        wanted = _graph_properties(news)
        patch: dict[str, Any] = {}
        for key in changed:
            graph_property = _GRAPH_PROPERTY.get(key, key)
            patch[graph_property] = wanted[graph_property]
        if "sign_in_audience" in changed and "requested_access_token_version" in wanted:
            patch["requested_access_token_version"] = wanted["requested_access_token_version"]
        if patch:
            run_async(graph_client(news["tenant_id"]).update_application(id_, cast("ApplicationSpec", patch)))
        return UpdateResult(outs={**{key: olds.get(key) for key in OUTPUT_KEYS}, **_inputs(news)})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        # Already gone is fine.
        delete_existing(lambda client: client.delete_application(id_), tenant_id=props["tenant_id"])


async def _adopted(tenant_id: str, app_id: str) -> ApplicationInfo:
    application = await graph_client(tenant_id).find_application_by_app_id(app_id)
    if application is None:
        raise ProvisionerError(
            f"Entra: adopting application with client ID {app_id} in tenant {tenant_id}: it does not exist. "
            "Fix: correct ssoprov:organization.adoption.clientId, or remove it to register a new app"
        )
    return application


_GRAPH_PROPERTY = {"graph_scopes": "required_resource_access"}
"""Update keys whose GraphClient `ApplicationSpec` property has another name (the rest: the same)."""


def _graph_properties(props: Mapping[str, Any]) -> dict[str, Any]:
    """The inputs as GraphClient `ApplicationSpec` properties."""
    properties: dict[str, Any] = {
        "display_name": props["display_name"],
        "sign_in_audience": props["sign_in_audience"],
        "redirect_uris": list(props["redirect_uris"]),
        "id_token_claims": [
            {
                "name": claim["name"],
                "essential": bool(claim.get("essential", False)),
                "additional_properties": list(claim.get("additional_properties") or []),
            }
            for claim in props["id_token_claims"]
        ],
        "group_membership_claims": props.get("group_membership_claims"),
        "required_resource_access": _required_resource_access(props["graph_scopes"]),
    }
    if props["sign_in_audience"] in PERSONAL_ACCOUNT_AUDIENCES:
        properties["requested_access_token_version"] = 2
    return properties


def _required_resource_access(scopes: Sequence[str]) -> list[dict[str, Any]]:
    if not scopes:
        return []
    return [
        {
            "resource_app_id": MICROSOFT_GRAPH_APP_ID,
            "resource_access": [{"id": GRAPH_DELEGATED_SCOPES[name], "type": "Scope"} for name in scopes],
        }
    ]


def _scope_names(application: ApplicationInfo) -> list[str]:
    """The app's required permissions as input-style names; anything else as resourceAppId/id/type."""
    by_id = {scope_id: name for name, scope_id in GRAPH_DELEGATED_SCOPES.items()}
    names = []
    for resource in application["required_resource_access"]:
        on_graph = resource["resource_app_id"] == MICROSOFT_GRAPH_APP_ID
        for access in resource["resource_access"]:
            raw = f"{resource['resource_app_id']}/{access['id']}/{access['type']}"
            known = on_graph and access["type"] == "Scope"
            names.append(by_id.get(access["id"].lower(), raw) if known else raw)
    return names


def _check(props: Mapping[str, Any]) -> None:
    require_strings("Entra application", props, ("tenant_id", "display_name", "sign_in_audience"))
    if props["sign_in_audience"] not in SIGN_IN_AUDIENCES:
        raise ValueError(f"Entra application: sign_in_audience must be one of {SIGN_IN_AUDIENCES}")
    uris = props.get("redirect_uris")
    if not isinstance(uris, (list, tuple)) or not uris or not all(isinstance(u, str) and u for u in uris):
        raise ValueError("Entra application: redirect_uris must be a non-empty list of URLs")
    unknown = [name for name in props.get("graph_scopes") or [] if name not in GRAPH_DELEGATED_SCOPES]
    if unknown:
        raise ValueError(f"Entra application: unknown Microsoft Graph scopes {unknown}")


def _inputs(props: Mapping[str, Any]) -> dict[str, Any]:
    return {key: props.get(key) for key in INPUT_KEYS}


def _outs(props: Mapping[str, Any], application: ApplicationInfo) -> dict[str, Any]:
    """Outputs as Graph has the application: what `diff` compares the spec against."""
    return {
        "tenant_id": props["tenant_id"],
        "display_name": application["display_name"],
        "sign_in_audience": application["sign_in_audience"],
        "redirect_uris": list(application["redirect_uris"]),
        "id_token_claims": [
            {
                "name": claim["name"],
                "essential": bool(claim.get("essential", False)),
                "additional_properties": list(claim.get("additional_properties") or []),
            }
            for claim in application["id_token_claims"]
        ],
        "group_membership_claims": application["group_membership_claims"],
        "graph_scopes": _scope_names(application),
        "object_id": application["object_id"],
        "app_id": application["app_id"],
        "created_at": application["created_date_time"],
    }


class EntraApplication(Resource, module="entra", name="Application"):
    """One app registration. Its resource id is the application's object ID."""

    tenant_id: pulumi.Output[str]
    display_name: pulumi.Output[str]
    sign_in_audience: pulumi.Output[str]
    redirect_uris: pulumi.Output[list[str]]
    id_token_claims: pulumi.Output[list[dict[str, Any]]]
    group_membership_claims: pulumi.Output[str | None]
    graph_scopes: pulumi.Output[list[str]]
    object_id: pulumi.Output[str]
    app_id: pulumi.Output[str]
    """The application (client) ID."""
    created_at: pulumi.Output[str]

    def __init__(
        self, resource_name: str, args: EntraApplicationArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        props: dict[str, Any] = {
            "tenant_id": args.tenant_id,
            "display_name": args.display_name,
            "sign_in_audience": args.sign_in_audience,
            "redirect_uris": args.redirect_uris,
            "id_token_claims": [dict(claim) for claim in args.id_token_claims],
            "group_membership_claims": args.group_membership_claims,
            "graph_scopes": list(args.graph_scopes),
        }
        props.update(dict.fromkeys(OUTPUT_KEYS))
        props[ADOPT_KEY] = args.adopt_app_id
        super().__init__(_EntraApplicationProvider(), resource_name, props, opts)
