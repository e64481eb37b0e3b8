"""The WorkOS SSO connection (OIDC) as a Pulumi dynamic resource.

Inputs, each a string; "update" changes the connection in place (PATCH), "replace" makes a new one:

    organization_id     replace  the WorkOS organization (org_...); connections cannot move
    connection_type     replace  EntraIdOIDC | OktaOIDC | GenericOIDC; WorkOS cannot change it
    name                update   the connection's name in the WorkOS dashboard
    external_id         update   our key for the connection: the organization spec's name
    discovery_endpoint  update   the IdP's /.well-known/openid-configuration URL
    client_id           update
    client_secret       update   always a Pulumi secret; WorkOS never returns it. "" for an adopted
                                 connection whose secret nobody knows: updates omit it (WorkOS
                                 keeps its own) until the first rotation hands over ours
    token_authentication_method
                        update   client_secret_basic | client_secret_post: how WorkOS authenticates
                                 at the IdP's token endpoint, as the IdP decided (it refuses others)
    redirect_uri        update   the callback URL the IdP app allows (spec broker.redirectUri)
    groups_claim        update   the IdP's groups claim, which WorkOS maps onto profile groups
                                 (attribute_maps); None (no groups claim) leaves WorkOS's mapping as is
    adopt_connection_id (none)   the id of a connection made by hand: create reads it and records it
                                 with no write (adoption); not compared by diff

An adopted connection is recorded with the inputs as "last applied": WorkOS returns none of its
options, so nothing else can be known; the first update sends them all (but an unknown secret).

Outputs: the inputs plus `state` (WorkOS's `active`, `draft`, ...). The resource id is the
connection id (conn_...).

WorkOS answers a create whose external_id already exists in the organization with that
connection, unchanged. So create always PATCHes the options afterwards (a create retried after
an interrupted run converges instead of keeping stale options), refuses to adopt a connection
of another type, and a type change inside one organization deletes the old connection before
creating the new one (both would claim the same external_id). Moving to another organization is
create-before-delete.

WorkOS deletes a connection asynchronously: it stays in state `deleting` for a while, holding its
external_id and refusing changes. Delete returns once WorkOS has accepted the deletion; a create
that needs the external_id waits for the old connection to be gone (the client does this), so a
replacement, or `pulumi destroy` followed by `pulumi up`, converges. Read treats a `deleting`
connection as gone: it will never sign anyone in again nor take an update, and the next
`pulumi up` creates its successor.

The provider reads no credentials of its own: each call builds its client from WORKOS_API_KEY
and WORKOS_BASE_URL in the provider process's environment, so nothing secret is pickled into state.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, ResourceProvider, UpdateResult

from ssoprov.dynamic import declared_properties, exact_diff, gone, run_async, with_secret_outputs
from ssoprov.errors import NotFoundError, ProvisionerError
from ssoprov.token_endpoint_auth import SECRET_METHODS, TokenEndpointAuthMethod

if TYPE_CHECKING:
    from ssoprov.brokers.workos.client import ConnectionInfo, OidcConnectionSpec

# The client (and the workos SDK, about a second to import) is imported inside the provider's
# methods: they run in the provider process, and the Pulumi program never needs the SDK.

CONNECTION_TYPES = ("EntraIdOIDC", "OktaOIDC", "GenericOIDC")
REPLACE_KEYS = ("organization_id", "connection_type")
UPDATE_KEYS = (
    "name",
    "external_id",
    "discovery_endpoint",
    "client_id",
    "client_secret",
    "token_authentication_method",
    "redirect_uri",
    "groups_claim",
)
INPUT_KEYS = REPLACE_KEYS + UPDATE_KEYS
OPTIONAL_KEYS = ("groups_claim",)
SECRET_KEYS = ("client_secret",)
ADOPT_KEY = "adopt_connection_id"


@dataclass(frozen=True)
class WorkosConnectionArgs:
    organization_id: pulumi.Input[str]
    connection_type: pulumi.Input[str]
    name: pulumi.Input[str]
    external_id: pulumi.Input[str]
    discovery_endpoint: pulumi.Input[str]
    client_id: pulumi.Input[str]
    client_secret: pulumi.Input[str]
    """Wrapped with pulumi.Output.secret whatever is passed."""
    token_authentication_method: TokenEndpointAuthMethod
    redirect_uri: pulumi.Input[str]
    groups_claim: str | None = None
    adopt_connection_id: str | None = None


class _WorkosConnectionProvider(ResourceProvider):
    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        result = exact_diff(olds, news, update_keys=UPDATE_KEYS, replace_keys=REPLACE_KEYS)
        same_slot = all(olds.get(key) == news.get(key) for key in ("organization_id", "external_id"))
        if result.replaces and same_slot:
            # The new connection would claim the old one's external_id: the old one must go first.
            return DiffResult(changes=True, replaces=result.replaces, delete_before_replace=True)
        return result

    def create(self, props: dict[str, Any]) -> CreateResult:
        spec = _spec(props)
        if props.get(ADOPT_KEY):
            info = run_async(_adopted(props[ADOPT_KEY], spec))
            return CreateResult(id_=info.id, outs=_outs(props, info))
        if not spec.client_secret:
            raise ValueError("WorkOS connection: a new connection needs a non-empty client_secret")
        info = run_async(_create(spec))
        return CreateResult(id_=info.id, outs=_outs(props, info))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        from ssoprov.brokers.workos.client import DELETING, WorkosClient

        try:
            info = run_async(WorkosClient.from_environment().get_connection(id_))
        except NotFoundError:
            return gone()
        if info.state == DELETING:
            return gone()
        # WorkOS does not return oidc_options, attribute_maps or external_id: those stay as last applied.
        return ReadResult(id_, _outs(props, info))

    def update(self, id_: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        from ssoprov.brokers.workos.client import WorkosClient

        info = run_async(WorkosClient.from_environment().update_connection(id_, _spec(news)))
        return UpdateResult(outs=_outs(news, info))

    def delete(self, id_: str, _props: dict[str, Any]) -> None:
        from ssoprov.brokers.workos.client import WorkosClient

        with contextlib.suppress(NotFoundError):  # already gone: the goal of a delete
            run_async(WorkosClient.from_environment().delete_connection(id_))


async def _create(spec: OidcConnectionSpec) -> ConnectionInfo:
    from ssoprov.brokers.workos.client import WorkosClient

    client = WorkosClient.from_environment()
    info = await client.create_connection(spec)
    if info.connection_type != spec.connection_type or info.organization_id != spec.organization_id:
        raise ProvisionerError(
            f"WorkOS: creating connection '{spec.external_id}' in organization {spec.organization_id}: "
            f"connection {info.id} already has this external_id but is a {info.connection_type} connection. "
            "Fix: delete or rename it in the WorkOS dashboard (or change its external_id), then run "
            "`pulumi up` again"
        )
    return await client.update_connection(info.id, spec)


async def _adopted(connection_id: str, spec: OidcConnectionSpec) -> ConnectionInfo:
    """The connection made by hand, read with no write; it must be the spec's type and organization."""
    from ssoprov.brokers.workos.client import DELETING, WorkosClient

    doing = f"WorkOS: adopting connection {connection_id}"
    try:
        info = await WorkosClient.from_environment().get_connection(connection_id)
    except NotFoundError:
        raise ProvisionerError(
            f"{doing}: it does not exist. Fix: correct ssoprov:organization.adoption.connectionId (the "
            "conn_... id in the WorkOS dashboard), or remove it to create a new connection"
        ) from None
    wrong = []
    if info.state == DELETING:
        wrong.append("it is being deleted")
    if info.connection_type != spec.connection_type:
        wrong.append(f"its type is {info.connection_type}, the spec's makes {spec.connection_type}")
    if info.organization_id != spec.organization_id:
        wrong.append(f"it is in organization {info.organization_id}, not {spec.organization_id}")
    if wrong:
        raise ProvisionerError(
            f"{doing}: {'; '.join(wrong)}. Fix: correct ssoprov:organization (identityProvider.kind, "
            "broker.organizationId, adoption.connectionId) to name the connection as WorkOS holds it"
        )
    return info


def _spec(props: Mapping[str, Any]) -> OidcConnectionSpec:
    from ssoprov.brokers.workos.client import OidcConnectionSpec

    required = [key for key in INPUT_KEYS if key not in OPTIONAL_KEYS + SECRET_KEYS]
    given = [key for key in OPTIONAL_KEYS if props.get(key) is not None]
    missing = [key for key in required + given if not isinstance(props.get(key), str) or not props[key]]
    if missing or not isinstance(props.get("client_secret"), str):
        raise ValueError(
            f"WorkOS connection: inputs {missing or ['client_secret']} must be non-empty strings "
            f'({", ".join(OPTIONAL_KEYS)}: or absent; client_secret: "" when adopted and unknown)'
        )
    if props["connection_type"] not in CONNECTION_TYPES:
        raise ValueError(f"WorkOS connection: connection_type must be one of {', '.join(CONNECTION_TYPES)}")
    if props["token_authentication_method"] not in SECRET_METHODS:
        raise ValueError(
            f"WorkOS connection: token_authentication_method must be one of {', '.join(SECRET_METHODS)}"
        )
    return OidcConnectionSpec(**{key: props.get(key) for key in INPUT_KEYS})


def _outs(props: Mapping[str, Any], info: ConnectionInfo) -> dict[str, Any]:
    outs = {key: props.get(key) for key in INPUT_KEYS}
    outs.update(
        organization_id=info.organization_id,
        connection_type=info.connection_type,
        name=info.name,
        state=info.state,
    )
    return outs


class WorkosConnection(Resource):
    """One OIDC connection in one WorkOS organization."""

    organization_id: pulumi.Output[str]
    connection_type: pulumi.Output[str]
    name: pulumi.Output[str]
    external_id: pulumi.Output[str]
    discovery_endpoint: pulumi.Output[str]
    client_id: pulumi.Output[str]
    client_secret: pulumi.Output[str]
    token_authentication_method: pulumi.Output[str]
    redirect_uri: pulumi.Output[str]
    groups_claim: pulumi.Output[str | None]
    state: pulumi.Output[str]

    def __init__(
        self, resource_name: str, args: WorkosConnectionArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        props = declared_properties(args, INPUT_KEYS, ("state",))
        props["client_secret"] = pulumi.Output.secret(args.client_secret)
        props[ADOPT_KEY] = args.adopt_connection_id
        super().__init__(
            _WorkosConnectionProvider(), resource_name, props, with_secret_outputs(opts, SECRET_KEYS)
        )
