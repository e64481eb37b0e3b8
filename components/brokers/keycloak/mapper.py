"""One mapper of an organization's Keycloak identity provider, as a Pulumi dynamic resource.

The broker's role mappings, one resource each, so that adding or removing a mapping in the spec
touches that mapping and nothing else:

- a group mapping: "oidc-role-idp-mapper" with config {claim: <the groups claim the IdP sends, as
  a Keycloak claim path>, "claim.value": <the value the IdP puts in that claim for the group>,
  role: <realm role>, syncMode: "INHERIT"};
- the default role: "oidc-hardcoded-role-idp-mapper" with config {role, syncMode: "INHERIT"}.

`role` names a realm role, or a client role as "<clientId>.<role>" (Keycloak's syntax; a realm
role whose name starts with an existing client's id and a dot is read as that client's role).

Inputs; "update" changes the mapper in place (PUT), "replace" makes a new one:

    url          replace  Keycloak's base URL
    realm        replace  the realm of the identity provider
    alias        replace  the identity provider's alias (take it from that resource, so a new
                          identity provider gets new mappers)
    name         update   the mapper's name, unique per identity provider (Keycloak enforces it)
    mapper_type  update   identityProviderMapper: oidc-role-idp-mapper, ...
    config       update   the mapper's config, a dict of strings

    adopt        (none)   true: a mapper of this name exists (made by hand); create records it
                          as Keycloak holds it, with no write. Not compared by diff.

Outputs: the inputs, as Keycloak holds them after the last apply or refresh. The resource id is
the mapper's id (a UUID).

Create converges: if the identity provider already has a mapper of this name (a create whose
answer was lost, or one made by hand), that mapper is updated to ours and adopted. Refresh drops
a mapper deleted out of band (or gone with its identity provider) from state and reports drift of
its name, type or config; the next `pulumi up` restores it. Delete of a mapper already gone (its
identity provider was deleted first) succeeds.

Admin credentials come from the provider process's environment (`admin.admin_client`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, ResourceProvider, UpdateResult

from ssoprov.brokers.keycloak.admin import admin_client
from ssoprov.dynamic import declared_properties, exact_diff, gone, run_async
from ssoprov.errors import ApiError, NotFoundError, ProvisionerError

REPLACE_KEYS = ("url", "realm", "alias")
UPDATE_KEYS = ("name", "mapper_type", "config")
INPUT_KEYS = REPLACE_KEYS + UPDATE_KEYS
ADOPT_KEY = "adopt"

ROLE_MAPPER = "oidc-role-idp-mapper"
DEFAULT_ROLE_MAPPER = "oidc-hardcoded-role-idp-mapper"
MAPPER_SYNC_MODE = "INHERIT"
"""Mappers follow the identity provider's sync mode (broker.syncMode)."""


def claim_path(claim_name: str) -> str:
    """`claim_name` as Keycloak's mapper reads a claim: a dot there descends into a nested object
    and a backslash escapes the next character, so both are escaped to name a top-level claim
    (`https://acme.example/groups` is one claim, not `https://acme` -> `example/groups`)."""
    return claim_name.replace("\\", "\\\\").replace(".", "\\.")


def role_mapping_config(
    claim_name: str, claim_value: pulumi.Input[str], role: str
) -> dict[str, pulumi.Input[str]]:
    """Config of a group mapping: members whose claim `claim_name` holds `claim_value` get `role`."""
    return {
        "claim": claim_path(claim_name),
        "claim.value": claim_value,
        "role": role,
        "syncMode": MAPPER_SYNC_MODE,
    }


SAML_ROLE_MAPPER = "saml-role-idp-mapper"
SAML_ATTRIBUTE_MAPPER = "saml-user-attribute-idp-mapper"


def saml_role_mapping_config(
    attribute: str, value: pulumi.Input[str], role: str
) -> dict[str, pulumi.Input[str]]:
    """Config of a SAML group mapping: members whose attribute `attribute` holds `value` get `role`."""
    return {"attribute.name": attribute, "attribute.value": value, "role": role, "syncMode": MAPPER_SYNC_MODE}


def saml_user_attribute_config(attribute: str, user_attribute: str) -> dict[str, str]:
    """Config of a profile mapping: the assertion's `attribute` fills the user's `user_attribute`."""
    return {"attribute.name": attribute, "user.attribute": user_attribute, "syncMode": MAPPER_SYNC_MODE}


def default_role_config(role: str) -> dict[str, str]:
    """Config of the default role: every member signing in through the provider gets `role`."""
    return {"role": role, "syncMode": MAPPER_SYNC_MODE}


@dataclass(frozen=True)
class KeycloakIdpMapperArgs:
    url: pulumi.Input[str]
    realm: pulumi.Input[str]
    alias: pulumi.Input[str]
    name: pulumi.Input[str]
    mapper_type: pulumi.Input[str]
    config: pulumi.Input[Mapping[str, pulumi.Input[str]]]
    adopt: bool = False
    """True: record the identity provider's existing mapper of this name instead of creating one."""


class _KeycloakIdpMapperProvider(ResourceProvider):
    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        # A replacement belongs to another identity provider: no name clash with the old mapper.
        return exact_diff(olds, news, update_keys=UPDATE_KEYS, replace_keys=REPLACE_KEYS)

    def create(self, props: dict[str, Any]) -> CreateResult:
        _check(props)
        if props.get(ADOPT_KEY):
            actual = run_async(_adopt(props))
            return CreateResult(id_=actual["id"], outs=_outs_from_keycloak(props, actual))
        mapper_id = run_async(_create(props))
        return CreateResult(id_=mapper_id, outs=_outs(props))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        async def get() -> dict[str, Any]:
            async with admin_client(props["url"]) as keycloak:
                return await keycloak.get_mapper(props["realm"], props["alias"], id_)

        try:
            actual = run_async(get())
        except NotFoundError:
            return gone()
        return ReadResult(id_, _outs_from_keycloak(props, actual))

    def update(self, id_: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        _check(news)

        async def put() -> None:
            async with admin_client(news["url"]) as keycloak:
                await keycloak.update_mapper(news["realm"], news["alias"], id_, _representation(news))

        run_async(put())
        return UpdateResult(outs=_outs(news))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        async def delete() -> None:
            async with admin_client(props["url"]) as keycloak:
                await keycloak.delete_mapper(props["realm"], props["alias"], id_)

        with contextlib.suppress(NotFoundError):  # gone already, maybe with its identity provider
            run_async(delete())


async def _adopt(props: Mapping[str, Any]) -> dict[str, Any]:
    """The identity provider's mapper named `props["name"]`, as Keycloak holds it."""
    realm, alias, name = props["realm"], props["alias"], props["name"]
    async with admin_client(props["url"]) as keycloak:
        existing = await keycloak.list_mappers(realm, alias)
    named = [mapper for mapper in existing if mapper.get("name") == name]
    if not named:
        raise ProvisionerError(
            f"Keycloak: adopting mapper {name!r} of identity provider {alias} in realm {realm}: no mapper "
            "has that name. Fix: correct ssoprov:organization.adoption.mapperNames (or "
            "defaultRoleMapperName) to the mapper's name in Keycloak, or remove it to create ours"
        )
    return named[0]


async def _create(props: Mapping[str, Any]) -> str:
    """Create the mapper, or adopt the provider's mapper of the same name; returns its id."""
    realm, alias, body = props["realm"], props["alias"], _representation(props)
    async with admin_client(props["url"]) as keycloak:
        try:
            return await keycloak.create_mapper(realm, alias, body)
        except ApiError as exc:
            if not _is_duplicate(exc):
                raise
            existing = await keycloak.list_mappers(realm, alias)
            same_name = [mapper["id"] for mapper in existing if mapper.get("name") == body["name"]]
            if not same_name:
                raise
            mapper_id = same_name[0]
            await keycloak.update_mapper(realm, alias, mapper_id, body)
            return mapper_id


def _representation(props: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "name": props["name"],
        "identityProviderMapper": props["mapper_type"],
        "config": dict(props["config"]),
    }


def _check(props: Mapping[str, Any]) -> None:
    missing = [key for key in INPUT_KEYS[:-1] if not isinstance(props.get(key), str) or not props[key]]
    config = props.get("config")
    if not isinstance(config, Mapping) or not all(isinstance(v, str) for v in config.values()):
        missing.append("config")
    if missing:
        raise ValueError(f"Keycloak mapper: inputs {missing} must be non-empty strings (config: of strings)")


def _outs(props: Mapping[str, Any]) -> dict[str, Any]:
    return {key: props[key] for key in INPUT_KEYS}


def _outs_from_keycloak(props: Mapping[str, Any], actual: Mapping[str, Any]) -> dict[str, Any]:
    """The state rebuilt from Keycloak's mapper (refresh and adoption): its name, type and config."""
    return {
        **_outs(props),
        "name": actual.get("name"),
        "mapper_type": actual.get("identityProviderMapper"),
        "config": dict(actual.get("config") or {}),
    }


class KeycloakIdpMapper(Resource, module="keycloak", name="IdpMapper"):
    """One mapper of one identity provider. Its resource id is Keycloak's mapper id."""

    url: pulumi.Output[str]
    realm: pulumi.Output[str]
    alias: pulumi.Output[str]
    name: pulumi.Output[str]
    mapper_type: pulumi.Output[str]
    config: pulumi.Output[dict[str, str]]

    def __init__(
        self, resource_name: str, args: KeycloakIdpMapperArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        props = {**declared_properties(args, INPUT_KEYS), ADOPT_KEY: args.adopt}
        super().__init__(_KeycloakIdpMapperProvider(), resource_name, props, opts)


def _is_duplicate(exc: ApiError) -> bool:
    """Whether a failed mapper create means the identity provider has a mapper of that name."""
    return exc.status == 400 and "Failed to add mapper" in exc.message
