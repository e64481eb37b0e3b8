"""Public keys of an OIDC app for private_key_jwt: `/api/v1/apps/{appId}/credentials/jwks[...]`.

The rules and error words live in `client_jwks`; a create answers 201 with the key as stored.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.okta.client_jwks import parsed_jwk
from sandbox.okta.render import json_answer, jwk_json, org_base, read_json
from sandbox.okta.store import OktaStore

JWKS = "/api/v1/apps/{app_id}/credentials/jwks"


def jwks_routes(store: OktaStore) -> list[Route]:
    async def list_keys(request: Request) -> Response:
        base = org_base(request)
        return json_answer([jwk_json(key, base) for key in store.jwks(request.path_params["app_id"])])

    async def add(request: Request) -> Response:
        app_id = request.path_params["app_id"]
        store.get_app(app_id)  # 404 for an unknown app before the body is judged
        key = store.add_jwk(app_id, parsed_jwk(await read_json(request)))
        return json_answer(jwk_json(key, org_base(request)), status=201)

    async def read(request: Request) -> Response:
        key = store.get_jwk(request.path_params["app_id"], request.path_params["key_id"])
        return json_answer(jwk_json(key, org_base(request)))

    async def delete(request: Request) -> Response:
        store.delete_jwk(request.path_params["app_id"], request.path_params["key_id"])
        return Response(status_code=204)

    def lifecycle(status: str):
        async def change(request: Request) -> Response:
            key = store.set_jwk_status(request.path_params["app_id"], request.path_params["key_id"], status)
            return json_answer(jwk_json(key, org_base(request)))

        return change

    return [
        Route(JWKS, list_keys, methods=["GET"]),
        Route(JWKS, add, methods=["POST"]),
        Route(JWKS + "/{key_id}", read, methods=["GET"]),
        Route(JWKS + "/{key_id}", delete, methods=["DELETE"]),
        Route(JWKS + "/{key_id}/lifecycle/activate", lifecycle("ACTIVE"), methods=["POST"]),
        Route(JWKS + "/{key_id}/lifecycle/deactivate", lifecycle("INACTIVE"), methods=["POST"]),
    ]
