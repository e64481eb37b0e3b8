"""`/servicePrincipals`: enterprise applications, who is assigned to them (appRoleAssignedTo), their
SAML token-signing certificates (addTokenSigningCertificate, and `keyCredentials` by PATCH), their
passwords (addPassword, removePassword; PATCH cannot set passwordCredentials), and
`/applicationTemplates/{id}/instantiate`, which makes an application with its service principal
(the non-gallery template)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.graph.odata import (
    collection_response,
    entity_response,
    graph_route,
    no_content,
    parse_query,
    read_json,
    selected_entity_response,
)
from sandbox.graph.store import GraphTenant
from sandbox.graph.validation import password_key_id

_FILTERABLE = ("id", "appId", "displayName", "servicePrincipalType", "accountEnabled")
_ASSIGNMENT_FILTERABLE = ("principalId", "principalType", "appRoleId")
_PREFIX = "/v1.0/servicePrincipals"
_TEMPLATES = "/v1.0/applicationTemplates"


def service_principal_routes(store: GraphTenant) -> list[Route]:
    async def list_service_principals(request: Request) -> Response:
        query = parse_query(request, "servicePrincipal", _FILTERABLE)
        items = [sp for sp in store.list_service_principals() if query.matches(sp)]
        return collection_response(request, items, query, "servicePrincipals")

    async def create_service_principal(request: Request) -> Response:
        service_principal = store.create_service_principal(await read_json(request))
        return entity_response(request, service_principal, "servicePrincipals/$entity", status=201)

    def _object_id(request: Request) -> str:
        if "app_id" in request.path_params:
            return store.get_service_principal_by_app_id(request.path_params["app_id"])["id"]
        return request.path_params["object_id"]

    async def get_service_principal(request: Request) -> Response:
        query = parse_query(request, "servicePrincipal")
        with_keys = "keyCredentials" in query.select  # the only read that returns certificates
        service_principal = store.get_service_principal(_object_id(request), with_keys=with_keys)
        return selected_entity_response(request, service_principal, "servicePrincipals", query)

    async def update_service_principal(request: Request) -> Response:
        object_id = _object_id(request)
        store.update_service_principal(object_id, await read_json(request))
        return no_content(request)

    async def delete_service_principal(request: Request) -> Response:
        store.delete_service_principal(_object_id(request))
        return no_content(request)

    def _assignments_context(request: Request) -> str:
        return f"servicePrincipals('{request.path_params['object_id']}')/appRoleAssignedTo"

    async def list_assignments(request: Request) -> Response:
        query = parse_query(request, "appRoleAssignment", _ASSIGNMENT_FILTERABLE)
        items = [a for a in store.list_assignments(request.path_params["object_id"]) if query.matches(a)]
        return collection_response(request, items, query, _assignments_context(request))

    async def create_assignment(request: Request) -> Response:
        assignment = store.create_assignment(request.path_params["object_id"], await read_json(request))
        return entity_response(request, assignment, _assignments_context(request) + "/$entity", status=201)

    async def get_assignment(request: Request) -> Response:
        path = request.path_params
        assignment = store.get_assignment(path["object_id"], path["assignment_id"])
        return entity_response(request, assignment, _assignments_context(request) + "/$entity")

    async def delete_assignment(request: Request) -> Response:
        store.delete_assignment(request.path_params["object_id"], request.path_params["assignment_id"])
        return no_content(request)

    async def add_token_signing_certificate(request: Request) -> Response:
        certificate = store.add_token_signing_certificate(_object_id(request), await read_json(request))
        return entity_response(request, certificate, "microsoft.graph.selfSignedCertificate")

    async def add_password(request: Request) -> Response:
        credential = store.add_service_principal_password(_object_id(request), await read_json(request))
        return entity_response(request, credential, "microsoft.graph.passwordCredential")

    async def remove_password(request: Request) -> Response:
        key_id = password_key_id(await read_json(request))
        store.remove_service_principal_password(_object_id(request), key_id)
        return no_content(request)

    async def instantiate(request: Request) -> Response:
        made = store.instantiate_template(request.path_params["template_id"], await read_json(request))
        return entity_response(request, made, "microsoft.graph.applicationServicePrincipal", status=201)

    item = {
        "GET": get_service_principal,
        "PATCH": update_service_principal,
        "DELETE": delete_service_principal,
    }
    tokens = lambda: store.read_only_tokens  # noqa: E731
    return [
        graph_route(_PREFIX, {"GET": list_service_principals, "POST": create_service_principal}, tokens),
        graph_route(_PREFIX + "(appId='{app_id}')", item, tokens),
        graph_route(_PREFIX + "/{object_id}", item, tokens),
        graph_route(
            _PREFIX + "/{object_id}/addTokenSigningCertificate",
            {"POST": add_token_signing_certificate},
            tokens,
        ),
        *(
            graph_route(item_path + action, {"POST": handler}, tokens)
            for item_path in (_PREFIX + "/{object_id}", _PREFIX + "(appId='{app_id}')")
            for action, handler in (("/addPassword", add_password), ("/removePassword", remove_password))
        ),
        graph_route(_TEMPLATES + "/{template_id}/instantiate", {"POST": instantiate}, tokens),
        graph_route(
            _PREFIX + "/{object_id}/appRoleAssignedTo",
            {"GET": list_assignments, "POST": create_assignment},
            tokens,
        ),
        graph_route(
            _PREFIX + "/{object_id}/appRoleAssignedTo/{assignment_id}",
            {"GET": get_assignment, "DELETE": delete_assignment},
            tokens,
        ),
    ]
