"""Read an Entra ID app registration made by hand (with its enterprise application, assignments
and client secret) into spec keys, plus the extras the spec cannot express. An app for personal
Microsoft accounts (audience PersonalMicrosoftAccount) reads as Microsoft OAuth (kind microsoft):
the registration, its permissions and its secret; it has no assignments nor admin consent.

One reader per Entra object kind, each filling its part of the reading; a new resource kind
(app roles, say) plugs in as one more reader in `READERS`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, get_args

from ssoprov.entra.application import GRAPH_DELEGATED_SCOPES, MICROSOFT_GRAPH_APP_ID
from ssoprov.entra.component import GRAPH_SCOPES_FOR_CLAIMS, claims_for
from ssoprov.entra.graph_client import (
    DEFAULT_APP_ROLE_ID,
    ApplicationInfo,
    GraphClient,
    graph_client_from_env,
)
from ssoprov.errors import ProvisionerError
from ssoprov.spec.models import GraphScope, KeptIdTokenClaim

OPTIONAL_CLAIMS = ("email", "given_name", "family_name")
AUDIENCES = {"AzureADMyOrg": False, "AzureADMultipleOrgs": True}
"""Audience -> the spec's multiTenant, for Entra ID apps (kind entra)."""
PERSONAL_ACCOUNTS = "PersonalMicrosoftAccount"
"""The audience of a Microsoft OAuth app (kind microsoft): personal accounts only, no directory."""


@dataclass
class EntraReading:
    """One hand-made Entra app as spec keys (`identity_provider`), plus what adoption records."""

    tenant_id: str
    client_id: str
    broker_redirect_uri: str
    application: ApplicationInfo
    identity_provider: dict[str, Any] = field(default_factory=dict)
    display_name: str = ""
    secret_id: str | None = None
    kept: dict[str, Any] = field(default_factory=dict)
    """`adoption` keys holding what the spec cannot express, kept as made so adopting rewrites
    nothing: graphScopes (a portal-made app has User.Read), idTokenClaims, adminConsentScopes."""
    extras: list[str] = field(default_factory=list)

    @property
    def personal_accounts(self) -> bool:
        """A Microsoft OAuth app (personal accounts), known once the registration is read."""
        return self.identity_provider.get("kind") == "microsoft"


Reader = Callable[[GraphClient, EntraReading], Awaitable[None]]


async def _registration(client: GraphClient, reading: EntraReading) -> None:
    """The app registration: audience, redirect URIs, ID-token claims, groups claim."""
    app = reading.application
    audience = app["sign_in_audience"]
    if audience not in AUDIENCES and audience != PERSONAL_ACCOUNTS:
        raise ProvisionerError(
            f"Entra: adopting application {reading.client_id}: its audience is {audience}, and ssoprov "
            f"adopts single- and multi-tenant apps and personal-account ({PERSONAL_ACCOUNTS}) apps. Fix: "
            "leave this one unmanaged"
        )
    uris = list(app["redirect_uris"])
    if reading.broker_redirect_uri not in uris:
        raise ProvisionerError(
            f"Entra: adopting application {reading.client_id}: its redirect URIs {uris} lack the broker's "
            f"callback {reading.broker_redirect_uri}, so it is not this connection's app. Fix: check the "
            "client ID in the broker connection"
        )
    groups_claim = app["group_membership_claims"] or "None"
    reading.display_name = app["display_name"] or reading.client_id
    reading.identity_provider.update(
        kind="entra",
        tenantId=reading.tenant_id,
        extraRedirectUris=[uri for uri in uris if uri != reading.broker_redirect_uri],
        optionalClaims=[c["name"] for c in app["id_token_claims"] if c["name"] in OPTIONAL_CLAIMS],
    )
    personal = audience == PERSONAL_ACCOUNTS
    if personal:
        reading.identity_provider["kind"] = "microsoft"  # no directory: no groups, no assignments
    else:
        reading.identity_provider.update(multiTenant=AUDIENCES[audience], groupsClaim=groups_claim)
    as_made = [
        {
            "name": claim["name"],
            "essential": bool(claim.get("essential")),
            "additional_properties": list(claim.get("additional_properties") or []),
        }
        for claim in app["id_token_claims"]
    ]
    ours = claims_for(reading.identity_provider["optionalClaims"], "None" if personal else groups_claim)
    if as_made != ours:  # e.g. upn, or groups as sAMAccountName: beyond optionalClaims and groupsClaim
        reading.kept["idTokenClaims"] = [
            KeptIdTokenClaim.model_validate(claim).model_dump(by_alias=True) for claim in as_made
        ]
        reading.extras.append(
            f"Entra ID-token claims {[c['name'] for c in as_made]}: kept as made (adoption.idTokenClaims)"
        )


def _scopes(app: ApplicationInfo) -> list[str]:
    """The app's permissions in its order (as its `graph_scopes` reads back): Microsoft Graph's
    delegated scopes by name, anything else by id."""
    names = {scope_id: name for name, scope_id in GRAPH_DELEGATED_SCOPES.items()}
    found = (
        names.get(access["id"].lower(), access["id"])
        for resource in app["required_resource_access"]
        for access in resource["resource_access"]
    )
    return list(dict.fromkeys(found))


async def _enterprise_app(client: GraphClient, reading: EntraReading) -> None:
    """The service principal and who is assigned to it (groups by display name, users by UPN)."""
    if reading.personal_accounts:
        return  # Microsoft OAuth: anyone with a personal account signs in; nothing is assigned
    service_principal = await client.get_service_principal_by_app_id(reading.client_id)
    groups, users = [], []
    for assignment in await client.list_assignments(service_principal["object_id"]):
        if assignment["app_role_id"] != DEFAULT_APP_ROLE_ID:
            reading.extras.append(
                f"Entra assignment of {assignment['principal_display_name']} to app role "
                f"{assignment['app_role_id']}: kept, not managed (app roles are not adopted)"
            )
        elif assignment["principal_type"] == "Group":
            groups.append(assignment["principal_display_name"] or assignment["principal_id"])
        elif assignment["principal_type"] == "User":
            users.append(await client.user_principal_name(assignment["principal_id"]))
        else:
            reading.extras.append(
                f"Entra assignment of {assignment['principal_display_name']}: kept, not managed"
            )
    reading.identity_provider["assignmentRequired"] = service_principal["app_role_assignment_required"]
    reading.identity_provider["assignments"] = {"groups": groups, "users": users}


async def _admin_consent(client: GraphClient, reading: EntraReading) -> None:
    """Tenant-wide consent as the admin left it: with a grant for Microsoft Graph, the spec's
    default (`adminConsent: true`) records it; without one, `adminConsent: false`, so adopting
    consents to nothing. Then the permissions the spec requests must be the app's (Microsoft
    OAuth: each user consents for themselves, so only the permissions are compared)."""
    grant = None
    if not reading.personal_accounts:
        service_principal = await client.get_service_principal_by_app_id(reading.client_id)
        graph = await client.get_service_principal_by_app_id(MICROSOFT_GRAPH_APP_ID)
        grant = await client.find_admin_consent(service_principal["object_id"], graph["object_id"])
        reading.identity_provider["adminConsent"] = grant is not None
    consented = grant is not None
    app = reading.application
    wanted = list(GRAPH_SCOPES_FOR_CLAIMS) if reading.identity_provider["optionalClaims"] or consented else []
    scopes = _scopes(app)
    foreign = [
        f"{resource['resource_app_id']}/{access['id']}"
        for resource in app["required_resource_access"]
        for access in resource["resource_access"]
        if resource["resource_app_id"] != MICROSOFT_GRAPH_APP_ID or access["type"] != "Scope"
    ]
    unknown = [scope for scope in scopes if scope not in get_args(GraphScope)]
    if foreign or unknown:
        # The app resource manages Graph's delegated sign-in scopes only: it could not keep these.
        raise ProvisionerError(
            f"Entra: adopting application {reading.client_id}: it requests API permissions "
            f"{foreign or unknown} that ssoprov cannot manage (it keeps Microsoft Graph's delegated "
            f"{list(get_args(GraphScope))}). Fix: remove them under API permissions if the sign-in does not "
            "need them, then adopt again; or leave this app unmanaged"
        )
    if scopes != wanted:
        reading.kept["graphScopes"] = scopes  # in the app's order: the resource compares lists
    if grant is not None and grant["scopes"] != sorted(wanted):
        reading.kept["adminConsentScopes"] = grant["scopes"]
        reading.extras.append(
            f"Entra admin consent for {grant['scopes']}: kept as granted (adoption.adminConsentScopes)"
        )


async def _client_secret(client: GraphClient, reading: EntraReading) -> None:
    """The password the broker most likely holds: the one that expires last. The others are kept."""
    passwords = sorted(
        await client.list_passwords(reading.application["object_id"]), key=lambda p: p["end_date_time"] or ""
    )
    if not passwords:
        raise ProvisionerError(
            f"Entra: adopting application {reading.client_id}: it has no client secret, so the broker cannot "
            "be signing in with one. Fix: check the client ID in the broker connection"
        )
    reading.secret_id = passwords[-1]["key_id"]
    reading.extras += [
        f"Entra client secret {p['key_id']} ({p['display_name']!r}): kept, not managed"
        for p in passwords[:-1]
    ]


READERS: Sequence[Reader] = (_registration, _enterprise_app, _admin_consent, _client_secret)
"""Each reads one kind of Entra object into the reading; order matters only for error messages."""


async def read_entra_app(tenant_id: str, client_id: str, broker_redirect_uri: str) -> EntraReading:
    client = graph_client_from_env(tenant_id)
    application = await client.find_application_by_app_id(client_id)
    if application is None:
        raise ProvisionerError(
            f"Entra: adopting application with client ID {client_id} in tenant {tenant_id}: it does not "
            "exist. Fix: take the client ID from the broker connection (or the app's Overview page)"
        )
    reading = EntraReading(tenant_id, client_id, broker_redirect_uri, application)
    for reader in READERS:
        await reader(client, reading)
    return reading


async def group_names(tenant_id: str, object_ids: Sequence[str]) -> dict[str, str]:
    """Display names of the groups whose object ids the broker's mappers match, by object id."""
    client = graph_client_from_env(tenant_id)
    return {object_id: await client.group_display_name(object_id) for object_id in object_ids}
