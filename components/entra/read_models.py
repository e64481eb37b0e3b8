"""msgraph-sdk models that parse only the properties `GraphClient` reads, and `fetch` to use them.

Every Graph object type (application, service principal, user, group, ...) derives from the SDK's
`Entity`, whose `get_field_deserializers` imports all of the SDK's ~1,200 entity types for its type
hints. So the first parse of any Graph object costs about 1.5 s of CPU and most of a provider's
imports, for a handful of properties. A read model is the SDK's model class with deserializers for
the properties we read: kiota's parse node still does the parsing (strings, UUIDs, dates, base64,
nested complex types by the SDK's own models, which are cheap), and the rest of the answer lands
in `additional_data`. Requests are still built by the SDK's request builders and sent by its
request adapter, with its error mapping (`fetch`).

A property not listed here reads as None: add it to the model's table before reading it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from kiota_abstractions.request_information import RequestInformation
from kiota_abstractions.serialization import Parsable, ParseNode
from msgraph import GraphServiceClient
from msgraph.generated.models.api_application import ApiApplication
from msgraph.generated.models.app_role import AppRole
from msgraph.generated.models.app_role_assignment import AppRoleAssignment
from msgraph.generated.models.app_role_assignment_collection_response import (
    AppRoleAssignmentCollectionResponse,
)
from msgraph.generated.models.application import Application
from msgraph.generated.models.application_service_principal import ApplicationServicePrincipal
from msgraph.generated.models.directory_object import DirectoryObject
from msgraph.generated.models.directory_object_collection_response import DirectoryObjectCollectionResponse
from msgraph.generated.models.group import Group
from msgraph.generated.models.group_collection_response import GroupCollectionResponse
from msgraph.generated.models.key_credential import KeyCredential
from msgraph.generated.models.o_auth2_permission_grant import OAuth2PermissionGrant
from msgraph.generated.models.o_auth2_permission_grant_collection_response import (
    OAuth2PermissionGrantCollectionResponse,
)
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.optional_claims import OptionalClaims
from msgraph.generated.models.password_credential import PasswordCredential
from msgraph.generated.models.required_resource_access import RequiredResourceAccess
from msgraph.generated.models.service_principal import ServicePrincipal
from msgraph.generated.models.user import User
from msgraph.generated.models.web_application import WebApplication

M = TypeVar("M", bound=Parsable)
Reader = Callable[[ParseNode], Any]

ERROR_MAPPING: dict[str, Any] = {"XXX": ODataError}
"""What the SDK's request builders map every error status to: Graph's OData error body."""


def _text(node: ParseNode) -> Any:
    return node.get_str_value()


def _flag(node: ParseNode) -> Any:
    return node.get_bool_value()


def _guid(node: ParseNode) -> Any:
    return node.get_uuid_value()


def _moment(node: ParseNode) -> Any:
    return node.get_datetime_value()


def _texts(node: ParseNode) -> Any:
    return node.get_collection_of_primitive_values(str)


def _one(model: type[Parsable]) -> Reader:
    return lambda node: node.get_object_value(model)


def _many(model: type[Parsable]) -> Reader:
    return lambda node: node.get_collection_of_object_values(model)


def read_model(model: type[M], properties: Mapping[str, tuple[str, Reader]]) -> type[M]:
    """`model`, parsing only `properties`: Graph's JSON name -> (the model's attribute, reader)."""

    class ReadModel(model):  # type: ignore[valid-type,misc]
        @staticmethod
        def create_from_discriminator_value(parse_node: ParseNode) -> ReadModel:
            return ReadModel()

        def get_field_deserializers(self) -> dict[str, Callable[[ParseNode], None]]:
            return {
                name: (lambda node, attribute=attribute, read=read: setattr(self, attribute, read(node)))
                for name, (attribute, read) in properties.items()
            }

    ReadModel.__name__ = ReadModel.__qualname__ = f"{model.__name__}Read"
    return ReadModel


def _page_of(collection: type[M], item: type[Parsable]) -> type[M]:
    """A collection response (one page of a list) of `item` read models."""
    return read_model(
        collection, {"value": ("value", _many(item)), "@odata.nextLink": ("odata_next_link", _text)}
    )


APPLICATION = read_model(
    Application,
    {
        "id": ("id", _text),
        "appId": ("app_id", _text),
        "displayName": ("display_name", _text),
        "signInAudience": ("sign_in_audience", _text),
        "uniqueName": ("unique_name", _text),
        "createdDateTime": ("created_date_time", _moment),
        "groupMembershipClaims": ("group_membership_claims", _text),
        "web": ("web", _one(WebApplication)),
        "api": ("api", _one(ApiApplication)),
        "optionalClaims": ("optional_claims", _one(OptionalClaims)),
        "requiredResourceAccess": ("required_resource_access", _many(RequiredResourceAccess)),
        "passwordCredentials": ("password_credentials", _many(PasswordCredential)),
        "keyCredentials": ("key_credentials", _many(KeyCredential)),
        "appRoles": ("app_roles", _many(AppRole)),
        "identifierUris": ("identifier_uris", _texts),
    },
)
SERVICE_PRINCIPAL = read_model(
    ServicePrincipal,
    {
        "id": ("id", _text),
        "appId": ("app_id", _text),
        "displayName": ("display_name", _text),
        "appRoleAssignmentRequired": ("app_role_assignment_required", _flag),
        "accountEnabled": ("account_enabled", _flag),
        "preferredSingleSignOnMode": ("preferred_single_sign_on_mode", _text),
        "preferredTokenSigningKeyThumbprint": ("preferred_token_signing_key_thumbprint", _text),
        "keyCredentials": ("key_credentials", _many(KeyCredential)),
    },
)
APPLICATION_SERVICE_PRINCIPAL = read_model(
    ApplicationServicePrincipal,
    {
        "application": ("application", _one(APPLICATION)),
        "servicePrincipal": ("service_principal", _one(SERVICE_PRINCIPAL)),
    },
)
"""What instantiating an application template answers: the application and its service principal."""
APP_ROLE_ASSIGNMENT = read_model(
    AppRoleAssignment,
    {
        "id": ("id", _text),
        "principalId": ("principal_id", _guid),
        "principalType": ("principal_type", _text),
        "principalDisplayName": ("principal_display_name", _text),
        "appRoleId": ("app_role_id", _guid),
        "resourceId": ("resource_id", _guid),
    },
)
GRANT = read_model(
    OAuth2PermissionGrant,
    {
        "id": ("id", _text),
        "clientId": ("client_id", _text),
        "resourceId": ("resource_id", _text),
        "consentType": ("consent_type", _text),
        "scope": ("scope", _text),
    },
)
GROUP = read_model(Group, {"id": ("id", _text), "displayName": ("display_name", _text)})
USER = read_model(User, {"id": ("id", _text), "userPrincipalName": ("user_principal_name", _text)})
DIRECTORY_OBJECT = read_model(DirectoryObject, {"id": ("id", _text), "@odata.type": ("odata_type", _text)})
"""A member-of entry, read without the SDK's discriminator (which imports every subtype)."""

APP_ROLE_ASSIGNMENTS = _page_of(AppRoleAssignmentCollectionResponse, APP_ROLE_ASSIGNMENT)
GRANTS = _page_of(OAuth2PermissionGrantCollectionResponse, GRANT)
GROUPS = _page_of(GroupCollectionResponse, GROUP)
DIRECTORY_OBJECTS = _page_of(DirectoryObjectCollectionResponse, DIRECTORY_OBJECT)


async def fetch(graph: GraphServiceClient, request: RequestInformation, model: type[M]) -> M | None:
    """Send `request` (from an SDK request builder's `to_*_request_information`) and parse the
    answer as `model`; None for an answer with no body. Errors raise as the builders' do."""
    return await graph.request_adapter.send_async(request, model, ERROR_MAPPING)
