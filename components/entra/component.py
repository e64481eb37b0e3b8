"""EntraApp: an organization's Microsoft side of SSO, what the Entra ID OIDC and Microsoft OAuth
manual guides have you click.

    EntraApp(spec.name, spec, broker_redirect_uri, opts=ResourceOptions(parent=organization))

Children (all `parent=self`):

- one `EntraDirectoryObject` per group named in `identityProvider.assignments.groups` or in
  `roleMappings`, and per user in `identityProvider.assignments.users`: each name looked up once,
  before the app registration is created, so a misspelt name fails without leaving an app behind;
- `EntraApplication`: the app registration. Display name = the organization's displayName;
  Web redirect URIs = the broker's callback, then `extraRedirectUris`; supported account types
  = single tenant, multitenant (`multiTenant`), or personal Microsoft accounts only (Microsoft
  OAuth); the optional ID-token claims of `optionalClaims`, with the Microsoft Graph delegated
  permissions openid, profile and email that the portal's "Turn on the Microsoft Graph email,
  profile permission" adds; and the groups claim of `groupsClaim` (see below);
- `EntraClientSecret`: the secret the broker uses, rotated by `clientSecret` (the secret policy);
  or, with `clientAuthentication.method: privateKeyJwt`, `EntraKeyCredential` instead: the
  broker's signing certificate registered on the app, and no secret at all;
- Entra ID only: `EntraEnterpriseApp`, the service principal, with `assignmentRequired`, and one
  `EntraAssignment` per assigned group and user (default access). Microsoft OAuth signs in
  personal accounts, which are not in the tenant: there is nobody to assign.
- Entra ID with `roleSource: appRoles` only: one `EntraAppRole` per broker role in `roleMappings`
  (value = the role), each mapped group assigned to its role instead of default access, and
  `connection_info` naming the `roles` claim with the role values: the broker maps roles, not
  group object IDs, and tokens are not subject to group overage.
- Entra ID only, unless `adminConsent` is false: `EntraAdminConsent`, tenant-wide consent for
  exactly the Graph permissions the app requests, so tenants that block user consent let users
  sign in. With admin consent the app always requests openid, profile and email (the scopes the
  broker asks for), even with no optional claims: a grant covers only what the app requests.

The groups claim. The portal's "Add groups claim" writes two things, and so does this component:
`groupMembershipClaims` set to the chosen group types (for "Groups assigned to the application",
`ApplicationGroup`), and an optional claim `groups` on the ID token with no additional
properties, which is the portal's default "Group ID" format (object IDs, the values the broker
maps to roles). The portal adds the same entry to the access and SAML tokens; the broker reads
only the ID token, so only that one is managed here. `groupsClaim: None` sets neither.

`connection_info` is what the broker needs: kind "entra" or "microsoft", the client ID, the client
secret (a Pulumi secret), the discovery URL (`{login}/{tenant}/v2.0/.well-known/openid-configuration`
with login `SSOPROV_ENTRA_LOGIN_URL` or https://login.microsoftonline.com, tenant the spec's
tenant, or `consumers` for Microsoft OAuth), each role-mapped group's object ID, the claim that
carries them (`groups`; none for Microsoft OAuth, nor with groupsClaim None or DirectoryRole,
which puts directory roles in `wids` instead), the token-endpoint auth method (client_secret_basic;
Entra accepts the form too), and the secret's expiry and rotate-by dates (YYYY-MM-DD, UTC).
`group_ids` holds the object ID of every group named in the spec.

Adopted (`spec.adoption`, written by `ssoprov adopt`): the app registration of
`adoption.clientId`, its service principal, its assignments and the password `adoption.secretId`
are recorded as Graph has them instead of created (each provider's adopt input; no write), and
protected against destroy until `adoption.allowDestroy`. What the spec cannot express is kept as
made: the app's Graph permissions (`adoption.graphScopes`), its ID-token claims
(`adoption.idTokenClaims`) and the admin consent's scopes (`adoption.adminConsentScopes`) replace
ours until the key is removed. The adopted password's value is unknown:
the broker keeps the secret it holds until the first rotation mints ours.

The component calls no API and imports no msgraph: the providers do, in their own process.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import pulumi

from ssoprov.brokers.base import BrokerKey
from ssoprov.clock import calendar_date
from ssoprov.entra import naming
from ssoprov.entra.admin_consent import EntraAdminConsent, EntraAdminConsentArgs
from ssoprov.entra.app_role import EntraAppRole, EntraAppRoleArgs
from ssoprov.entra.application import EntraApplication, EntraApplicationArgs
from ssoprov.entra.assignment import DEFAULT_APP_ROLE_ID, EntraAssignment, EntraAssignmentArgs
from ssoprov.entra.client_secret import EntraClientSecret, EntraClientSecretArgs
from ssoprov.entra.directory_object import EntraDirectoryObject, EntraDirectoryObjectArgs
from ssoprov.entra.enterprise_app import EntraEnterpriseApp, EntraEnterpriseAppArgs
from ssoprov.entra.key_credential import EntraKeyCredential, EntraKeyCredentialArgs
from ssoprov.identity import IdpConnectionInfo
from ssoprov.spec.models import EntraIdp, MicrosoftIdp, OrganizationSpec, as_made
from ssoprov.token_endpoint_auth import CLIENT_SECRET_BASIC, PRIVATE_KEY_JWT

LOGIN_URL_ENV = "SSOPROV_ENTRA_LOGIN_URL"
LOGIN_URL = "https://login.microsoftonline.com"
PERSONAL_ACCOUNTS_TENANT = "consumers"
GRAPH_SCOPES_FOR_CLAIMS = ("openid", "profile", "email")
"""What "Turn on the Microsoft Graph email, profile permission" grants along with optional claims."""
GROUPS_CLAIM = "groups"
"""The ID-token claim Entra puts group object IDs in (SecurityGroup, All, ApplicationGroup)."""
ROLES_CLAIM = "roles"
"""The ID-token claim Entra puts the values of the user's app roles in."""

GROUPS_KEY = "identityProvider.assignments.groups"
USERS_KEY = "identityProvider.assignments.users"
MAPPINGS_KEY = "roleMappings"


def login_url() -> str:
    """Entra's sign-in host: `SSOPROV_ENTRA_LOGIN_URL` (the sandbox), else the real one."""
    return (os.environ.get(LOGIN_URL_ENV) or LOGIN_URL).rstrip("/")


def discovery_url(tenant: str) -> str:
    return f"{login_url()}/{tenant}/v2.0/.well-known/openid-configuration"


def secret_display_name(spec: OrganizationSpec) -> str:
    """The secret's description in the portal: which tool made it, for which organization."""
    return f"ssoprov: {spec.name} SSO broker"


def sign_in_audience(idp: EntraIdp | MicrosoftIdp) -> str:
    if isinstance(idp, MicrosoftIdp):
        return "PersonalMicrosoftAccount"
    return "AzureADMultipleOrgs" if idp.multi_tenant else "AzureADMyOrg"


def graph_scopes(idp: EntraIdp | MicrosoftIdp) -> list[str]:
    """The Microsoft Graph delegated permissions the app requests (and admin consent grants)."""
    consented = isinstance(idp, EntraIdp) and idp.admin_consent
    return list(GRAPH_SCOPES_FOR_CLAIMS) if idp.optional_claims or consented else []


def id_token_claims(idp: EntraIdp | MicrosoftIdp) -> list[dict[str, Any]]:
    return claims_for(idp.optional_claims, idp.groups_claim if isinstance(idp, EntraIdp) else "None")


def claims_for(optional_claims: Sequence[str], groups_claim: str) -> list[dict[str, Any]]:
    """The optional ID-token claims ssoprov sets for the spec's `optionalClaims` and `groupsClaim`
    (adoption compares an app made by hand with them)."""
    names = list(dict.fromkeys(optional_claims))
    if groups_claim != "None":
        names.append(GROUPS_CLAIM)  # Group ID format: the portal's default, no additional properties
    return [{"name": name, "essential": False, "additional_properties": []} for name in names]


Principal = tuple[str, str, EntraDirectoryObject, pulumi.Input[str]]
"""(resource name, spec name, lookup, app role id) of one user or group to assign."""


def directory_lookups(
    spec: OrganizationSpec, opts: pulumi.ResourceOptions
) -> tuple[dict[str, EntraDirectoryObject], dict[str, EntraDirectoryObject]]:
    """One lookup per group named in `identityProvider.assignments.groups` or `roleMappings`, and per
    user in `identityProvider.assignments.users`, by spec name: each name looked up once, before the
    app is made, so a misspelt name fails without leaving an app behind."""
    idp, org = spec.identity_provider, spec.name
    tenant = idp.tenant_id if isinstance(idp, (EntraIdp, MicrosoftIdp)) else ""
    groups: dict[str, str] = {}  # spec name -> stack key of its first mention
    users: list[str] = []
    if isinstance(idp, EntraIdp):
        for group in idp.assignments.groups:
            groups.setdefault(group, GROUPS_KEY)
        users = list(idp.assignments.users)  # the spec lists each once
    for mapping in spec.role_mappings:
        groups.setdefault(mapping.group, MAPPINGS_KEY)
    group_lookups = {
        group: EntraDirectoryObject(
            naming.group_name(org, group),
            EntraDirectoryObjectArgs(tenant_id=tenant, kind="group", spec_name=group, stack_key=key),
            opts=opts,
        )
        for group, key in groups.items()
    }
    user_lookups = {
        user: EntraDirectoryObject(
            naming.user_name(org, user),
            EntraDirectoryObjectArgs(tenant_id=tenant, kind="user", spec_name=user, stack_key=USERS_KEY),
            opts=opts,
        )
        for user in users
    }
    return group_lookups, user_lookups


def assign(
    tenant: str,
    service_principal_id: pulumi.Input[str],
    principals: list[Principal],
    *,
    adopt: bool,
    opts: pulumi.ResourceOptions,
) -> list[EntraAssignment]:
    """One `EntraAssignment` per principal to the enterprise application `service_principal_id`."""
    return [
        EntraAssignment(
            resource_name,
            EntraAssignmentArgs(
                tenant_id=tenant,
                service_principal_id=service_principal_id,
                principal_id=lookup.id,
                principal_name=principal,
                adopt=adopt,
                app_role_id=app_role_id,
            ),
            opts=opts,
        )
        for resource_name, principal, lookup, app_role_id in principals
    ]


class EntraApp(pulumi.ComponentResource):
    """The app registration of one organization, its secret, enterprise app and assignments."""

    connection_info: IdpConnectionInfo
    group_ids: dict[str, pulumi.Output[str]]
    """Object ID of every group named in the spec (assigned or role-mapped), by spec name."""
    assigned_group_ids: dict[str, pulumi.Output[str]]
    """Object ID of every group in `identityProvider.assignments.groups`, by spec name."""

    def __init__(
        self,
        name: str,
        spec: OrganizationSpec,
        redirect_uri: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
        *,
        broker_key: BrokerKey | None = None,
    ) -> None:
        """`broker_key`: the broker's signing key, for a secretless organization (privateKeyJwt)."""
        super().__init__("ssoprov:entra:EntraApp", name, None, opts)
        idp = spec.identity_provider
        if not isinstance(idp, (EntraIdp, MicrosoftIdp)):
            raise TypeError(f"EntraApp needs an Entra ID or Microsoft identity provider, not {idp.kind!r}")
        tenant = idp.tenant_id
        org = spec.name
        child = pulumi.ResourceOptions(parent=self)
        adoption = spec.adoption
        # What existed before adoption is protected from a mistaken destroy; lookups create nothing.
        owned = pulumi.ResourceOptions(
            parent=self, protect=adoption is not None and not adoption.allow_destroy
        )
        # -- directory lookups first: a name that matches nothing fails before the app exists ---
        self.groups, self.users = directory_lookups(spec, child)
        users = list(self.users)
        lookups: list[pulumi.Resource] = [*self.groups.values(), *self.users.values()]

        # -- the app registration -------------------------------------------------------------
        groups_claim = idp.groups_claim if isinstance(idp, EntraIdp) else "None"
        self.application = EntraApplication(
            naming.application_name(org),
            EntraApplicationArgs(
                tenant_id=tenant,
                display_name=spec.display_name,
                sign_in_audience=sign_in_audience(idp),
                redirect_uris=pulumi.Output.from_input(redirect_uri).apply(
                    lambda uri: list(dict.fromkeys([uri, *idp.extra_redirect_uris]))
                ),
                id_token_claims=as_made(adoption, "id_token_claims", id_token_claims(idp)),
                group_membership_claims=None if groups_claim == "None" else groups_claim,
                graph_scopes=as_made(adoption, "graph_scopes", graph_scopes(idp)),
                adopt_app_id=adoption.client_id if adoption else None,
            ),
            opts=pulumi.ResourceOptions.merge(owned, pulumi.ResourceOptions(depends_on=lookups)),
        )
        # The application's resource id is its object ID. Dependents take it rather than an
        # output: an id stays known while an update of the app is previewed, outputs do not.
        application_id = self.application.id

        self.app_roles: dict[str, EntraAppRole] = {}
        if isinstance(idp, EntraIdp) and idp.uses_app_roles:
            self.app_roles = {
                role: EntraAppRole(
                    naming.app_role_name(org, role),
                    EntraAppRoleArgs(
                        tenant_id=tenant,
                        application_object_id=application_id,
                        value=role,
                        display_name=role,
                        description=f"Broker role {role} ({secret_display_name(spec)})",
                    ),
                    opts=child,
                )
                for role in dict.fromkeys(m.role for m in spec.role_mappings)
            }

        self.client_secret: EntraClientSecret | None = None
        self.key_credential: EntraKeyCredential | None = None
        if broker_key is not None:
            self.key_credential = EntraKeyCredential(
                naming.key_credential_name(org),
                EntraKeyCredentialArgs(
                    tenant_id=tenant,
                    application_object_id=application_id,
                    certificates=broker_key.certificates,
                    display_name=secret_display_name(spec),
                ),
                opts=child,
            )
        else:
            policy = spec.client_secret
            self.client_secret = EntraClientSecret(
                naming.client_secret_name(org),
                EntraClientSecretArgs(
                    tenant_id=tenant,
                    application_object_id=application_id,
                    display_name=secret_display_name(spec),
                    lifetime_days=policy.lifetime_days,
                    rotate_after_days=policy.rotate_after_days,
                    rotate_before_expiry_days=policy.rotate_before_expiry_days,
                    adopt_secret_id=adoption.secret_id if adoption else None,
                ),
                opts=child,
            )

        # -- Entra ID only: the enterprise application and who is assigned to it -----------------
        self.enterprise_app: EntraEnterpriseApp | None = None
        self.admin_consent: EntraAdminConsent | None = None
        self.assignments: list[EntraAssignment] = []
        if isinstance(idp, EntraIdp):
            self.enterprise_app = EntraEnterpriseApp(
                naming.enterprise_app_name(org),
                EntraEnterpriseAppArgs(
                    tenant_id=tenant,
                    application_object_id=application_id,
                    app_id=self.application.app_id,
                    assignment_required=idp.assignment_required,
                    adopt=adoption is not None,
                ),
                opts=owned,
            )
            if idp.admin_consent:
                self.admin_consent = EntraAdminConsent(
                    naming.admin_consent_name(org),
                    EntraAdminConsentArgs(
                        tenant_id=tenant,
                        client_service_principal_id=self.enterprise_app.id,
                        scopes=as_made(adoption, "admin_consent_scopes", sorted(graph_scopes(idp))),
                    ),
                    opts=child,
                )
            self.assignments = assign(
                tenant,
                self.enterprise_app.id,
                self._principals(spec, idp, users),
                adopt=adoption is not None,
                opts=owned,
            )

        self.group_ids = {group: lookup.id for group, lookup in self.groups.items()}
        assigned = idp.assignments.groups if isinstance(idp, EntraIdp) else []
        if isinstance(idp, EntraIdp) and idp.uses_app_roles:
            assigned = [*assigned, *(m.group for m in spec.role_mappings)]
        self.assigned_group_ids = {group: self.group_ids[group] for group in dict.fromkeys(assigned)}
        self.connection_info = IdpConnectionInfo(
            kind=idp.kind,
            client_id=self.application.app_id,
            client_secret=None
            if self.client_secret is None
            else pulumi.Output.secret(self.client_secret.client_secret),
            discovery_url=pulumi.Output.from_input(
                discovery_url(PERSONAL_ACCOUNTS_TENANT if isinstance(idp, MicrosoftIdp) else tenant)
            ),
            group_claim_values=self._claim_values(spec, idp),
            groups_claim=_claim_name(idp),
            # Entra's token endpoint takes a confidential web app's secret either way (Basic header
            # or form); an app registration records no method. Basic is OpenID Connect's default.
            token_endpoint_auth_method=CLIENT_SECRET_BASIC
            if self.key_credential is None
            else PRIVATE_KEY_JWT,
            secret_expires_at=None
            if self.client_secret is None
            else self.client_secret.expires_at.apply(calendar_date),
            secret_rotate_by=None if self.client_secret is None else self.client_secret.rotate_by,
            trust=[] if self.key_credential is None else [self.key_credential],
        )
        self.register_outputs(
            {
                "applicationObjectId": application_id,
                "clientId": self.connection_info.client_id,
                "discoveryUrl": self.connection_info.discovery_url,
                "secretKeyId": None if self.client_secret is None else self.client_secret.key_id,
                "brokerCertificateKeyId": None if self.key_credential is None else self.key_credential.key_id,
                "secretExpiresAt": self.connection_info.secret_expires_at,
                "secretRotateBy": self.connection_info.secret_rotate_by,
                "groupIds": self.group_ids,
            }
        )

    def _principals(self, spec: OrganizationSpec, idp: EntraIdp, users: list[str]) -> list[Principal]:
        """(resource name, spec name, lookup, app role id) of each principal to assign: the assigned
        groups and users with default access; with app roles, each mapped group to its role."""
        org = spec.name
        role_of = {m.group: m.role for m in spec.role_mappings} if idp.uses_app_roles else {}
        groups = dict.fromkeys([*idp.assignments.groups, *role_of])
        return [
            (
                naming.group_assignment_name(org, group),
                group,
                self.groups[group],
                self.app_roles[role_of[group]].role_id if group in role_of else DEFAULT_APP_ROLE_ID,
            )
            for group in groups
        ] + [
            (naming.user_assignment_name(org, user), user, self.users[user], DEFAULT_APP_ROLE_ID)
            for user in users
        ]

    def _claim_values(
        self, spec: OrganizationSpec, idp: EntraIdp | MicrosoftIdp
    ) -> dict[str, pulumi.Output[str]]:
        """What the broker matches for each mapped group: with app roles the role's value (the
        group is assigned to it), else the group's object ID."""
        if isinstance(idp, EntraIdp) and idp.uses_app_roles:
            return {m.group: pulumi.Output.from_input(m.role) for m in spec.role_mappings}
        return {m.group: self.group_ids[m.group] for m in spec.role_mappings}


def _claim_name(idp: EntraIdp | MicrosoftIdp) -> str | None:
    """The ID-token claim the broker reads: `roles` with app roles, `groups` with group IDs."""
    if not isinstance(idp, EntraIdp):
        return None
    if idp.uses_app_roles:
        return ROLES_CLAIM
    return GROUPS_CLAIM if idp.sends_group_ids else None
