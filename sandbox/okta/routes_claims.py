"""The legacy groups claim of an OIDC app: `/api/v1/internal/apps/{appId}/settings/oauth/idToken`.

This is the admin console's internal endpoint behind Sign On > Token claims > "Show legacy
configuration" > Groups claim type "Filter". GET answers the issuer context (issuer, orgUrl,
audience, issuerMode) and, once a claim is set, valueType, groupFilterType, name and value;
POST sets it. Okta serves it to SSWS API tokens only, so the edge refuses OAuth access tokens.
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.okta import errors
from sandbox.okta.render import groups_claim_json, json_answer, org_base, read_json
from sandbox.okta.store import GroupsClaim, OktaStore

CLAIM_PATH = "/api/v1/internal/apps/{app_id}/settings/oauth/idToken"
FILTER_TYPES = ("STARTS_WITH", "EQUALS", "CONTAINS", "REGEX")
VALUE_TYPES = ("GROUPS", "EXPRESSION")
ISSUER_MODES = ("ORG_URL", "CUSTOM_URL", "DYNAMIC")


def claim_routes(store: OktaStore) -> list[Route]:
    async def read(request: Request) -> Response:
        app_id = request.path_params["app_id"]
        app = store.get_oidc_app(app_id)
        return json_answer(groups_claim_json(store.groups_claim(app_id), app, org_base(request)))

    async def write(request: Request) -> Response:
        app_id = request.path_params["app_id"]
        app = store.get_oidc_app(app_id)
        claim = store.set_groups_claim(app_id, parse_claim(await read_json(request)))
        return json_answer(groups_claim_json(claim, app, org_base(request)))

    return [Route(CLAIM_PATH, read, methods=["GET"]), Route(CLAIM_PATH, write, methods=["POST"])]


def parse_claim(body: object) -> GroupsClaim:
    if not isinstance(body, dict):
        raise errors.malformed_body()
    value_type = body.get("valueType")
    if value_type not in VALUE_TYPES:
        raise errors.validation_failed("valueType", f"valueType: must be one of {', '.join(VALUE_TYPES)}.")
    filter_type = body.get("groupFilterType", "")
    if value_type == "GROUPS" and filter_type not in FILTER_TYPES:
        raise errors.validation_failed(
            "groupFilterType", f"groupFilterType: must be one of {', '.join(FILTER_TYPES)}."
        )
    issuer_mode = body.get("issuerMode", "ORG_URL")
    if issuer_mode not in ISSUER_MODES:
        raise errors.validation_failed("issuerMode", f"issuerMode: must be one of {', '.join(ISSUER_MODES)}.")
    name, value = body.get("name"), body.get("value")
    for key, given in (("name", name), ("value", value)):
        if not isinstance(given, str) or not given.strip():
            raise errors.validation_failed(key, f"{key}: The field cannot be left blank.")
    if filter_type == "REGEX":
        try:
            re.compile(value)
        except re.error as exc:
            raise errors.validation_failed(
                "value", f"value: '{value}' is not a valid regular expression."
            ) from exc
    return GroupsClaim(value_type, filter_type if value_type == "GROUPS" else "", issuer_mode, name, value)
