"""`/organizations/{id}` and `/connections[/{id}]`: the calls the workos SDK's `organizations`
and `sso` resources make (GET/POST /connections, GET/PATCH/DELETE /connections/{id},
GET /organizations/{id}, GET/POST /connections/{id}/saml_idp_signing_certs and DELETE
.../saml_idp_signing_certs/{certificate_id}).

POST /connections makes OIDC connections (`oidc_options`) and SAML ones (`saml_options`: the IdP's
metadata URL, imported as a PATCH imports it, or the manual IdP fields). A SAML connection can also
be made as in the dashboard (`WorkosStore.add_saml_connection`); either is then configured through
PATCH `saml_options` and the signing certificates endpoints (saml.py).

A deleted connection stays readable in state `deleting` until its deletion completes (see
`store.py`); a PATCH or DELETE meanwhile answers 409 `connection_deletion_in_progress`, and a
create naming its external_id gets it back as it is, as documented for any existing external_id.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.workos.saml import (
    SAML_CONNECTION_TYPES,
    add_certificate,
    apply_saml_patch,
    check_saml_create,
    check_saml_patch,
    read_metadata,
    remove_certificate,
    saml_options_of,
)
from sandbox.workos.store import Connection, OidcOptions, WorkosStore, generated_saml_options
from sandbox.workos.wire import (
    IdempotencyKeys,
    check_url,
    invalid_parameters,
    json_response,
    new_id,
    no_content,
    not_found,
    read_json,
    rule_error,
    timestamp,
    workos_route,
)

OIDC_CONNECTION_TYPES = frozenset(
    {"GenericOIDC", "EntraIdOIDC", "OktaOIDC", "GoogleOIDC", "AdpOidc", "CleverOIDC", "LoginGovOidc"}
)
TOKEN_AUTH_METHODS = frozenset({"client_secret_post", "client_secret_basic", "private_key_jwt"})
SECRET_METHODS = frozenset({"client_secret_post", "client_secret_basic"})
_OIDC_EXTRA_KEYS = frozenset(
    {"pkce", "id_token_signature_algorithm", "fetch_user_info", "jwt_signing_key_pair"}
)
_OIDC_KEYS = frozenset(
    {"discovery_endpoint", "client_id", "client_secret", "redirect_uri", "token_authentication_method"}
    | _OIDC_EXTRA_KEYS
)
MAX_PAGE = 100
STANDARD_ATTRIBUTES = frozenset({"idp_id", "email", "first_name", "last_name", "name"})
"""Profile fields attribute_maps.standard_attributes can map besides groups."""


def api_routes(store: WorkosStore, api_keys: Collection[str], idempotency: IdempotencyKeys) -> list[Route]:
    def route(path: str, **handlers: Any) -> Route:
        return workos_route(path, {m.upper(): h for m, h in handlers.items()}, api_keys, idempotency)

    # ------------------------------------------------------------------ organizations

    async def get_organization(request: Request) -> Response:
        org_id = request.path_params["id"]
        organization = store.organization(org_id)
        if organization is None:
            raise not_found("Organization", org_id)
        return json_response(request, organization.to_json())

    # ------------------------------------------------------------------ connections

    async def create_connection(request: Request) -> Response:
        body = await read_json(request)
        org_id = body.get("organization_id")
        if not isinstance(org_id, str) or not org_id:
            raise invalid_parameters(
                ("organization_id_required", "organization_id must be a non-empty string")
            )
        organization = store.organization(org_id)
        if organization is None:
            raise not_found("Organization", org_id)
        connection_type = _creatable_type(body)
        name = _optional_text(body, "name") or organization.name
        external_id = _optional_text(body, "external_id")
        groups_attribute = _groups_attribute(body) or "groups"
        attribute_map = _standard_attributes(body)
        custom_attribute_map = _custom_attributes(body, {}, creating=True)
        oidc, saml, metadata, certificates = None, None, None, []
        if connection_type in SAML_CONNECTION_TYPES:
            saml, certificates = check_saml_create(body["saml_options"])
        else:
            oidc = _new_oidc_options(body["oidc_options"])

        def existing() -> Connection | None:
            """Documented: a create whose external_id exists returns that connection unchanged."""
            return None if external_id is None else store.by_external_id(org_id, external_id)

        if saml is not None and saml.get("idp_metadata_url") is not None and existing() is None:
            metadata = await read_metadata(saml["idp_metadata_url"])
        with store.lock:
            found = existing()
            if found is not None:
                return json_response(request, found.to_json(), 200)
            connection = Connection(
                id=new_id("conn"),
                organization_id=org_id,
                connection_type=connection_type,
                name=name,
                oidc=oidc,
                external_id=external_id,
                groups_attribute=groups_attribute,
                attribute_map=attribute_map,
                custom_attribute_map=custom_attribute_map,
            )
            if saml is not None:
                connection.saml = generated_saml_options(str(request.base_url))
                apply_saml_patch(connection.saml, saml, metadata)
                connection.saml.certificates.extend(certificates)
            store.insert(connection)
        return json_response(request, connection.to_json(), 201)

    async def list_connections(request: Request) -> Response:
        """Filtered by organization_id, connection_type and search (a name substring), ordered by
        creation (`order`, desc by default), paged by the `after` or `before` cursor (a connection
        id): a page's list_metadata names the cursors of the pages on either side, null at an end.
        `domain` is refused: the stand-in's connections have no domains."""
        query = request.query_params
        limit = _limit(query.get("limit"))
        if query.get("domain"):
            raise rule_error("invalid_request", "The stand-in's connections have no domains to filter by.")
        if query.get("before") and query.get("after"):
            raise invalid_parameters(("invalid_cursor", "Provide before or after, not both."))
        order = query.get("order", "desc")
        if order not in ("asc", "desc"):
            raise invalid_parameters(("invalid_order", "order must be asc or desc"))
        with store.lock:
            items = [
                c
                for c in store.connections.values()
                if (not query.get("organization_id") or c.organization_id == query["organization_id"])
                and (not query.get("connection_type") or c.connection_type == query["connection_type"])
                and (not query.get("search") or query["search"].lower() in c.name.lower())
            ]
        if order == "desc":
            items.reverse()
        ids = [c.id for c in items]
        if query.get("after"):
            start = ids.index(query["after"]) + 1 if query["after"] in ids else len(items)
            page = items[start : start + limit]
        elif query.get("before"):
            end = ids.index(query["before"]) if query["before"] in ids else 0
            start = max(0, end - limit)
            page = items[start:end]
        else:
            start, page = 0, items[:limit]
        first = ids.index(page[0].id) if page else start
        return json_response(
            request,
            {
                "object": "list",
                "data": [c.to_json() for c in page],
                "list_metadata": {
                    "before": page[0].id if page and first > 0 else None,
                    "after": page[-1].id if page and first + len(page) < len(items) else None,
                },
            },
        )

    async def get_connection(request: Request) -> Response:
        return json_response(request, _connection(store, request).to_json())

    async def update_connection(request: Request) -> Response:
        body = await read_json(request)
        saml = None if body.get("saml_options") is None else check_saml_patch(body["saml_options"])
        metadata = None
        if saml is not None and saml.get("idp_metadata_url") is not None:
            saml_options_of(_changeable_connection(store, request))  # before fetching anything
            metadata = await read_metadata(saml["idp_metadata_url"])
        with store.lock:
            connection = _changeable_connection(store, request)
            if "connection_type" in body and body["connection_type"] != connection.connection_type:
                raise rule_error(
                    "connection_type_not_updatable",
                    f"The type of connection '{connection.id}' is {connection.connection_type} and cannot "
                    "be changed.",
                )
            if body.get("oidc_options") is not None and connection.oidc is None:
                raise rule_error(
                    "connection_is_not_oidc", f"Connection '{connection.id}' is not an OIDC connection."
                )
            if saml is not None:
                saml_options_of(connection)
            name = _optional_text(body, "name")
            external_id = connection.external_id
            if "external_id" in body:
                external_id = _optional_text(body, "external_id")
                other = store.by_external_id(connection.organization_id, external_id) if external_id else None
                if other is not None and other.id != connection.id:
                    raise rule_error(
                        "external_id_already_used",
                        f"external_id '{external_id}' is already used by connection '{other.id}'.",
                        409,
                    )
            oidc = connection.oidc
            if body.get("oidc_options") is not None and connection.oidc is not None:
                oidc = _patched_oidc_options(connection.oidc, body["oidc_options"])
            groups_attribute = _groups_attribute(body) or connection.groups_attribute
            attribute_map = {**connection.attribute_map, **_standard_attributes(body)}
            custom_attribute_map = _custom_attributes(body, connection.custom_attribute_map, creating=False)
            # Validated in full above: apply all or nothing.
            connection.name = name or connection.name
            connection.groups_attribute = groups_attribute
            connection.attribute_map = attribute_map
            connection.custom_attribute_map = custom_attribute_map
            connection.external_id = external_id
            connection.oidc = oidc
            if saml is not None and connection.saml is not None:
                apply_saml_patch(connection.saml, saml, metadata)
                if connection.saml.idp_sso_url and connection.saml.certificates:
                    connection.state = "active"
            connection.updated_at = timestamp()
            return json_response(request, connection.to_json())

    async def delete_connection(request: Request) -> Response:
        with store.lock:
            store.delete_connection(_changeable_connection(store, request).id)
        return no_content(request)

    async def list_idp_signing_certs(request: Request) -> Response:
        options = saml_options_of(_connection(store, request))
        return json_response(request, {"object": "list", "data": [c.to_json() for c in options.certificates]})

    async def create_idp_signing_cert(request: Request) -> Response:
        body = await read_json(request)
        with store.lock:
            connection = _changeable_connection(store, request)
            certificate = add_certificate(saml_options_of(connection), body)
            connection.updated_at = timestamp()
        return json_response(request, certificate.to_json(), 201)

    async def delete_idp_signing_cert(request: Request) -> Response:
        with store.lock:
            remove_certificate(_changeable_connection(store, request), request.path_params["certificate_id"])
        return no_content(request)

    certificates = "/connections/{id}/saml_idp_signing_certs"
    return [
        route(certificates, get=list_idp_signing_certs, post=create_idp_signing_cert),
        route(certificates + "/{certificate_id}", delete=delete_idp_signing_cert),
        route("/organizations/{id}", get=get_organization),
        route("/connections", get=list_connections, post=create_connection),
        route("/connections/{id}", get=get_connection, patch=update_connection, delete=delete_connection),
    ]


def _connection(store: WorkosStore, request: Request) -> Connection:
    conn_id = request.path_params["id"]
    connection = store.connection(conn_id)
    if connection is None:
        raise not_found("Connection", conn_id)
    return connection


def _changeable_connection(store: WorkosStore, request: Request) -> Connection:
    connection = _connection(store, request)
    if connection.deleting:
        raise rule_error(
            "connection_deletion_in_progress",
            f"Connection '{connection.id}' is being deleted and can no longer be changed.",
            409,
        )
    return connection


def _creatable_type(body: dict[str, Any]) -> str:
    """The connection type a create asks for, agreeing with the options it sends: a SAML type with
    `saml_options` (GenericSAML when left out), an OIDC type with `oidc_options` (GenericOIDC)."""
    has_oidc, has_saml = body.get("oidc_options") is not None, body.get("saml_options") is not None
    if has_oidc and has_saml:
        raise rule_error(
            "both_saml_and_oidc_options_provided", "Provide saml_options or oidc_options, not both."
        )
    connection_type = body.get("connection_type")
    if connection_type is not None and not isinstance(connection_type, str):
        raise invalid_parameters(("invalid_connection_type", "connection_type must be a string"))
    if connection_type is not None and connection_type not in OIDC_CONNECTION_TYPES | SAML_CONNECTION_TYPES:
        raise rule_error(
            "connection_type_not_supported",
            f"Connections of type {connection_type} cannot be created through the API; only SAML and "
            "OIDC connection types can.",
        )
    if connection_type is None:
        if not (has_oidc or has_saml):
            raise rule_error(
                "connection_type_or_options_required",
                "Provide connection_type, saml_options or oidc_options.",
            )
        connection_type = "GenericSAML" if has_saml else "GenericOIDC"
    saml_type = connection_type in SAML_CONNECTION_TYPES
    if not (has_saml if saml_type else has_oidc):
        options = "saml_options" if saml_type else "oidc_options"
        raise rule_error(f"{options}_required", f"A {connection_type} connection needs {options}.")
    if has_oidc and not isinstance(body["oidc_options"], dict):
        raise invalid_parameters(("invalid_oidc_options", "oidc_options must be an object"))
    return connection_type


def _new_oidc_options(raw: dict[str, Any]) -> OidcOptions:
    _refuse_unknown_keys(raw)
    if not isinstance(raw.get("client_id"), str) or not raw["client_id"]:
        raise invalid_parameters(("client_id_required", "oidc_options.client_id must be a non-empty string"))
    options = OidcOptions(
        discovery_endpoint=check_url(
            raw.get("discovery_endpoint"),
            "discovery_endpoint",
            https_code="discovery_endpoint_must_use_https",
        ),
        client_id=raw["client_id"],
    )
    return _apply_oidc_fields(options, raw)


def _patched_oidc_options(current: OidcOptions, raw: Any) -> OidcOptions:
    if not isinstance(raw, dict):
        raise invalid_parameters(("invalid_oidc_options", "oidc_options must be an object"))
    _refuse_unknown_keys(raw)
    options = OidcOptions(**{**current.__dict__, "extra": dict(current.extra)})
    if "discovery_endpoint" in raw:
        options.discovery_endpoint = check_url(
            raw["discovery_endpoint"], "discovery_endpoint", https_code="discovery_endpoint_must_use_https"
        )
    if "client_id" in raw:
        if not isinstance(raw["client_id"], str) or not raw["client_id"]:
            raise invalid_parameters(
                ("client_id_required", "oidc_options.client_id must be a non-empty string")
            )
        options.client_id = raw["client_id"]
    return _apply_oidc_fields(options, raw)


def _apply_oidc_fields(options: OidcOptions, raw: dict[str, Any]) -> OidcOptions:
    """client_secret, redirect_uri (null reverts to WorkOS's own), the auth method and the rest."""
    if "redirect_uri" in raw:
        value = raw["redirect_uri"]
        options.redirect_uri = None if value is None else check_url(value, "redirect_uri")
    method = raw.get("token_authentication_method", options.token_authentication_method)
    if method not in TOKEN_AUTH_METHODS:
        raise rule_error(
            "token_authentication_method_not_supported",
            f"token_authentication_method {method!r} is not supported.",
        )
    options.token_authentication_method = method
    if raw.get("client_secret") is not None:
        if not isinstance(raw["client_secret"], str) or not raw["client_secret"]:
            raise invalid_parameters(
                ("client_secret_invalid", "oidc_options.client_secret must be a non-empty string")
            )
        if method not in SECRET_METHODS:
            raise rule_error(
                "client_secret_not_accepted", "private_key_jwt connections take no client_secret."
            )
        options.client_secret = raw["client_secret"]
    if method in SECRET_METHODS and not options.client_secret:
        raise rule_error("client_secret_required", f"{method} needs oidc_options.client_secret.")
    if method not in SECRET_METHODS:
        options.client_secret = None
    options.extra.update({k: v for k, v in raw.items() if k in _OIDC_EXTRA_KEYS})
    return options


def _refuse_unknown_keys(raw: dict[str, Any]) -> None:
    unknown = sorted(set(raw) - _OIDC_KEYS)
    if unknown:
        raise invalid_parameters(
            *((f"unknown_{key}", f"oidc_options.{key} is not a known option") for key in unknown)
        )


def _attribute_maps(body: dict[str, Any], part: str) -> dict[str, Any]:
    """`attribute_maps.<part>` (standard_attributes or custom_attributes); {} when not sent."""
    maps = body.get("attribute_maps")
    if maps is None:
        return {}
    if not isinstance(maps, dict) or set(maps) - {"standard_attributes", "custom_attributes"}:
        raise invalid_parameters(
            ("invalid_attribute_maps", "attribute_maps takes standard_attributes and custom_attributes")
        )
    value = maps.get(part)
    if value is not None and not isinstance(value, dict):
        raise invalid_parameters(("invalid_attribute_maps", f"{part} must be an object"))
    return value or {}


def _custom_attributes(body: dict[str, Any], current: dict[str, str], *, creating: bool) -> dict[str, str]:
    """The custom attribute map after `attribute_maps.custom_attributes`: each key to the claim or
    attribute named; on a PATCH, null removes a key (the SDK's PatchConnectionAttributeMaps)."""
    custom = _attribute_maps(body, "custom_attributes")
    if not all(
        isinstance(key, str) and key and ((isinstance(name, str) and name) or (name is None and not creating))
        for key, name in custom.items()
    ):
        raise invalid_parameters(("invalid_attribute_maps", "custom_attributes must map keys to claim names"))
    merged = {**current, **custom}
    return {key: name for key, name in merged.items() if name is not None}


def _groups_attribute(body: dict[str, Any]) -> str | None:
    """The claim `attribute_maps.standard_attributes.groups` names, if the request maps it."""
    standard = _attribute_maps(body, "standard_attributes")
    groups = standard.get("groups")
    if groups is not None and (not isinstance(groups, str) or not groups):
        raise invalid_parameters(("invalid_attribute_maps", "groups must name a claim"))
    return groups


def _standard_attributes(body: dict[str, Any]) -> dict[str, str]:
    """The standard attributes other than groups that `attribute_maps` maps, to the claim named."""
    standard = _attribute_maps(body, "standard_attributes")
    mapped = {key: value for key, value in standard.items() if key != "groups" and value is not None}
    unknown = sorted(set(mapped) - STANDARD_ATTRIBUTES)
    if unknown or not all(isinstance(value, str) and value for value in mapped.values()):
        raise invalid_parameters(
            ("invalid_attribute_maps", f"standard_attributes takes {', '.join(sorted(STANDARD_ATTRIBUTES))}")
        )
    return mapped


def _optional_text(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise invalid_parameters((f"invalid_{key}", f"{key} must be a non-empty string"))
    return value


def _limit(raw: str | None) -> int:
    if raw is None:
        return 10
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        raise invalid_parameters(("invalid_limit", f"limit must be between 1 and {MAX_PAGE}"))
    return int(raw)
