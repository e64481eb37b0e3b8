"""Graph's checks on application and credential payloads, with the answers Graph gives.

`application_changes` turns a POST/PATCH body into the properties to store, or raises the 400
Graph would send: an unknown property ("Invalid property 'x'."), a read-only one, or a value
out of range ("Invalid value specified for property 'web' of resource 'Application'.").
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sandbox.graph.key_credentials import key_credentials
from sandbox.graph.odata import GraphError, invalid_value, parse_datetime, utcnow

SIGN_IN_AUDIENCES = (
    "AzureADMyOrg",
    "AzureADMultipleOrgs",
    "AzureADandPersonalMicrosoftAccount",
    "PersonalMicrosoftAccount",
)
GROUP_MEMBERSHIP_CLAIMS = ("None", "SecurityGroup", "All", "ApplicationGroup", "DirectoryRole")
OPTIONAL_CLAIM_PROPERTIES = (
    "cloud_displayname",
    "dns_domain_and_sam_account_name",
    "emit_as_roles",
    "include_externally_authenticated_upn",
    "include_externally_authenticated_upn_without_hash",
    "max_size_limit",
    "netbios_domain_and_sam_account_name",
    "sam_account_name",
    "use_guid",
)
PERSONAL_ACCOUNT_AUDIENCES = ("AzureADandPersonalMicrosoftAccount", "PersonalMicrosoftAccount")
"""Audiences that include personal Microsoft accounts: Graph requires v2 access tokens for them."""
RESOURCE_ACCESS_TYPES = ("Scope", "Role")
MAX_REDIRECT_URIS = 256
MAX_URI_LENGTH = 256
DEFAULT_PASSWORD_LIFETIME = timedelta(days=730)
_LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]")
_READ_ONLY = ("id", "appId", "createdDateTime", "deletedDateTime", "publisherDomain", "passwordCredentials")

ResourceLookup = Callable[[str], dict[str, Any] | None]
"""appId -> that resource's service principal in the tenant, or None."""


def application_changes(
    body: dict[str, Any], *, creating: bool, find_resource: ResourceLookup
) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for name, value in body.items():
        if name == "@odata.type":
            if value != "#microsoft.graph.application":
                raise GraphError(
                    400, "BadRequest", f"A type named '{value}' could not be resolved by the model."
                )
            continue
        if name in _READ_ONLY:
            if name == "passwordCredentials" and value == []:
                continue
            raise GraphError(400, "Request_BadRequest", f"Property '{name}' is read-only and cannot be set.")
        check = _APPLICATION_PROPERTIES.get(name)
        if check is None:
            raise GraphError(400, "Request_BadRequest", f"Invalid property '{name}'.")
        if name == "uniqueName" and not creating:
            raise GraphError(400, "Request_BadRequest", "Property 'uniqueName' can only be set on create.")
        if name == "requiredResourceAccess":
            changes[name] = _required_resource_access(value, find_resource)
        else:
            changes[name] = check(value)
    if creating and not changes.get("displayName"):
        raise invalid_value("displayName", "Application")
    return changes


def _display_name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 256:
        raise invalid_value("displayName", "Application")
    return value


def _optional_text(prop: str, limit: int) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            raise invalid_value(prop, "Application")
        return value

    return check


def _sign_in_audience(value: Any) -> str:
    if value not in SIGN_IN_AUDIENCES:
        raise invalid_value("signInAudience", "Application")
    return value


def _group_membership_claims(value: Any) -> str | None:
    if value is None:
        return None
    known = {option.lower() for option in GROUP_MEMBERSHIP_CLAIMS}
    parts = [part.strip() for part in value.split(",")] if isinstance(value, str) else []
    if not parts or any(part.lower() not in known for part in parts):
        raise invalid_value("groupMembershipClaims", "Application")
    return value


def _string_list(prop: str) -> Callable[[Any], list[str]]:
    def check(value: Any) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise invalid_value(prop, "Application")
        return list(value)

    return check


def _redirect_uri_ok(uri: Any, *, public_client: bool) -> bool:
    if not isinstance(uri, str) or not uri or len(uri) > MAX_URI_LENGTH or "*" in uri:
        return False
    parts = urlsplit(uri)
    if not parts.scheme or parts.fragment:
        return False
    if public_client:
        return True
    if not parts.netloc:
        return False
    host = (parts.hostname or "").lower()
    if parts.scheme == "https":
        return True
    return parts.scheme == "http" and (host in _LOCAL_HOSTS or host == "::1")


def _platform(prop: str, keys: dict[str, Callable[[Any], Any]]) -> Callable[[Any], dict[str, Any]]:
    """A complex property (web, spa, api, info, ...): known sub-properties only, each checked."""

    def check(value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise invalid_value(prop, "Application")
        result: dict[str, Any] = {}
        for key, item in value.items():
            if key == "@odata.type":
                continue
            if key not in keys:
                raise GraphError(400, "Request_BadRequest", f"Invalid property '{key}'.")
            try:
                result[key] = keys[key](item)
            except GraphError:
                raise invalid_value(prop, "Application") from None
        return result

    return check


def _redirect_uris(public_client: bool) -> Callable[[Any], list[str]]:
    def check(value: Any) -> list[str]:
        if not isinstance(value, list) or len(value) > MAX_REDIRECT_URIS:
            raise invalid_value("redirectUris", "Application")
        if not all(_redirect_uri_ok(uri, public_client=public_client) for uri in value):
            raise invalid_value("redirectUris", "Application")
        if len({uri.lower() for uri in value}) != len(value):
            raise invalid_value("redirectUris", "Application")
        return list(value)

    return check


def _absolute_url(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not urlsplit(value).scheme or not urlsplit(value).netloc:
        raise invalid_value("url", "Application")
    return value


def _implicit_grant(value: Any) -> dict[str, bool]:
    keys = ("enableAccessTokenIssuance", "enableIdTokenIssuance")
    if not isinstance(value, dict) or any(k not in keys and k != "@odata.type" for k in value):
        raise invalid_value("implicitGrantSettings", "Application")
    if any(not isinstance(value.get(k, False), bool) for k in keys):
        raise invalid_value("implicitGrantSettings", "Application")
    return {k: value.get(k, False) for k in keys}


def _access_token_version(value: Any) -> int | None:
    if value is not None and (isinstance(value, bool) or value not in (1, 2)):
        raise invalid_value("requestedAccessTokenVersion", "ApiApplication")
    return value


def _optional_bool(value: Any) -> bool | None:
    if value is not None and not isinstance(value, bool):
        raise invalid_value("acceptMappedClaims", "ApiApplication")
    return value


def check_access_token_version(sign_in_audience: Any, api: Any) -> None:
    """Graph's rule, checked on the application as it would be stored after a POST or PATCH: an
    audience with personal Microsoft accounts needs `api.requestedAccessTokenVersion` 2."""
    version = (api or {}).get("requestedAccessTokenVersion")
    if sign_in_audience in PERSONAL_ACCOUNT_AUDIENCES and version != 2:
        raise GraphError(400, "Request_BadRequest", "Property api.requestedAccessTokenVersion is invalid.")


def _list_of_objects(prop: str) -> Callable[[Any], list[dict[str, Any]]]:
    def check(value: Any) -> list[dict[str, Any]]:
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise invalid_value(prop, "Application")
        return list(value)

    return check


def _redirect_uri_settings(value: Any) -> list[dict[str, Any]]:
    """`[{uri, index}]`, stored in Graph's full shape (a missing index is null)."""
    settings = _list_of_objects("redirectUriSettings")(value)
    for setting in settings:
        uri, index = setting.get("uri"), setting.get("index")
        if set(setting) - {"@odata.type", "uri", "index"} or not isinstance(uri, (str, type(None))):
            raise invalid_value("redirectUriSettings", "Application")
        if index is not None and (isinstance(index, bool) or not isinstance(index, int)):
            raise invalid_value("redirectUriSettings", "Application")
    return [{"uri": setting.get("uri"), "index": setting.get("index")} for setting in settings]


def _optional_claim(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid_value("optionalClaims", "Application")
    allowed = {"@odata.type", "name", "essential", "source", "additionalProperties"}
    if any(key not in allowed for key in value):
        raise invalid_value("optionalClaims", "Application")
    name = value.get("name")
    essential = value.get("essential", False)
    source = value.get("source")
    extra = value.get("additionalProperties") or []
    if not isinstance(name, str) or not name.strip():
        raise invalid_value("optionalClaims", "Application")
    if not isinstance(essential, bool) or (source is not None and str(source).lower() != "user"):
        raise invalid_value("optionalClaims", "Application")
    if not isinstance(extra, list) or any(item not in OPTIONAL_CLAIM_PROPERTIES for item in extra):
        raise invalid_value("optionalClaims", "Application")
    return {"additionalProperties": list(extra), "essential": essential, "name": name, "source": source}


def _optional_claims(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    token_types = ("idToken", "accessToken", "saml2Token")
    if not isinstance(value, dict) or any(k not in token_types and k != "@odata.type" for k in value):
        raise invalid_value("optionalClaims", "Application")
    result: dict[str, Any] = {}
    for token_type in token_types:
        claims = value.get(token_type) or []
        if not isinstance(claims, list):
            raise invalid_value("optionalClaims", "Application")
        result[token_type] = [_optional_claim(claim) for claim in claims]
        names = [claim["name"] for claim in result[token_type]]
        if len(set(names)) != len(names):
            raise invalid_value("optionalClaims", "Application")
    return result


def _required_resource_access(value: Any, find_resource: ResourceLookup) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise invalid_value("requiredResourceAccess", "Application")
    result = []
    for entry in value:
        if not isinstance(entry, dict):
            raise invalid_value("requiredResourceAccess", "Application")
        resource_app_id = entry.get("resourceAppId")
        resource = find_resource(resource_app_id) if isinstance(resource_app_id, str) else None
        if resource is None:
            raise invalid_value("resourceAppId", "RequiredResourceAccess")
        scopes = {scope["id"] for scope in resource.get("oauth2PermissionScopes", [])}
        roles = {role["id"] for role in resource.get("appRoles", [])}
        accesses = []
        for access in entry.get("resourceAccess") or []:
            if not isinstance(access, dict) or access.get("type") not in RESOURCE_ACCESS_TYPES:
                raise invalid_value("resourceAccess", "RequiredResourceAccess")
            known = scopes if access["type"] == "Scope" else roles
            if access.get("id") not in known:
                raise invalid_value("resourceAccess", "RequiredResourceAccess")
            accesses.append({"id": access["id"], "type": access["type"]})
        result.append({"resourceAppId": resource_app_id, "resourceAccess": accesses})
    return result


APP_ROLE_MEMBER_TYPES = ("User", "Application")


def _app_roles(value: Any) -> list[dict[str, Any]]:
    """`appRoles`: each with a GUID id, a display name, a description, allowed member types (User,
    Application), isEnabled, and a value (the `roles` claim text: no spaces), ids and values unique."""
    if not isinstance(value, list):
        raise invalid_value("appRoles", "Application")
    roles: list[dict[str, Any]] = []
    for role in value:
        if not isinstance(role, dict) or set(role) - {*_APP_ROLE_KEYS, "@odata.type"}:
            raise invalid_value("appRoles", "Application")
        types = role.get("allowedMemberTypes")
        text = role.get("value")
        if (
            not is_guid(role.get("id"))
            or not isinstance(types, list)
            or not types
            or not set(types) <= set(APP_ROLE_MEMBER_TYPES)
            or not isinstance(role.get("displayName"), str)
            or not role["displayName"].strip()
            or not isinstance(role.get("description"), str)
            or not isinstance(role.get("isEnabled"), bool)
            or (
                text is not None and (not isinstance(text, str) or not text or any(c.isspace() for c in text))
            )
        ):
            raise invalid_value("appRoles", "Application")
        roles.append(
            {key: role.get(key) for key in _APP_ROLE_KEYS}
            | {"id": role["id"].lower(), "origin": "Application"}
        )
    values = [role["value"] for role in roles if role["value"] is not None]
    if len({role["id"] for role in roles}) != len(roles) or len(set(values)) != len(values):
        raise invalid_value("appRoles", "Application")
    return roles


_APP_ROLE_KEYS = ("allowedMemberTypes", "description", "displayName", "id", "isEnabled", "origin", "value")


def is_guid(value: object) -> bool:
    """Text Graph accepts as a GUID."""
    if not isinstance(value, str):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


LEGAL_AGE_GROUP_RULES = (
    "Allow",
    "RequireConsentForPrivacyServices",
    "RequireConsentForMinors",
    "RequireConsentForKids",
    "BlockMinors",
)


def _optional_bool_of(prop: str) -> Callable[[Any], bool | None]:
    def check(value: Any) -> bool | None:
        if value is not None and not isinstance(value, bool):
            raise invalid_value(prop, "Application")
        return value

    return check


def _read_only_null(value: Any) -> None:
    """`info.logoUrl`: Graph sets it (from the logo stream); a PATCH may only send it back null."""
    if value is not None:
        raise invalid_value("logoUrl", "InformationalUrl")


def _legal_age_group_rule(value: Any) -> str:
    if value not in LEGAL_AGE_GROUP_RULES:
        raise invalid_value("legalAgeGroupRule", "ParentalControlSettings")
    return value


_APPLICATION_PROPERTIES: dict[str, Callable[[Any], Any]] = {
    "displayName": _display_name,
    "appRoles": _app_roles,
    "description": _optional_text("description", 1024),
    "notes": _optional_text("notes", 1024),
    "serviceManagementReference": _optional_text("serviceManagementReference", 128),
    "uniqueName": _optional_text("uniqueName", 256),
    "signInAudience": _sign_in_audience,
    "groupMembershipClaims": _group_membership_claims,
    "identifierUris": _string_list("identifierUris"),
    "tags": _string_list("tags"),
    "optionalClaims": _optional_claims,
    "requiredResourceAccess": lambda value: value,  # checked against the tenant, see above
    "isFallbackPublicClient": _optional_bool_of("isFallbackPublicClient"),
    "isDeviceOnlyAuthSupported": _optional_bool_of("isDeviceOnlyAuthSupported"),
    "samlMetadataUrl": _absolute_url,
    "defaultRedirectUri": _optional_text("defaultRedirectUri", MAX_URI_LENGTH),
    "info": _platform(
        "info",
        {
            "logoUrl": _read_only_null,
            "marketingUrl": _absolute_url,
            "privacyStatementUrl": _absolute_url,
            "supportUrl": _absolute_url,
            "termsOfServiceUrl": _absolute_url,
        },
    ),
    "parentalControlSettings": _platform(
        "parentalControlSettings",
        {
            "countriesBlockedForMinors": _string_list("countriesBlockedForMinors"),
            "legalAgeGroupRule": _legal_age_group_rule,
        },
    ),
    "keyCredentials": key_credentials,
    "web": _platform(
        "web",
        {
            "redirectUris": _redirect_uris(public_client=False),
            "homePageUrl": _absolute_url,
            "logoutUrl": _absolute_url,
            "implicitGrantSettings": _implicit_grant,
            "redirectUriSettings": _redirect_uri_settings,
        },
    ),
    "spa": _platform("spa", {"redirectUris": _redirect_uris(public_client=False)}),
    "api": _platform(
        "api",
        {
            "requestedAccessTokenVersion": _access_token_version,
            "acceptMappedClaims": _optional_bool,
            "knownClientApplications": _string_list("knownClientApplications"),
            "oauth2PermissionScopes": _list_of_objects("oauth2PermissionScopes"),
            "preAuthorizedApplications": _list_of_objects("preAuthorizedApplications"),
        },
    ),
    "publicClient": _platform("publicClient", {"redirectUris": _redirect_uris(public_client=True)}),
}


def password_credential(body: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    """The `passwordCredential` of an addPassword body, defaults filled in and dates checked."""
    now = now or utcnow()
    credential = body.get("passwordCredential", {})
    if credential is None:
        credential = {}
    if not isinstance(credential, dict):
        raise invalid_value("passwordCredential", "Application")
    allowed = {"@odata.type", "displayName", "endDateTime", "startDateTime", "customKeyIdentifier"}
    for key in credential:
        if key not in allowed:
            raise GraphError(400, "Request_BadRequest", f"Invalid property '{key}'.")
    display_name = credential.get("displayName")
    if display_name is not None and (not isinstance(display_name, str) or len(display_name) > 256):
        raise invalid_value("displayName", "PasswordCredential")
    start = now
    if credential.get("startDateTime") is not None:
        start = parse_datetime(credential["startDateTime"], "startDateTime", "PasswordCredential")
    end = start + DEFAULT_PASSWORD_LIFETIME
    if credential.get("endDateTime") is not None:
        end = parse_datetime(credential["endDateTime"], "endDateTime", "PasswordCredential")
    if end <= now or end <= start:
        raise invalid_value("endDateTime", "PasswordCredential")
    return {"displayName": display_name, "startDateTime": start, "endDateTime": end}


def password_key_id(body: dict[str, Any]) -> str:
    """The `keyId` of a removePassword body (application or service principal)."""
    key_id = body.get("keyId")
    if not isinstance(key_id, str) or not key_id:
        raise invalid_value("keyId", "PasswordCredential")
    return key_id


CONSENT_TYPES = ("AllPrincipals", "Principal")


def grant_fields(body: dict[str, Any]) -> dict[str, Any]:
    """A POST /oauth2PermissionGrants body as Graph stores it, or the 400 Graph sends.

    clientId and resourceId are service principal object ids; consentType AllPrincipals (the
    whole tenant, no principalId) or Principal (one user, principalId required); scope is the
    space-separated delegated permission values.
    """
    resource = "OAuth2PermissionGrant"
    known = ("clientId", "resourceId", "consentType", "principalId", "scope", "@odata.type")
    for name in body:
        if name not in known:
            raise GraphError(400, "Request_BadRequest", f"Invalid property '{name}'.")
    for prop in ("clientId", "resourceId"):
        if not isinstance(body.get(prop), str) or not body[prop]:
            raise invalid_value(prop, resource)
    consent_type = body.get("consentType")
    if consent_type not in CONSENT_TYPES:
        raise invalid_value("consentType", resource)
    principal_id = body.get("principalId")
    if (consent_type == "Principal") != isinstance(principal_id, str):
        raise invalid_value("principalId", resource)
    scope = body.get("scope", "")
    if not isinstance(scope, str):
        raise invalid_value("scope", resource)
    return {
        "clientId": body["clientId"].lower(),
        "consentType": consent_type,
        "principalId": principal_id.lower() if isinstance(principal_id, str) else None,
        "resourceId": body["resourceId"].lower(),
        "scope": scope,
    }
