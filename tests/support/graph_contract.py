"""Graph's contract, checked on what the Graph stand-in actually served.

`GraphResponseRecorder` wraps the stand-in's ASGI app and keeps every JSON body it sends under
`/v1.0`; `contract_violations` parses each through msgraph-sdk's model for it (chosen by the
body's `@odata.context`, or `ODataError` for an error) and reports what the model does not
take: a property it does not know (left in `additional_data`, at any depth), a value of the
wrong type (the parser fails), or a value the model drops (present in the body, absent when the
model is written back). A stand-in that grows a field Graph does not have, or a wrong shape,
fails the tests that ran it.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

from kiota_abstractions.serialization import Parsable
from kiota_serialization_json.json_parse_node_factory import JsonParseNodeFactory
from kiota_serialization_json.json_serialization_writer import JsonSerializationWriter
from msgraph.generated.models.app_role_assignment import AppRoleAssignment
from msgraph.generated.models.app_role_assignment_collection_response import (
    AppRoleAssignmentCollectionResponse,
)
from msgraph.generated.models.application import Application
from msgraph.generated.models.application_collection_response import ApplicationCollectionResponse
from msgraph.generated.models.application_service_principal import ApplicationServicePrincipal
from msgraph.generated.models.directory_object_collection_response import DirectoryObjectCollectionResponse
from msgraph.generated.models.group import Group
from msgraph.generated.models.group_collection_response import GroupCollectionResponse
from msgraph.generated.models.o_auth2_permission_grant import OAuth2PermissionGrant
from msgraph.generated.models.o_auth2_permission_grant_collection_response import (
    OAuth2PermissionGrantCollectionResponse,
)
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.password_credential import PasswordCredential
from msgraph.generated.models.self_signed_certificate import SelfSignedCertificate
from msgraph.generated.models.service_principal import ServicePrincipal
from msgraph.generated.models.service_principal_collection_response import ServicePrincipalCollectionResponse
from msgraph.generated.models.user import User
from msgraph.generated.models.user_collection_response import UserCollectionResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ENTITY_MODELS: dict[str, type[Parsable]] = {
    "applications": Application,
    "servicePrincipals": ServicePrincipal,
    "appRoleAssignedTo": AppRoleAssignment,
    "users": User,
    "groups": Group,
    "microsoft.graph.passwordCredential": PasswordCredential,
    "oauth2PermissionGrants": OAuth2PermissionGrant,
    "microsoft.graph.applicationServicePrincipal": ApplicationServicePrincipal,
    "microsoft.graph.selfSignedCertificate": SelfSignedCertificate,
}
"""`@odata.context` fragment (its last segment, `$select` list dropped) -> the entity's model."""
COLLECTION_MODELS: dict[str, type[Parsable]] = {
    "applications": ApplicationCollectionResponse,
    "servicePrincipals": ServicePrincipalCollectionResponse,
    "appRoleAssignedTo": AppRoleAssignmentCollectionResponse,
    "users": UserCollectionResponse,
    "groups": GroupCollectionResponse,
    "directoryObjects": DirectoryObjectCollectionResponse,
    "oauth2PermissionGrants": OAuth2PermissionGrantCollectionResponse,
}
_CONTROL = ("@odata.context",)
"""OData control information on a response's top level, which no model holds."""


@dataclass(frozen=True)
class ServedBody:
    method: str
    path: str
    status: int
    body: bytes

    def label(self) -> str:
        return f"{self.status} {self.method} {self.path}"


class GraphResponseRecorder:
    """An ASGI wrapper that keeps the JSON bodies the wrapped Graph app sends under `/v1.0`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.responses: list[ServedBody] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/v1.0/"):
            await self.app(scope, receive, send)
            return
        status, is_json, chunks = 0, False, []

        async def recording(message: Message) -> None:
            nonlocal status, is_json
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = dict(message.get("headers") or [])
                is_json = headers.get(b"content-type", b"").startswith(b"application/json")
            elif message["type"] == "http.response.body" and is_json:
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    body = b"".join(chunks)
                    self.responses.append(ServedBody(scope["method"], scope["path"], status, body))
            await send(message)

        await self.app(scope, receive, recording)


def contract_violations(responses: list[ServedBody]) -> list[str]:
    """One line per way a served body departs from msgraph-sdk's model for it; empty if none."""
    problems: list[str] = []
    for served in responses:
        document = json.loads(served.body)
        model_type = _model_for(document)
        if model_type is None:
            problems.append(
                f"{served.label()}: no msgraph model for @odata.context {document.get('@odata.context')!r}"
            )
            continue
        try:
            model = (
                JsonParseNodeFactory()
                .get_root_parse_node("application/json", served.body)
                .get_object_value(model_type)
            )
        except Exception as exc:  # the parser's failure is the finding
            problems.append(f"{served.label()}: {model_type.__name__} cannot parse it: {exc!r}")
            continue
        found = _unknown_properties(model, model_type.__name__, top=True)
        found += _dropped_values(document, _written_back(model), model_type.__name__)
        problems.extend(f"{served.label()}: {finding}" for finding in found)
    return problems


def _model_for(document: dict[str, Any]) -> type[Parsable] | None:
    if "error" in document and "@odata.context" not in document:
        return ODataError
    fragment = str(document.get("@odata.context", "")).partition("#")[2]
    entity = fragment.endswith("/$entity")
    name = fragment.removesuffix("/$entity").split("/")[-1].split("(")[0]
    return (ENTITY_MODELS if entity or "." in name else COLLECTION_MODELS).get(name)


def _unknown_properties(model: Parsable, where: str, *, top: bool = False) -> list[str]:
    """Properties the model left in `additional_data`, here and in every nested model."""
    extra = {
        k: v
        for k, v in (getattr(model, "additional_data", None) or {}).items()
        if not (top and k in _CONTROL)
    }
    found = [f"{where} does not know {sorted(extra)}"] if extra else []
    for field in dataclasses.fields(model):  # type: ignore[arg-type]
        value = getattr(model, field.name)
        items = value if isinstance(value, list) else [value]
        for index, item in enumerate(items):
            if isinstance(item, Parsable):
                suffix = f"[{index}]" if isinstance(value, list) else ""
                found += _unknown_properties(item, f"{where}.{field.name}{suffix}")
    return found


def _written_back(model: Parsable) -> Any:
    writer = JsonSerializationWriter()
    writer.write_object_value(None, model)
    return json.loads(writer.get_serialized_content())


def _dropped_values(sent: Any, kept: Any, where: str) -> list[str]:
    """Non-null values in the served body that the model did not keep (a type it did not take)."""
    if isinstance(sent, dict):
        if not isinstance(kept, dict):
            return [f"{where}: an object became {kept!r}"]
        found: list[str] = []
        for key, value in sent.items():
            if value is None or key in _CONTROL:
                continue
            if kept.get(key) is None:
                found.append(f"{where}.{key}: {value!r} was dropped by the model")
            else:
                found += _dropped_values(value, kept[key], f"{where}.{key}")
        return found
    if isinstance(sent, list):
        if not isinstance(kept, list) or len(kept) != len(sent):
            return [f"{where}: the list {sent!r} became {kept!r}"]
        return [
            problem
            for index, item in enumerate(sent)
            for problem in _dropped_values(item, kept[index], f"{where}[{index}]")
        ]
    if isinstance(kept, (dict, list)):
        return [f"{where}: the value {sent!r} became {kept!r}"]
    return []
