"""Graph v1.0 JSON representations of the directory objects the stand-in serves.

Each function returns the full default shape Graph returns for a new object (camelCase, every
property present, `null` where unset), so clients see what the real service would send.
"""

from __future__ import annotations

import base64
import os
import uuid
from datetime import datetime
from typing import Any

from sandbox.graph.odata import graph_datetime
from sandbox.graph.seed import SeedGroup, SeedUser


def user_resource(user: SeedUser, domain: str) -> dict[str, Any]:
    return {
        "id": user.id,
        "businessPhones": [],
        "displayName": user.display_name,
        "givenName": user.given_name,
        "jobTitle": user.job_title,
        "mail": user.user_principal_name,
        "mobilePhone": None,
        "officeLocation": None,
        "preferredLanguage": "en-US",
        "surname": user.surname,
        "userPrincipalName": user.user_principal_name,
        "accountEnabled": True,
    }


def group_resource(group: SeedGroup, created: datetime) -> dict[str, Any]:
    nickname = "".join(ch for ch in (group.key or group.display_name) if ch.isalnum()).lower()
    return {
        "id": group.id,
        "deletedDateTime": None,
        "classification": None,
        "createdDateTime": graph_datetime(created),
        "description": group.description,
        "displayName": group.display_name,
        "groupTypes": [],
        "isAssignableToRole": None,
        "mail": None,
        "mailEnabled": False,
        "mailNickname": nickname,
        "onPremisesSyncEnabled": None,
        "proxyAddresses": [],
        "renewedDateTime": graph_datetime(created),
        "securityEnabled": True,
        "securityIdentifier": _security_identifier(group.id),
        "visibility": None,
    }


def _security_identifier(object_id: str) -> str:
    raw = uuid.UUID(object_id).bytes_le
    parts = [int.from_bytes(raw[i : i + 4], "little") for i in range(0, 16, 4)]
    return "S-1-12-1-" + "-".join(str(part) for part in parts)


def application_resource(
    object_id: str, app_id: str, created: datetime, publisher_domain: str
) -> dict[str, Any]:
    """A new application before the caller's properties are applied."""
    return {
        "id": object_id,
        "deletedDateTime": None,
        "appId": app_id,
        "applicationTemplateId": None,
        "disabledByMicrosoftStatus": None,
        "createdDateTime": graph_datetime(created),
        "displayName": None,
        "description": None,
        "groupMembershipClaims": None,
        "identifierUris": [],
        "isDeviceOnlyAuthSupported": None,
        "isFallbackPublicClient": None,
        "nativeAuthenticationApisEnabled": None,
        "notes": None,
        "publisherDomain": publisher_domain,
        "serviceManagementReference": None,
        "signInAudience": "AzureADMyOrg",
        "tags": [],
        "tokenEncryptionKeyId": None,
        "uniqueName": None,
        "samlMetadataUrl": None,
        "defaultRedirectUri": None,
        "certification": None,
        "optionalClaims": None,
        "requestSignatureVerification": None,
        "addIns": [],
        "api": {
            "acceptMappedClaims": None,
            "knownClientApplications": [],
            "requestedAccessTokenVersion": None,
            "oauth2PermissionScopes": [],
            "preAuthorizedApplications": [],
        },
        "appRoles": [],
        "info": {
            "logoUrl": None,
            "marketingUrl": None,
            "privacyStatementUrl": None,
            "supportUrl": None,
            "termsOfServiceUrl": None,
        },
        "keyCredentials": [],
        "parentalControlSettings": {"countriesBlockedForMinors": [], "legalAgeGroupRule": "Allow"},
        "passwordCredentials": [],
        "publicClient": {"redirectUris": []},
        "requiredResourceAccess": [],
        "verifiedPublisher": {"displayName": None, "verifiedPublisherId": None, "addedDateTime": None},
        "web": {
            "homePageUrl": None,
            "logoutUrl": None,
            "redirectUris": [],
            "implicitGrantSettings": {"enableAccessTokenIssuance": False, "enableIdTokenIssuance": False},
            "redirectUriSettings": [],
        },
        "spa": {"redirectUris": []},
    }


def service_principal_resource(
    object_id: str,
    application: dict[str, Any],
    owner_tenant_id: str,
    assignment_required: bool,
) -> dict[str, Any]:
    """The service principal (enterprise application) of `application` in its home tenant."""
    web = application.get("web") or {}
    return {
        "id": object_id,
        "deletedDateTime": None,
        "accountEnabled": True,
        "alternativeNames": [],
        "appDisplayName": application.get("displayName"),
        "appDescription": application.get("description"),
        "appId": application["appId"],
        "applicationTemplateId": None,
        "appOwnerOrganizationId": owner_tenant_id,
        "appRoleAssignmentRequired": assignment_required,
        "description": None,
        "disabledByMicrosoftStatus": None,
        "displayName": application.get("displayName"),
        "homepage": web.get("homePageUrl"),
        "loginUrl": None,
        "logoutUrl": web.get("logoutUrl"),
        "notes": None,
        "notificationEmailAddresses": [],
        "preferredSingleSignOnMode": None,
        "preferredTokenSigningKeyThumbprint": None,
        "replyUrls": list(web.get("redirectUris") or []),
        "servicePrincipalNames": [application["appId"]],
        "servicePrincipalType": "Application",
        "signInAudience": application.get("signInAudience"),
        "tags": [],
        "tokenEncryptionKeyId": None,
        "samlSingleSignOnSettings": None,
        "addIns": [],
        "appRoles": list(application.get("appRoles") or []),
        "info": dict(application.get("info") or {}),
        "keyCredentials": [],
        "oauth2PermissionScopes": [],
        "passwordCredentials": [],
        "resourceSpecificApplicationPermissions": [],
        "verifiedPublisher": {"displayName": None, "verifiedPublisherId": None, "addedDateTime": None},
    }


def microsoft_graph_service_principal(
    object_id: str, owner_tenant_id: str, scopes: dict[str, str]
) -> dict[str, Any]:
    """The Microsoft Graph service principal every tenant has, with its delegated scopes."""
    application = {
        "appId": "00000003-0000-0000-c000-000000000000",
        "displayName": "Microsoft Graph",
        "signInAudience": "AzureADMultipleOrgs",
    }
    resource = service_principal_resource(
        object_id, application, "f8cdef31-a31e-4b4a-93e4-5f571e91255a", False
    )
    resource["servicePrincipalNames"] = [
        "https://graph.microsoft.com",
        "00000003-0000-0000-c000-000000000000",
    ]
    resource["oauth2PermissionScopes"] = [
        {
            "adminConsentDescription": f"Allows the app the {name} permission.",
            "adminConsentDisplayName": name,
            "id": scope_id,
            "isEnabled": True,
            "type": "User",
            "userConsentDescription": None,
            "userConsentDisplayName": None,
            "value": name,
        }
        for name, scope_id in scopes.items()
    ]
    return resource


def app_role_assignment_resource(
    principal: dict[str, Any],
    principal_type: str,
    resource: dict[str, Any],
    app_role_id: str,
    created: datetime,
) -> dict[str, Any]:
    return {
        "id": assignment_id(principal["id"]),
        "deletedDateTime": None,
        "appRoleId": app_role_id,
        "createdDateTime": graph_datetime(created),
        "principalDisplayName": principal.get("displayName"),
        "principalId": principal["id"],
        "principalType": principal_type,
        "resourceDisplayName": resource.get("displayName"),
        "resourceId": resource["id"],
    }


def assignment_id(principal_id: str) -> str:
    """Graph's appRoleAssignment ids: base64url of the principal's GUID bytes plus 16 more."""
    raw = uuid.UUID(principal_id).bytes_le + os.urandom(16)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def grant_id(client_id: str, resource_id: str, principal_id: str | None) -> str:
    """Graph's oAuth2PermissionGrant ids: base64url of the client's and resource's GUID bytes, then
    the user's for a Principal grant."""
    raw = uuid.UUID(client_id).bytes_le + uuid.UUID(resource_id).bytes_le
    if principal_id:
        raw += uuid.UUID(principal_id).bytes_le
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")
