"""Client secrets of an OIDC app: `/api/v1/apps/{appId}/credentials/secrets[...]`.

Okta's rules, kept by the store: at most two secrets per app (E0000001 "You have reached the
maximum number of client secrets per client."), the only ACTIVE secret can't be deactivated,
an ACTIVE secret can't be deleted. A create answers 201 with the new secret's value.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.okta import errors
from sandbox.okta.render import json_answer, org_base, read_json, secret_json
from sandbox.okta.routes_apps import check_client_secret
from sandbox.okta.store import OktaStore

SECRETS = "/api/v1/apps/{app_id}/credentials/secrets"


def secret_routes(store: OktaStore) -> list[Route]:
    async def list_secrets(request: Request) -> Response:
        base = org_base(request)
        return json_answer([secret_json(s, base) for s in store.secrets(request.path_params["app_id"])])

    async def create(request: Request) -> Response:
        app_id = request.path_params["app_id"]
        app = store.get_oidc_app(app_id)
        body = await read_json(request) or {}
        if not isinstance(body, dict):
            raise errors.malformed_body()
        if body.get("status") not in (None, "ACTIVE", "INACTIVE"):
            raise errors.validation_failed("status", "status: must be one of ACTIVE or INACTIVE.")
        value = body.get("client_secret")
        if value is not None:
            check_client_secret(value, app.token_endpoint_auth_method)
        secret = store.create_secret(app_id, value)
        return json_answer(secret_json(secret, org_base(request)), status=201)

    async def read(request: Request) -> Response:
        secret = store.get_secret(request.path_params["app_id"], request.path_params["secret_id"])
        return json_answer(secret_json(secret, org_base(request)))

    async def delete(request: Request) -> Response:
        store.delete_secret(request.path_params["app_id"], request.path_params["secret_id"])
        return Response(status_code=204)

    async def activate(request: Request) -> Response:
        secret = store.activate_secret(request.path_params["app_id"], request.path_params["secret_id"])
        return json_answer(secret_json(secret, org_base(request)))

    async def deactivate(request: Request) -> Response:
        secret = store.deactivate_secret(request.path_params["app_id"], request.path_params["secret_id"])
        return json_answer(secret_json(secret, org_base(request)))

    return [
        Route(SECRETS, list_secrets, methods=["GET"]),
        Route(SECRETS, create, methods=["POST"]),
        Route(SECRETS + "/{secret_id}", read, methods=["GET"]),
        Route(SECRETS + "/{secret_id}", delete, methods=["DELETE"]),
        Route(SECRETS + "/{secret_id}/lifecycle/activate", activate, methods=["POST"]),
        Route(SECRETS + "/{secret_id}/lifecycle/deactivate", deactivate, methods=["POST"]),
    ]
