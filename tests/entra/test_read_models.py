"""The read models give GraphClient exactly what msgraph-sdk's own models give, for every property
it reads: a property missing from a read model's table would otherwise read as None, silently."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from kiota_abstractions.serialization import Parsable
from kiota_serialization_json.json_parse_node import JsonParseNode
from kiota_serialization_json.json_serialization_writer import JsonSerializationWriter
from msgraph.generated.models.app_role_assignment import AppRoleAssignment
from msgraph.generated.models.application import Application
from msgraph.generated.models.directory_object_collection_response import DirectoryObjectCollectionResponse
from msgraph.generated.models.group_collection_response import GroupCollectionResponse
from msgraph.generated.models.o_auth2_permission_grant_collection_response import (
    OAuth2PermissionGrantCollectionResponse,
)
from msgraph.generated.models.service_principal import ServicePrincipal
from msgraph.generated.models.user import User

from ssoprov.entra import graph_client, read_models

APP_ID = "11111111-2222-3333-4444-555555555555"
APPLICATION_JSON = {
    "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#applications/$entity",
    "id": "0a1b2c3d-0000-4000-8000-000000000001",
    "appId": APP_ID,
    "displayName": "Acme SSO",
    "signInAudience": "AzureADMyOrg",
    "uniqueName": "acme-sso",
    "createdDateTime": "2026-11-30T09:15:02.1234567Z",
    "groupMembershipClaims": "SecurityGroup",
    "publisherDomain": "acme.example",
    "web": {
        "redirectUris": ["https://broker.example/realms/acme/broker/acme-entra/endpoint"],
        "homePageUrl": "https://acme.example",
        "logoutUrl": None,
        "implicitGrantSettings": {"enableIdTokenIssuance": False, "enableAccessTokenIssuance": False},
    },
    "api": {"requestedAccessTokenVersion": 2, "oauth2PermissionScopes": [], "knownClientApplications": []},
    "optionalClaims": {
        "idToken": [
            {"name": "email", "essential": False, "source": None, "additionalProperties": []},
            {
                "name": "groups",
                "essential": True,
                "source": None,
                "additionalProperties": ["sam_account_name"],
            },
        ],
        "accessToken": [],
        "saml2Token": [],
    },
    "requiredResourceAccess": [
        {
            "resourceAppId": "00000003-0000-0000-c000-000000000000",
            "resourceAccess": [{"id": "64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0", "type": "Scope"}],
        }
    ],
    "passwordCredentials": [
        {
            "keyId": "6f0b1f5e-8b3c-4a9a-9d0e-1d2c3b4a5f6e",
            "displayName": "broker",
            "hint": "abc",
            "startDateTime": "2026-11-30T09:15:03Z",
            "endDateTime": "2027-05-29T09:15:03Z",
            "secretText": None,
            "customKeyIdentifier": None,
        }
    ],
    "keyCredentials": [
        {
            "keyId": "7f0b1f5e-8b3c-4a9a-9d0e-1d2c3b4a5f6f",
            "key": "MIIBAg==",
            "customKeyIdentifier": "QUJD",
            "displayName": "CN=broker",
            "startDateTime": "2026-11-30T00:00:00Z",
            "endDateTime": "2028-11-30T00:00:00Z",
            "type": "AsymmetricX509Cert",
            "usage": "Verify",
        }
    ],
    "appRoles": [
        {
            "id": "8f0b1f5e-8b3c-4a9a-9d0e-1d2c3b4a5f60",
            "value": "admin",
            "displayName": "Admin",
            "description": "Administers the product",
            "allowedMemberTypes": ["User"],
            "isEnabled": True,
            "origin": "Application",
        }
    ],
}
SERVICE_PRINCIPAL_JSON = {
    "id": "0a1b2c3d-0000-4000-8000-000000000002",
    "appId": APP_ID,
    "displayName": "Acme SSO",
    "appRoleAssignmentRequired": True,
    "accountEnabled": False,
    "servicePrincipalType": "Application",
}
ASSIGNMENT_JSON = {
    "id": "kQ7i3wXyz0Gt1",
    "principalId": "0a1b2c3d-0000-4000-8000-000000000003",
    "principalType": "Group",
    "principalDisplayName": "Engineering",
    "appRoleId": "8f0b1f5e-8b3c-4a9a-9d0e-1d2c3b4a5f60",
    "resourceId": "0a1b2c3d-0000-4000-8000-000000000002",
    "resourceDisplayName": "Acme SSO",
    "createdDateTime": "2026-11-30T09:15:05Z",
}
GRANTS_JSON = {
    "value": [
        {
            "id": "grant-1",
            "clientId": "0A1B2C3D-0000-4000-8000-000000000002",
            "resourceId": "0a1b2c3d-0000-4000-8000-00000000000f",
            "consentType": "AllPrincipals",
            "principalId": None,
            "scope": "profile openid email",
        }
    ],
    "@odata.nextLink": "https://graph.microsoft.com/v1.0/oauth2PermissionGrants?$skiptoken=x",
}
GROUPS_JSON = {"value": [{"id": "g1", "displayName": "Engineering"}, {"id": "g2", "displayName": "Sales"}]}
MEMBER_OF_JSON = {
    "value": [
        {"@odata.type": "#microsoft.graph.group", "id": "g1"},
        {"@odata.type": "#microsoft.graph.directoryRole", "id": "r1"},
    ],
    "@odata.nextLink": "https://graph.microsoft.com/v1.0/users/u/transitiveMemberOf?$skiptoken=y",
}
USER_JSON = {"id": "u1", "userPrincipalName": "alice@acme.example", "displayName": "Alice"}


def parsed(document: dict[str, Any], model: type[Parsable]) -> Any:
    return JsonParseNode(document).get_object_value(model)


def serialized(model: Parsable | None) -> bytes:
    writer = JsonSerializationWriter()
    writer.write_object_value(None, model)
    return writer.get_serialized_content()


def application_reading(application: Any) -> dict[str, Any]:
    return {
        "info": graph_client._application_info(application),
        "app_roles": [graph_client._app_role_info(role) for role in application.app_roles or []],
        "key_credentials": [
            graph_client._key_credential_info(key) for key in application.key_credentials or []
        ],
        "sent back whole by update_application": [
            serialized(part) for part in (application.web, application.api, application.optional_claims)
        ],
    }


def page_reading(describe: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda page: ([describe(item) for item in page.value or []], page.odata_next_link)


CASES = [
    ("application", APPLICATION_JSON, Application, read_models.APPLICATION, application_reading),
    (
        "service principal",
        SERVICE_PRINCIPAL_JSON,
        ServicePrincipal,
        read_models.SERVICE_PRINCIPAL,
        graph_client._service_principal_info,
    ),
    (
        "assignment",
        ASSIGNMENT_JSON,
        AppRoleAssignment,
        read_models.APP_ROLE_ASSIGNMENT,
        graph_client._assignment_info,
    ),
    (
        "grants",
        GRANTS_JSON,
        OAuth2PermissionGrantCollectionResponse,
        read_models.GRANTS,
        page_reading(graph_client._grant_info),
    ),
    (
        "groups",
        GROUPS_JSON,
        GroupCollectionResponse,
        read_models.GROUPS,
        page_reading(lambda group: (group.id, group.display_name)),
    ),
    (
        "member of",
        MEMBER_OF_JSON,
        DirectoryObjectCollectionResponse,
        read_models.DIRECTORY_OBJECTS,
        page_reading(lambda item: (item.id, item.odata_type)),
    ),
    ("user", USER_JSON, User, read_models.USER, lambda user: (user.id, user.user_principal_name)),
]


@pytest.mark.parametrize(
    ("document", "sdk_model", "read_model", "reading"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_a_read_model_reads_what_the_sdk_model_reads(
    document: dict[str, Any],
    sdk_model: type[Parsable],
    read_model: type[Parsable],
    reading: Callable[[Any], Any],
) -> None:
    expected = reading(parsed(document, sdk_model))
    assert reading(parsed(document, read_model)) == expected
    assert expected != reading(sdk_model())  # the sample exercises what is read


def test_a_read_model_is_the_sdk_model_so_it_can_be_sent_back() -> None:
    application = parsed(APPLICATION_JSON, read_models.APPLICATION)
    assert isinstance(application, Application)
    assert application.additional_data["publisherDomain"] == "acme.example"
