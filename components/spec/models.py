"""Pydantic models of one organization's SSO setup, as written under `ssoprov:organization`.

Keys are camelCase in YAML (Pulumi's config convention) and snake_case in Python. Every
field's description says what is allowed; validation errors quote it as the fix.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

from ssoprov.okta.saml_profile import PROFILE_ATTRIBUTES as OKTA_SAML_PROFILE_ATTRIBUTES
from ssoprov.rotation import MAX_SECRET_LIFETIME_DAYS
from ssoprov.spec.fields import (
    MAX_LIST_LENGTH,
    ClaimName,
    DiscoveryUrl,
    DisplayText,
    HttpsUrl,
    OidcClaimName,
    SamlEntityId,
    Slug,
    TenantId,
    WorkosConnectionId,
    WorkosOrganizationId,
)
from ssoprov.spec.problems import Violation, broken_rules
from ssoprov.token_endpoint_auth import TokenEndpointAuthMethod


def _written(model: BaseModel, field: str) -> str:
    """A field's value as a message shows it: a default the stack file does not write is named one,
    or the user looks for a value they never wrote."""
    value = getattr(model, field)
    return str(value) if field in model.model_fields_set else f"{value} (the default)"


class SpecModel(BaseModel):
    # strict: a number is never read from text ("365"), nor a boolean from a number (1).
    # defer_build: validating an OrganizationSpec builds the one validator it needs, holding every
    # nested model; building each model's own at import cost the program about 0.1 s of CPU per
    # stack (measured), spent in every stack of a fleet.
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        strict=True,
        defer_build=True,
    )


IdTokenClaim = Literal["email", "given_name", "family_name"]
GraphScope = Literal["openid", "profile", "email", "User.Read"]
"""The Microsoft Graph delegated permissions an app of ours may request (entra.application knows their
ids): the three the broker's sign-in asks for, and User.Read, which the portal gives every new app."""

EXTRA_REDIRECT_URIS = Field(
    default_factory=list,
    max_length=20,
    description="https:// URLs (http:// only for localhost) besides the broker's callback, 20 at most",
)
EntraGroupsClaim = Literal["ApplicationGroup", "SecurityGroup", "All", "DirectoryRole", "None"]
ENTRA_GROUP_ID_CLAIMS = ("ApplicationGroup", "SecurityGroup", "All")
"""The groupsClaim values that put group object IDs in Entra's `groups` claim. DirectoryRole puts
directory role template IDs in `wids` and sends no `groups` claim; None sends neither."""


class SecretPolicy(SpecModel):
    lifetime_days: int = Field(
        365, ge=1, le=MAX_SECRET_LIFETIME_DAYS, description="a whole number of days from 1 to 730 (two years)"
    )
    rotate_after_days: int = Field(
        180, ge=1, description="days after creation at which a scheduled run replaces the secret"
    )
    rotate_before_expiry_days: int = Field(
        30, ge=0, description="days before expiry at which a scheduled run replaces the secret at the latest"
    )

    @model_validator(mode="after")
    def _rotation_before_expiry(self) -> SecretPolicy:
        found = []
        lifetime = _written(self, "lifetime_days")
        if self.rotate_after_days >= self.lifetime_days:
            found.append(
                Violation(
                    ("rotateAfterDays",),
                    f"is {_written(self, 'rotate_after_days')}, not shorter than lifetimeDays ({lifetime}), "
                    "so the secret would expire before it is rotated",
                    "make rotateAfterDays smaller than lifetimeDays",
                )
            )
        if self.rotate_before_expiry_days >= self.lifetime_days:
            found.append(
                Violation(
                    ("rotateBeforeExpiryDays",),
                    f"is {_written(self, 'rotate_before_expiry_days')}, "
                    f"not shorter than lifetimeDays ({lifetime})",
                    "make rotateBeforeExpiryDays smaller than lifetimeDays",
                )
            )
        if found:
            raise broken_rules(found)
        return self


MAX_CERTIFICATE_LEAD_DAYS = 365
"""A rollover lead of a year at most: a new certificate (valid ten years) is never due at once."""
MAX_KEY_AGE_DAYS = 3650
"""Ten years: as long as Keycloak's generated certificates are valid."""

ClientAuthenticationMethod = Literal["clientSecret", "privateKeyJwt"]


class ClientAuthentication(SpecModel):
    """How the broker proves itself at the identity provider's token endpoint."""

    method: ClientAuthenticationMethod = Field(
        "clientSecret",
        description="clientSecret (the IdP app's client secret, rotated per clientSecret) or privateKeyJwt "
        "(the broker signs with its realm key, which the IdP app trusts; no secret exists)",
    )
    key_rotate_after_days: int = Field(
        365,
        ge=1,
        le=MAX_KEY_AGE_DAYS,
        description="a whole number of days from 1 to 3650: how old the realm key's certificate (from its "
        "notBefore) may grow before `ssoprov rotate` rotates it (privateKeyJwt; the realm's organizations "
        "share the key, and the earliest date any of them asks for counts)",
    )
    key_rotate_before_expiry_days: int = Field(
        30,
        ge=1,
        le=MAX_CERTIFICATE_LEAD_DAYS,
        description="a whole number of days from 1 to 365: how long before the realm key's certificate "
        "expires (notAfter) `ssoprov rotate` rotates it at the latest (privateKeyJwt)",
    )

    @property
    def secretless(self) -> bool:
        return self.method == "privateKeyJwt"


class EntraAssignments(SpecModel):
    groups: list[DisplayText] = Field(
        default_factory=list,
        max_length=MAX_LIST_LENGTH,
        description="display names of the tenant's groups to assign, 500 at most",
    )
    users: list[DisplayText] = Field(
        default_factory=list,
        max_length=MAX_LIST_LENGTH,
        description="user principal names (alice@contoso.com) to assign, 500 at most",
    )


NameIdFormat = Literal["emailAddress", "persistent", "unspecified", "transient"]


class SamlSettings(SpecModel):
    """What a SAML connection needs besides the broker's side (its entity ID and ACS URL)."""

    name_id_format: NameIdFormat = Field(
        "emailAddress",
        description="the assertion's NameID format: emailAddress, persistent, unspecified or transient",
    )
    groups_attribute: OktaGroupsClaim = Field(
        default_factory=lambda: OktaGroupsClaim(),
        description="Okta only: the group attribute statement, a mapping with name, filterType and value "
        "(Entra ID sends its own groups attribute, chosen by groupsClaim)",
    )
    rotate_before_expiry_days: int = Field(
        30,
        ge=1,
        le=MAX_CERTIFICATE_LEAD_DAYS,
        description="a whole number of days from 1 to 365: how long before the IdP signing "
        "certificate's expiry a run rolls it over",
    )


class ProtocolChoice(SpecModel):
    """The protocol of the connection. SAML is deployed for Okta and Entra ID, brokered by Keycloak or
    by WorkOS (a connection made in its dashboard: `WorkosSamlConnection`); `_saml_not_built` refuses
    every other combination, saying what to use instead."""

    protocol: Literal["oidc", "saml"] = Field("oidc", description="oidc (the default) or saml")
    saml: SamlSettings | None = Field(
        None, description="a mapping with nameIdFormat and groupsAttribute (with protocol saml)"
    )

    @property
    def uses_saml(self) -> bool:
        return self.protocol == "saml"


class EntraIdp(ProtocolChoice):
    """Entra ID OIDC: an app registration plus its enterprise application in the customer's tenant."""

    kind: Literal["entra"]
    tenant_id: TenantId = Field(description="the customer's tenant ID (GUID) or verified domain")
    multi_tenant: bool = Field(False, description="true to accept users from any Entra tenant")
    extra_redirect_uris: list[HttpsUrl] = EXTRA_REDIRECT_URIS
    optional_claims: list[IdTokenClaim] = Field(
        default_factory=lambda: ["email", "given_name", "family_name"],
        description="any of email, given_name, family_name",
    )
    groups_claim: EntraGroupsClaim = Field(
        "ApplicationGroup", description="one of ApplicationGroup, SecurityGroup, All, DirectoryRole, None"
    )
    assignment_required: bool = Field(True, description="true to let only assigned users and groups sign in")
    role_source: Literal["groups", "appRoles"] = Field(
        "groups",
        description="groups (the broker maps group object IDs in the groups claim) or appRoles (one app "
        "role per mapped broker role, mapped groups assigned to it, the broker maps the roles claim)",
    )
    admin_consent: bool = Field(
        True,
        description="true to grant tenant-wide admin consent for the Microsoft Graph permissions the app "
        "requests (openid, profile, email); false when the tenant's admins grant it themselves",
    )
    assignments: EntraAssignments = Field(
        default_factory=EntraAssignments, description="a mapping with groups and users lists"
    )

    @property
    def uses_app_roles(self) -> bool:
        """Whether roles come from app roles (the `roles` claim) rather than group object IDs."""
        return self.role_source == "appRoles"

    @property
    def sends_group_ids(self) -> bool:
        """Whether ID tokens carry the user's group object IDs (in the `groups` claim)."""
        return self.groups_claim in ENTRA_GROUP_ID_CLAIMS


class MicrosoftIdp(ProtocolChoice):
    """Microsoft OAuth ("Sign in with Microsoft"): personal Microsoft accounts, app in our own tenant."""

    kind: Literal["microsoft"]
    tenant_id: TenantId = Field(description="the tenant (GUID or domain) that hosts the app registration")
    extra_redirect_uris: list[HttpsUrl] = EXTRA_REDIRECT_URIS
    optional_claims: list[IdTokenClaim] = Field(
        default_factory=lambda: ["email", "given_name", "family_name"],
        description="any of email, given_name, family_name",
    )


class OktaGroupsClaim(SpecModel):
    """Okta's legacy groups claim: which of the user's groups (all of them, assigned or not) it carries."""

    name: ClaimName = Field("groups", description="a claim name of letters, digits and underscores")
    filter_type: Literal["regex", "starts_with", "equals", "contains"] = Field(
        "regex", description="one of regex, starts_with, equals, contains"
    )
    value: Annotated[str, Field(min_length=1, max_length=1024)] = Field(
        ".*", description="the filter value (a regular expression for regex)"
    )

    @model_validator(mode="after")
    def _regex_compiles(self) -> OktaGroupsClaim:
        if self.filter_type == "regex":
            try:
                re.compile(self.value)
            except re.error as exc:
                raise broken_rules(
                    [
                        Violation(
                            ("value",),
                            f"is not a valid regular expression ({exc})",
                            "write a valid regular expression, e.g. .* for all groups",
                        )
                    ]
                ) from None
        return self

    def lets_through(self, group: str) -> bool:
        """Whether Okta puts this group name in the claim (the Claims API's groupFilterType rules)."""
        match self.filter_type:
            case "regex":  # the whole name must match, case-sensitive
                return re.fullmatch(self.value, group) is not None
            case "starts_with":  # not case-sensitive, like equals and contains
                return group.lower().startswith(self.value.lower())
            case "equals":
                return group.lower() == self.value.lower()
            case "contains":
                return self.value.lower() in group.lower()

    def described(self) -> str:
        if self.filter_type == "regex":
            return f"regex {self.value!r}, which must match the whole group name, case-sensitive"
        return f"{self.filter_type} {self.value!r}, not case-sensitive"


class OktaIdp(ProtocolChoice):
    """Okta OIDC: a Web app in the customer's Okta org, limited to selected groups."""

    kind: Literal["okta"]
    org_url: HttpsUrl = Field(description="the customer's Okta org URL, e.g. https://acme.okta.com")
    groups: list[DisplayText] = Field(
        default_factory=list,
        max_length=MAX_LIST_LENGTH,
        description="exact names of the Okta groups allowed to sign in, 500 at most",
    )
    groups_claim: OktaGroupsClaim = Field(
        default_factory=OktaGroupsClaim, description="a mapping with name, filterType and value"
    )
    extra_redirect_uris: list[HttpsUrl] = EXTRA_REDIRECT_URIS


class OidcIdp(ProtocolChoice):
    """Generic OIDC: the customer's IT team hands over client ID, secret and discovery endpoint."""

    kind: Literal["oidc"]
    client_id: Annotated[str, Field(min_length=1, max_length=256)] = Field(
        description="the client ID the customer's IT team gave you"
    )
    discovery_url: DiscoveryUrl = Field(
        description="an https URL ending in /.well-known/openid-configuration"
    )
    groups_claim: OidcClaimName = Field(
        "groups",
        description="the name of the ID-token claim that lists the user's groups, e.g. groups "
        "(visible ASCII characters, no spaces)",
    )
    token_endpoint_auth_method: TokenEndpointAuthMethod | None = Field(
        None,
        description="client_secret_basic or client_secret_post, as the client is registered at the "
        "provider; leave it out for client_secret_basic (OpenID Connect's default) when the discovery "
        "document lists it, else client_secret_post",
    )


IdentityProvider = Annotated[EntraIdp | MicrosoftIdp | OktaIdp | OidcIdp, Field(discriminator="kind")]


class KeycloakBroker(SpecModel):
    kind: Literal["keycloak"]
    url: HttpsUrl = Field(description="Keycloak's base URL, e.g. https://sso.example.com")
    realm: Slug = Field(description="the realm that brokers this organization's logins")
    alias: Slug | None = Field(None, description="identity provider alias; defaults to the organization name")
    sync_mode: Literal["IMPORT", "FORCE", "LEGACY"] = Field(
        "FORCE", description="FORCE re-applies mapped roles at every login"
    )
    create_roles: bool = Field(True, description="create missing realm roles named in role mappings")


class WorkosSamlConnection(SpecModel):
    """A SAML connection made in the WorkOS dashboard, and the service-provider values it shows.

    WorkOS's API can create a SAML connection, but it picks the ACS URL and SP entity ID only then
    and returns neither (the Connection object has no such fields), while the IdP app needs both
    before the connection can name the app's metadata URL. So the connection is made by hand
    first, and the IdP app is made from what the dashboard shows."""

    connection_id: WorkosConnectionId = Field(
        description="the SAML connection's ID (conn_...) in the WorkOS dashboard"
    )
    acs_url: HttpsUrl = Field(description="the connection's ACS URL as shown in the WorkOS dashboard")
    sp_entity_id: SamlEntityId = Field(
        description="the connection's SP Entity ID as shown in the WorkOS dashboard (a URI)"
    )


class WorkosBroker(SpecModel):
    kind: Literal["workos"]
    organization_id: WorkosOrganizationId = Field(description="the WorkOS organization ID (org_...)")
    redirect_uri: HttpsUrl | None = Field(
        None,
        description="the OIDC connection's redirect URI as shown in the WorkOS dashboard",
    )
    saml: WorkosSamlConnection | None = Field(
        None,
        description="a mapping with connectionId, acsUrl and spEntityId of the SAML connection made in the "
        "WorkOS dashboard",
    )
    manual_steps_acknowledged: bool = Field(
        False,
        description="true once you accept finishing role mappings in the WorkOS dashboard by hand",
    )


Broker = Annotated[KeycloakBroker | WorkosBroker, Field(discriminator="kind")]


class RoleMapping(SpecModel):
    group: DisplayText = Field(description="the IdP group (display name for Entra, name for Okta)")
    role: DisplayText = Field(description="the broker role its members receive")


class KeptIdTokenClaim(SpecModel):
    """One optional ID-token claim of an Entra app as made by hand (`adoption.idTokenClaims`)."""

    name: Annotated[str, Field(min_length=1, max_length=256)] = Field(description="the claim's name")
    essential: bool = Field(False, description="the claim's essential flag")
    additional_properties: list[Annotated[str, Field(min_length=1, max_length=256)]] = Field(
        default_factory=list, max_length=20, description="its additional properties (sam_account_name, ...)"
    )


ConsentScope = Annotated[str, Field(min_length=1, max_length=256, pattern=r"^\S+$")]
"""One delegated permission name in an admin consent grant (a grant lists them space-separated)."""


class Adoption(SpecModel):
    """A connection made by hand and adopted (`ssoprov adopt`): what the spec keeps of it."""

    allow_destroy: bool = Field(
        False,
        description="true to let `pulumi destroy` (or removing a mapping) delete the adopted objects; "
        "until then Pulumi refuses",
    )
    mapper_names: dict[DisplayText, DisplayText] = Field(
        default_factory=dict,
        description="IdP group -> the name its broker mapper was given by hand (kept, not renamed)",
    )
    default_role_mapper_name: DisplayText | None = Field(
        None, description="the name the default-role mapper was given by hand"
    )
    client_id: Annotated[str, Field(min_length=1, max_length=256)] | None = Field(
        None, description="the adopted IdP app's client ID (Entra ID, Microsoft OAuth, Okta)"
    )
    secret_id: Annotated[str, Field(min_length=1, max_length=256)] | None = Field(
        None,
        description="the id of the client secret made by hand, kept in use until the first rotation",
    )
    broker_display_name: DisplayText | None = Field(
        None, description="the broker connection's display name when it differs from displayName"
    )
    app_name: DisplayText | None = Field(
        None, description="Okta: the app's label as made by hand, when it is not '<displayName> SSO'"
    )
    graph_scopes: list[GraphScope] | None = Field(
        None,
        description="Entra ID, Microsoft OAuth: the app's Microsoft Graph permissions as made by hand, when "
        "they are not the ones the spec requests (kept; remove the key to let `up` set them)",
    )
    id_token_claims: list[KeptIdTokenClaim] | None = Field(
        None,
        max_length=MAX_LIST_LENGTH,
        description="Entra ID, Microsoft OAuth: the app's optional ID-token claims as made by hand, when the "
        "spec cannot express them (kept; remove the key to let `up` set optionalClaims and groupsClaim's)",
    )
    admin_consent_scopes: list[ConsentScope] | None = Field(
        None,
        min_length=1,
        max_length=MAX_LIST_LENGTH,
        description="Entra ID: the admin consent's scopes as granted by hand, when they are not the ones "
        "ssoprov grants (kept; remove the key to let `up` consent to the permissions the app requests)",
    )
    issuer_mode: Literal["DYNAMIC", "CUSTOM_URL"] | None = Field(
        None,
        description="Okta: the app's issuer mode as made by hand, when it is not ORG_URL (kept; remove the "
        "key to let `up` set ORG_URL)",
    )
    connection_id: WorkosConnectionId | None = Field(
        None, description="WorkOS: the adopted connection's ID (conn_...)"
    )


Ours = TypeVar("Ours")


def as_made(adoption: Adoption | None, key: str, ours: Ours) -> Ours:
    """What a component sets for one property: the value adoption kept as made by hand
    (`adoption.<key>`, see `ssoprov adopt`), else ours. Kept models come back as plain mappings,
    as resource inputs want them."""
    kept: Any = getattr(adoption, key) if adoption is not None else None
    if kept is None:
        return ours
    if isinstance(kept, list):
        return [item.model_dump() if isinstance(item, BaseModel) else item for item in kept]  # type: ignore[return-value]
    return kept


class OrganizationSpec(SpecModel):
    name: Slug = Field(description="lower-case letters, digits and dashes, unique across stacks")
    display_name: DisplayText = Field(description="the customer's name as users should see it")
    identity_provider: IdentityProvider = Field(
        description="a mapping with kind (entra, microsoft, okta or oidc) and that kind's keys"
    )
    broker: Broker = Field(description="a mapping with kind (keycloak or workos) and that kind's keys")
    client_secret: SecretPolicy = Field(
        default_factory=SecretPolicy,
        description="a mapping with lifetimeDays, rotateAfterDays and rotateBeforeExpiryDays",
    )
    client_authentication: ClientAuthentication = Field(
        default_factory=ClientAuthentication,
        description="a mapping with method: clientSecret (the default) or privateKeyJwt",
    )
    role_mappings: list[RoleMapping] = Field(
        default_factory=list,
        max_length=MAX_LIST_LENGTH,
        description="{group, role} mappings, 500 at most",
    )
    default_role: DisplayText | None = Field(None, description="role for members that match no mapping")
    adoption: Adoption | None = Field(
        None,
        description="a mapping with allowDestroy, mapperNames and defaultRoleMapperName (written by "
        "`ssoprov adopt`)",
    )

    @model_validator(mode="after")
    def _mappings_reach_the_token(self) -> OrganizationSpec:
        found = [
            *_groups_mapped_twice(self.role_mappings, self.identity_provider),
            *_principals_listed_twice(self.identity_provider),
            *_groups_the_token_never_carries(self),
            *_adopted_names_unmapped(self),
            *_saml_not_built(self),
            *_workos_connection_keys(self),
            *_workos_manual_steps_unacknowledged(self),
            *_key_authentication_unsupported(self),
        ]
        if found:
            raise broken_rules(found)
        return self

    @property
    def broker_alias(self) -> str:
        return getattr(self.broker, "alias", None) or self.name


ENTRA_GROUPS_CASE = "Entra ID ignores case in group display names and object IDs"
"""Why two spellings of an Entra group are one group, in messages about assignments and mappings."""


def _repeats(names: Sequence[str], key: Callable[[str], str]) -> Iterator[tuple[int, int]]:
    """(index, index of the first entry it repeats) for each name equal, by `key`, to an earlier one."""
    first: dict[str, int] = {}
    for index, name in enumerate(names):
        earlier = first.setdefault(key(name), index)
        if earlier != index:
            yield index, earlier


def _exact(name: str) -> str:
    return name


def _groups_mapped_twice(mappings: list[RoleMapping], idp: IdentityProvider) -> list[Violation]:
    """Exact where the broker matches the claim's group names as they are (Okta and generic OIDC
    send them verbatim); ignoring case for Entra ID, whose mappings name groups that the program
    looks up by display name (case-blind) and maps by object ID: two spellings are one group."""
    key = str.casefold if isinstance(idp, EntraIdp) else _exact
    found = []
    for index, earlier in _repeats([mapping.group for mapping in mappings], key):
        group, first = mappings[index].group, mappings[earlier]
        mapped = f"roleMappings[{earlier}] maps it to {first.role!r}"
        if first.group != group:
            mapped = (
                f"roleMappings[{earlier}] maps {first.group!r} to {first.role!r}, "
                f"the same group: {ENTRA_GROUPS_CASE}"
            )
        found.append(
            Violation(
                ("roleMappings", index, "group"),
                f"maps group {group!r} again ({mapped})",
                f"map each group once: remove roleMappings[{index}] or fold it into roleMappings[{earlier}]",
            )
        )
    return found


@dataclass(frozen=True)
class _Principals:
    """One list of users or groups to assign, and how the directory tells two of its names apart."""

    at: tuple[str, ...]
    kind: str
    names: Sequence[str]
    case_blind: str | None
    """Why two names differing only in case are one principal; None: the directory compares exactly."""


def _principal_lists(idp: IdentityProvider) -> list[_Principals]:
    """Entra ID finds a user by UPN or object ID, a group by `displayName eq` or object ID, and
    ignores case in each; Okta's group names are case-sensitive, unique as written."""
    if isinstance(idp, OktaIdp):
        return [_Principals(("identityProvider", "groups"), "group", idp.groups, None)]
    if not isinstance(idp, EntraIdp):
        return []
    at = ("identityProvider", "assignments")
    return [
        _Principals(
            (*at, "groups"),
            "group",
            idp.assignments.groups,
            ENTRA_GROUPS_CASE,
        ),
        _Principals(
            (*at, "users"),
            "user",
            idp.assignments.users,
            "Entra ID ignores case in user principal names and object IDs",
        ),
    ]


def _principals_listed_twice(idp: IdentityProvider) -> list[Violation]:
    """A user or group listed twice, compared as the directory compares names, is one assignment.
    Spelled differently, two resources would hold it, and removing either entry later would unassign
    the principal while the other resource still shows it assigned; spelled alike, a second Okta
    assignment stops `up` with Pulumi's duplicate-URN error after the app was made."""
    found = []
    for listed in _principal_lists(idp):
        field = listed.at[-1]
        for index, earlier in _repeats(listed.names, _exact if listed.case_blind is None else str.casefold):
            name, first = listed.names[index], listed.names[earlier]
            duplicates = (
                f"{field}[{earlier}]"
                if name == first
                else f"{field}[{earlier}] is {first!r}, the same {listed.kind}: {listed.case_blind}"
            )
            found.append(
                Violation(
                    (*listed.at, index),
                    f"lists {listed.kind} {name!r} again ({duplicates})",
                    f"list each {listed.kind} once: remove {field}[{index}]",
                )
            )
    return found


def _adopted_names_unmapped(spec: OrganizationSpec) -> list[Violation]:
    """Adopted mapper names must belong to a mapping, or they would silently name nothing."""
    if spec.adoption is None:
        return []
    mapped = {mapping.group for mapping in spec.role_mappings}
    found = [
        Violation(
            ("adoption", "mapperNames", group),
            f"names a mapper for group {group!r}, which no roleMappings entry maps",
            f"remove adoption.mapperNames.{group}, or add a roleMappings entry for {group!r}",
        )
        for group in spec.adoption.mapper_names
        if group not in mapped
    ]
    creates_an_app = spec.identity_provider.kind != "oidc"
    if creates_an_app and spec.adoption.client_id is None:
        found.append(
            Violation(
                ("adoption", "clientId"),
                f"is required to adopt a {spec.identity_provider.kind} connection (else a new app is made)",
                "set it to the client ID of the app made by hand",
            )
        )
    if not creates_an_app and spec.adoption.client_id is not None:
        found.append(
            Violation(
                ("adoption", "clientId"),
                "is for apps ssoprov manages; a generic OIDC client ID is identityProvider.clientId",
                "remove adoption.clientId",
            )
        )
    workos = (
        spec.broker.kind == "workos"
        and spec.identity_provider.kind != "microsoft"
        and not spec.identity_provider.uses_saml
    )
    if workos and spec.adoption.connection_id is None:
        found.append(
            Violation(
                ("adoption", "connectionId"),
                "is required to adopt a WorkOS connection (else a new connection is made)",
                "set it to the conn_... ID of the connection made by hand",
            )
        )
    if not workos and spec.adoption.connection_id is not None:
        found.append(
            Violation(
                ("adoption", "connectionId"),
                "names a WorkOS connection, but this organization has none (broker kind "
                f"{spec.broker.kind}, identity provider kind {spec.identity_provider.kind})",
                "remove adoption.connectionId",
            )
        )
    if spec.adoption.default_role_mapper_name is not None and spec.default_role is None:
        found.append(
            Violation(
                ("adoption", "defaultRoleMapperName"),
                "names a default-role mapper, but defaultRole is not set",
                "set defaultRole, or remove adoption.defaultRoleMapperName",
            )
        )
    return found


def _saml_not_built(spec: OrganizationSpec) -> list[Violation]:
    """SAML combinations ssoprov does not make yet, and SAML settings without SAML."""
    idp = spec.identity_provider
    at = ("identityProvider", "protocol")
    if not idp.uses_saml:
        if idp.saml is None:
            return []
        return [
            Violation(
                ("identityProvider", "saml"),
                "applies only to SAML connections, and protocol is oidc",
                "set identityProvider.protocol to saml, or remove identityProvider.saml",
            )
        ]
    if idp.kind in ("microsoft", "oidc"):
        return [
            Violation(
                at,
                f"is saml, which kind {idp.kind} does not support (it is an OpenID Connect integration)",
                "remove identityProvider.protocol, or use kind okta or entra for a SAML connection",
            )
        ]
    return _saml_limits(spec)


def _workos_connection_keys(spec: OrganizationSpec) -> list[Violation]:
    """What a WorkOS connection needs from the broker keys: the redirect URI for OIDC, the SAML
    connection made in the dashboard for SAML; never the other protocol's."""
    broker = spec.broker
    if not isinstance(broker, WorkosBroker):
        return []
    if not spec.identity_provider.uses_saml:
        found = []
        if broker.redirect_uri is None:
            found.append(
                Violation(
                    ("broker", "redirectUri"),
                    "is required for an OIDC connection brokered by WorkOS",
                    "set broker.redirectUri to the redirect URI the WorkOS dashboard shows for OIDC "
                    "connections (e.g. https://api.workos.com/sso/oidc/callback)",
                )
            )
        if broker.saml is not None:
            found.append(
                Violation(
                    ("broker", "saml"),
                    "applies only to SAML connections, and identityProvider.protocol is oidc",
                    "set identityProvider.protocol to saml, or remove broker.saml",
                )
            )
        return found
    found = []
    if broker.saml is None:
        found.append(
            Violation(
                ("broker", "saml"),
                "is required for a SAML connection brokered by WorkOS: WorkOS's API returns no ACS URL "
                "or SP entity ID, which the identity provider's SAML app needs first",
                f"in the WorkOS dashboard, open organization {broker.organization_id}, add an "
                f"{WORKOS_SAML_CONNECTION_TYPES[spec.identity_provider.kind]} connection, and copy its "
                "ID, ACS URL and SP Entity ID into broker.saml.connectionId, acsUrl and spEntityId",
            )
        )
    if broker.redirect_uri is not None:
        found.append(
            Violation(
                ("broker", "redirectUri"),
                "applies only to OIDC connections; the SAML app posts to broker.saml.acsUrl",
                "remove broker.redirectUri",
            )
        )
    return found


def _workos_manual_steps_unacknowledged(spec: OrganizationSpec) -> list[Violation]:
    """WorkOS has no API for role mappings, the default role or Microsoft OAuth's credentials: a
    spec that needs any of them is refused until someone accepts entering them in the dashboard.
    Refused here, with the other spec rules, so `validate` and `new` catch it, not the first preview."""
    broker = spec.broker
    if not isinstance(broker, WorkosBroker) or broker.manual_steps_acknowledged:
        return []
    needs = []
    if spec.role_mappings:
        mapped = ", ".join(f"{m.group} -> {m.role}" for m in spec.role_mappings)
        needs.append(f"the IdP-group-to-role mappings (roleMappings: {mapped})")
    if spec.default_role:
        needs.append(f"the default role (defaultRole: {spec.default_role})")
    if spec.identity_provider.kind == "microsoft":
        needs.append("the Microsoft OAuth client ID and secret (identityProvider.kind: microsoft)")
    if not needs:
        return []
    return [
        Violation(
            ("broker", "manualStepsAcknowledged"),
            f"WorkOS offers no API for {' or '.join(needs)}, so someone must enter them in the WorkOS "
            "dashboard by hand",
            "set broker.manualStepsAcknowledged: true; after `pulumi up`, the stack output manualSteps "
            "lists exactly what to enter",
        )
    ]


WORKOS_SAML_CONNECTION_TYPES = {"okta": "Okta SAML", "entra": "Entra ID SAML"}
"""The identity provider of a SAML connection as the WorkOS dashboard names it."""


def _saml_limits(spec: OrganizationSpec) -> list[Violation]:
    """What a SAML organization brokered by Keycloak cannot have."""
    idp = spec.identity_provider
    found = []
    if spec.client_authentication.secretless:
        found.append(
            Violation(
                ("clientAuthentication", "method"),
                "privateKeyJwt applies to OIDC clients, and a SAML connection has no client: the IdP signs "
                "its assertions and the broker checks them with the app's certificate",
                "remove clientAuthentication, or use protocol oidc",
            )
        )
    if spec.adoption is not None:
        found.append(
            Violation(
                ("adoption",),
                "cannot adopt a SAML connection yet (only OIDC connections)",
                "remove adoption to let ssoprov create the SAML app, or use protocol oidc",
            )
        )
    if isinstance(idp, EntraIdp):
        return found + _entra_saml_limits(idp)
    attribute = (idp.saml or SamlSettings()).groups_attribute.name
    if attribute in OKTA_SAML_PROFILE_ATTRIBUTES:
        found.append(
            Violation(
                ("identityProvider", "saml", "groupsAttribute", "name"),
                f"is {attribute!r}, which the app already sends as the user's {attribute}",
                "name the group attribute something else, e.g. groups",
            )
        )
    if isinstance(idp, OktaIdp) and "groups_claim" in idp.model_fields_set:
        found.append(
            Violation(
                ("identityProvider", "groupsClaim"),
                "is the OIDC app's groups claim; a SAML app sends the user's groups in the group "
                "attribute statement, identityProvider.saml.groupsAttribute",
                "move its name, filterType and value to identityProvider.saml.groupsAttribute",
            )
        )
    if isinstance(idp, OktaIdp) and idp.extra_redirect_uris:
        found.append(
            Violation(
                ("identityProvider", "extraRedirectUris"),
                "applies to OIDC apps; a SAML app posts to the broker's ACS URL only",
                "remove identityProvider.extraRedirectUris, or use protocol oidc",
            )
        )
    return found


def _entra_saml_limits(idp: EntraIdp) -> list[Violation]:
    """What an Entra ID SAML application cannot have: the OpenID Connect settings, and SAML settings
    Entra decides itself (its groups attribute, its NameID: the user principal name)."""
    at = ("identityProvider",)
    written = idp.model_fields_set
    oidc_only = {
        "extra_redirect_uris": ("extraRedirectUris", "a SAML app posts to the broker's ACS URL only"),
        "optional_claims": ("optionalClaims", "SAML assertions carry Entra's default claims (email, names)"),
        "admin_consent": ("adminConsent", "a SAML app requests no Microsoft Graph permissions to consent to"),
        "multi_tenant": ("multiTenant", "a non-gallery SAML app signs in its own tenant's users"),
    }
    found = [
        Violation(
            (*at, key),
            f"applies to OpenID Connect apps: {why}",
            f"remove identityProvider.{key}, or use protocol oidc",
        )
        for field, (key, why) in oidc_only.items()
        if field in written
    ]
    if idp.uses_app_roles:
        found.append(
            Violation(
                (*at, "roleSource"),
                "is appRoles, which is built for OpenID Connect only (the roles claim); with SAML the broker "
                "maps the groups attribute",
                "remove identityProvider.roleSource, or use protocol oidc",
            )
        )
    settings = idp.saml or SamlSettings()
    if settings.name_id_format != "emailAddress":
        found.append(
            Violation(
                (*at, "saml", "nameIdFormat"),
                f"is {settings.name_id_format}, but Entra ID sends the user principal name in emailAddress "
                "format unless a claims mapping policy says otherwise, which ssoprov does not make",
                "remove identityProvider.saml.nameIdFormat (emailAddress)",
            )
        )
    if "groups_attribute" in settings.model_fields_set:
        found.append(
            Violation(
                (*at, "saml", "groupsAttribute"),
                "is Okta's group attribute statement; Entra ID sends group object IDs in its own groups "
                "attribute, chosen by identityProvider.groupsClaim",
                "remove identityProvider.saml.groupsAttribute, and set identityProvider.groupsClaim instead",
            )
        )
    return found


_KEY_AUTHENTICATION_REFUSED = {
    "microsoft": (
        "cannot apply to Microsoft OAuth: nothing Microsoft documents lets a certificate authenticate an "
        "app for personal accounts, and Keycloak's microsoft provider sends a client secret",
        "set clientAuthentication.method to clientSecret (privateKeyJwt works with entra, okta and oidc)",
    ),
    "workos": (
        "is not supported with WorkOS: its OIDC connection guide documents client secrets only",
        "set clientAuthentication.method to clientSecret, or broker this organization with keycloak",
    ),
}
"""Why privateKeyJwt is refused, by identity provider or broker kind, with the fix."""


def _key_authentication_unsupported(spec: OrganizationSpec) -> list[Violation]:
    """privateKeyJwt only where both sides can do it: Entra or Okta, brokered by Keycloak."""
    if not spec.client_authentication.secretless:
        return []
    at = ("clientAuthentication", "method")
    found = [
        Violation(at, f"privateKeyJwt {message}", fix)
        for kind, (message, fix) in _KEY_AUTHENTICATION_REFUSED.items()
        if kind in (spec.identity_provider.kind, spec.broker.kind)
    ]
    if spec.adoption is not None and spec.adoption.secret_id is not None:
        found.append(
            Violation(
                ("adoption", "secretId"),
                "names a client secret to keep, but with clientAuthentication.method privateKeyJwt "
                "the broker uses no secret",
                "remove adoption.secretId, or set clientAuthentication.method to clientSecret",
            )
        )
    idp = spec.identity_provider
    if isinstance(idp, OidcIdp) and idp.token_endpoint_auth_method is not None:
        found.append(
            Violation(
                ("identityProvider", "tokenEndpointAuthMethod"),
                f"is {idp.token_endpoint_auth_method}, a client-secret method, but with "
                "clientAuthentication.method privateKeyJwt the broker authenticates with private_key_jwt",
                "remove identityProvider.tokenEndpointAuthMethod, or set clientAuthentication.method "
                "to clientSecret",
            )
        )
    return found


def _roles_that_cannot_be_app_roles(mappings: list[RoleMapping]) -> list[Violation]:
    """Entra refuses an app role value with whitespace; the `roles` claim carries it verbatim."""
    return [
        Violation(
            ("roleMappings", index, "role"),
            f"is {mapping.role!r}, which has spaces, and an Entra app role's value (what the roles "
            "claim carries) may not",
            "name the broker role without spaces (e.g. support-agent), "
            "or set identityProvider.roleSource to groups",
        )
        for index, mapping in enumerate(mappings)
        if any(character.isspace() for character in mapping.role)
    ]


def okta_group_filter(idp: OktaIdp) -> OktaGroupsClaim:
    """The filter that decides which group names reach the broker: the OIDC groups claim's, or the
    SAML group attribute statement's."""
    if idp.uses_saml:
        return (idp.saml or SamlSettings()).groups_attribute
    return idp.groups_claim


def _groups_the_token_never_carries(spec: OrganizationSpec) -> list[Violation]:
    """Mappings that can never match, because the IdP never puts their group in the token."""
    idp, mappings = spec.identity_provider, spec.role_mappings
    if isinstance(idp, MicrosoftIdp) and mappings:
        return [
            Violation(
                ("roleMappings",),
                "cannot apply to Microsoft OAuth: personal accounts carry no groups",
                "remove roleMappings and use defaultRole",
            )
        ]
    if isinstance(idp, EntraIdp) and idp.uses_app_roles:
        return _roles_that_cannot_be_app_roles(mappings)
    if isinstance(idp, EntraIdp) and mappings and not idp.sends_group_ids:
        sent = "no groups claim" if idp.groups_claim == "None" else "directory roles (in wids), no groups"
        return [
            Violation(
                ("identityProvider", "groupsClaim"),
                f"roleMappings needs group IDs in the token, but with groupsClaim {idp.groups_claim} "
                f"Entra sends {sent}",
                "set identityProvider.groupsClaim to ApplicationGroup, SecurityGroup or All, "
                "or identityProvider.roleSource to appRoles",
            )
        ]
    # Entra finds a mapped group by display name as it finds an assigned one, ignoring case.
    assigned = {group.casefold() for group in idp.assignments.groups} if isinstance(idp, EntraIdp) else set()
    found = []
    for index, mapping in enumerate(mappings):
        at = ("roleMappings", index, "group")
        if isinstance(idp, EntraIdp) and idp.groups_claim == "ApplicationGroup":
            if mapping.group.casefold() not in assigned:
                found.append(
                    Violation(
                        at,
                        f"names {mapping.group!r}, which is not assigned to the app, and with groupsClaim "
                        "ApplicationGroup only groups assigned to the app reach the token",
                        f"add {mapping.group!r} to identityProvider.assignments.groups",
                    )
                )
        elif isinstance(idp, OktaIdp) and not okta_group_filter(idp).lets_through(mapping.group):
            setting = "saml.groupsAttribute" if idp.uses_saml else "groupsClaim"
            carrier = "the assertion" if idp.uses_saml else "the token"
            statement = "group attribute statement" if idp.uses_saml else "groups claim"
            found.append(
                Violation(
                    at,
                    f"names {mapping.group!r}, which the {statement} filter "
                    f"({okta_group_filter(idp).described()}) drops, so it never reaches {carrier}",
                    f"change identityProvider.{setting} to let {mapping.group!r} through, "
                    "or remove this mapping",
                )
            )
    return found
