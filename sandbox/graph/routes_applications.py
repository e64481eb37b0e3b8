"""`/applications`: app registrations, their client secrets (addPassword / removePassword) and
certificates (`keyCredentials`, whose `key` only a `$select` of them on one application returns)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.graph.odata import (
    GraphError,
    collection_response,
    entity_response,
    graph_route,
    no_content,
    parse_query,
    read_json,
    selected_entity_response,
)
from sandbox.graph.store import GraphTenant, apply_patch
from sandbox.graph.validation import application_changes, check_access_token_version, password_key_id

_FILTERABLE = ("id", "appId", "displayName", "uniqueName", "signInAudience", "publisherDomain")
_PREFIX = "/v1.0/applications"


def application_routes(store: GraphTenant) -> list[Route]:
    def find_resource(app_id: str) -> dict | None:
        try:
            return store.get_service_principal_by_app_id(app_id)
        except GraphError:
            return None

    async def list_applications(request: Request) -> Response:
        query = parse_query(request, "application", _FILTERABLE)
        items = [app for app in store.list_applications() if query.matches(app)]
        return collection_response(request, items, query, "applications")

    async def create_application(request: Request) -> Response:
        changes = application_changes(await read_json(request), creating=True, find_resource=find_resource)
        check_access_token_version(changes.get("signInAudience", "AzureADMyOrg"), changes.get("api"))
        application = store.create_application(changes)
        return entity_response(request, application, "applications/$entity", status=201)

    def _object_id(request: Request) -> str:
        if "app_id" in request.path_params:
            return store.application_object_id(request.path_params["app_id"])
        return request.path_params["object_id"]

    async def get_application(request: Request) -> Response:
        query = parse_query(request, "application")
        with_keys = "keyCredentials" in query.select  # the only read that returns certificates
        if "app_id" in request.path_params:
            application = store.get_application_by_app_id(request.path_params["app_id"], with_keys=with_keys)
        else:
            application = store.get_application(request.path_params["object_id"], with_keys=with_keys)
        return selected_entity_response(request, application, "applications", query)

    async def update_application(request: Request) -> Response:
        object_id = _object_id(request)
        changes = application_changes(await read_json(request), creating=False, find_resource=find_resource)
        if "signInAudience" in changes or "api" in changes:
            patched = store.get_application(object_id)
            apply_patch(patched, changes)
            check_access_token_version(patched["signInAudience"], patched["api"])
        store.update_application(object_id, changes)
        return no_content(request)

    async def delete_application(request: Request) -> Response:
        store.delete_application(_object_id(request))
        return no_content(request)

    async def add_password(request: Request) -> Response:
        credential = store.add_password(_object_id(request), await read_json(request))
        return entity_response(request, credential, "microsoft.graph.passwordCredential")

    async def remove_password(request: Request) -> Response:
        key_id = password_key_id(await read_json(request))
        store.remove_password(_object_id(request), key_id)
        return no_content(request)

    item = {"GET": get_application, "PATCH": update_application, "DELETE": delete_application}
    tokens = lambda: store.read_only_tokens  # noqa: E731
    return [
        graph_route(_PREFIX, {"GET": list_applications, "POST": create_application}, tokens),
        graph_route(_PREFIX + "(appId='{app_id}')", item, tokens),
        graph_route(_PREFIX + "/{object_id}", item, tokens),
        *(
            graph_route(item_path + action, {"POST": handler}, tokens)
            for item_path in (_PREFIX + "/{object_id}", _PREFIX + "(appId='{app_id}')")
            for action, handler in (("/addPassword", add_password), ("/removePassword", remove_password))
        ),
    ]
