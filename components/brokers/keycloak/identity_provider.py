"""An organization's identity provider in a Keycloak realm, as a Pulumi dynamic resource.

The broker half of every manual guide: the customer's IdP app (Entra ID, Okta, generic OIDC,
or Microsoft OAuth) registered in Keycloak with its client ID, client secret and endpoints.

Inputs; "update" changes the identity provider in place (PUT), "replace" makes a new one:

    url                 replace  Keycloak's base URL
    realm               replace  the realm that brokers the organization's logins
    alias               replace  the provider's alias (Keycloak cannot rename it); also the last
                                 segment of the broker redirect URI the IdP app allows
    provider_id         replace  "oidc" (Entra ID, Okta, generic OIDC) or "microsoft" (Microsoft
                                 OAuth); Keycloak cannot change it in place
    display_name        update   what the login page's button says
    discovery_url       update   the IdP's /.well-known/openid-configuration ("oidc" only)
    client_id           update
    client_secret       update   always a Pulumi secret; this is how a rotated secret reaches
                                 the broker (in place, between the new secret's creation and the
                                 old one's deletion). None for an adopted provider whose secret
                                 nobody knows (or "", as an adopted IdP secret is recorded): updates
                                 then keep the one Keycloak holds
    client_auth_method  update   client_secret_basic, client_secret_post, or private_key_jwt ("oidc"
                                 only): then no secret; Keycloak signs a client assertion with the
                                 realm's key and names its certificate (`KEY_AUTH_CONFIG`), and a
                                 switch to it erases the secret Keycloak held
    sync_mode           update   IMPORT | FORCE | LEGACY: when Keycloak re-applies mappers
    options             update   fixed top-level settings (`OPTIONS`): enabled, trustEmail,
                                 firstBrokerLoginFlowAlias
    config_options      update   fixed config settings (`OIDC_CONFIG_OPTIONS`): defaultScope,
                                 validateSignature, useJwksUrl, pkceEnabled

    adopt               (none)   true: the provider exists (made by hand); create reads it and
                                 records it as it is, with no write ("import through read"). Not
                                 compared by diff, so it may be dropped once adopted.

The endpoints (authorizationUrl, tokenUrl, userInfoUrl, issuer, jwksUrl, logoutUrl, ...) are not
inputs: Keycloak reads them from the discovery document (`import-config`) at create and whenever
`discovery_url` changes. Outputs: the inputs plus `discovered_endpoints` (what that import
returned) and `endpoints` (what Keycloak holds, as of the last apply or refresh). The resource
id is the alias.

Replacement is create-before-delete when the alias, realm or URL changes (the new provider does
not collide with the old one); a provider_id change under the same alias deletes first (Keycloak
deletes the provider's mappers with it; the mappers, which take the alias from this resource,
are replaced too). Users who signed in through the old alias keep their Keycloak accounts but
lose the link to it: at their next login Keycloak's first-broker-login flow asks them to link
their account again.

Refresh (`read`): a provider deleted out of band is dropped from state (the next `pulumi up`
creates it again); drift of the client ID, display name, sync mode, options or endpoints is
reported, and the next `pulumi up` puts them back (endpoints: the recorded `discovered_endpoints`
are applied again). Keycloak's GET masks the client secret, so read keeps the one in state: a
secret changed out of band in Keycloak is not detected, but every update sends ours.

The secret is sent only in the create and update bodies (never logged, never in an error
message); admin credentials come from the provider process's environment.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, ResourceProvider, UpdateResult

from ssoprov.brokers.keycloak.admin import admin_client
from ssoprov.dynamic import declared_properties, exact_diff, gone, run_async, with_secret_outputs
from ssoprov.errors import ApiError, NotFoundError, ProvisionerError
from ssoprov.token_endpoint_auth import PRIVATE_KEY_JWT

if TYPE_CHECKING:
    from ssoprov.brokers.keycloak.client import KeycloakAdminClient

PROVIDER_IDS = ("oidc", "microsoft")
REPLACE_KEYS = ("url", "realm", "alias", "provider_id")
UPDATE_KEYS = (
    "display_name",
    "discovery_url",
    "client_id",
    "client_secret",
    "client_auth_method",
    "sync_mode",
    "options",
    "config_options",
)
INPUT_KEYS = REPLACE_KEYS + UPDATE_KEYS
ADOPT_KEY = "adopt"
SECRET_MASK = "**********"
"""What Keycloak's GET shows for the stored client secret; a PUT carrying it keeps that secret."""
OUTPUT_KEYS = ("discovered_endpoints", "endpoints")
SECRET_KEYS = ("client_secret",)

OPTIONS: dict[str, Any] = {
    "enabled": True,
    "trustEmail": True,
    "firstBrokerLoginFlowAlias": "first broker login",
}
"""Top-level settings of every identity provider we make."""

OIDC_CONFIG_OPTIONS: dict[str, str] = {
    "defaultScope": "openid profile email",
    "validateSignature": "true",
    "useJwksUrl": "true",
    "pkceEnabled": "false",
}
"""Config settings of an "oidc" provider. A "microsoft" one keeps Keycloak's defaults (its
default scope, User.read, is what it needs to read the profile from Microsoft Graph)."""

KEY_AUTH_CONFIG: dict[str, str] = {"clientAssertionSigningAlg": "RS256", "jwtX509HeadersEnabled": "true"}
"""Config of a private_key_jwt provider: RS256 (the realm key's algorithm) with the certificate's
SHA-1 thumbprint in the `x5t` header, which Entra needs to find the certificate (Okta ignores it)."""

_FROM_INPUTS = {
    "clientId": "client_id",
    "clientAuthMethod": "client_auth_method",
    "syncMode": "sync_mode",
}
"""Config keys taken from inputs as they are (a None input leaves the key out)."""


@dataclass(frozen=True)
class KeycloakIdentityProviderArgs:
    url: pulumi.Input[str]
    realm: pulumi.Input[str]
    alias: pulumi.Input[str]
    provider_id: str
    """"oidc" or "microsoft"; it picks the default options below."""
    display_name: pulumi.Input[str]
    discovery_url: pulumi.Input[str] | None
    """None for "microsoft": Keycloak knows Microsoft's endpoints."""
    client_id: pulumi.Input[str]
    client_secret: pulumi.Input[str] | None
    """Wrapped with pulumi.Output.secret whatever is passed; None keeps what Keycloak holds (adopted)."""
    client_auth_method: pulumi.Input[str] | None
    sync_mode: pulumi.Input[str]
    options: Mapping[str, Any] | None = None
    """Defaults to OPTIONS."""
    config_options: Mapping[str, str] | None = None
    """Defaults to OIDC_CONFIG_OPTIONS for "oidc", none for "microsoft"."""
    adopt: bool = False
    """True: record the existing provider of this alias instead of creating one."""


class _KeycloakIdentityProviderProvider(ResourceProvider):
    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        result = exact_diff(olds, news, update_keys=UPDATE_KEYS, replace_keys=REPLACE_KEYS)
        if result.replaces:
            same_slot = all(olds.get(key) == news.get(key) for key in ("url", "realm", "alias"))
            # The new provider would take the old one's alias: the old one must go first.
            return DiffResult(changes=True, replaces=result.replaces, delete_before_replace=same_slot)
        if olds.get("endpoints") != olds.get("discovered_endpoints"):  # drift seen by a refresh
            return DiffResult(changes=True, replaces=[], delete_before_replace=False)
        return result

    def create(self, props: dict[str, Any]) -> CreateResult:
        _check(props)
        if props.get(ADOPT_KEY):
            return CreateResult(id_=props["alias"], outs=run_async(_adopt(props)))
        endpoints = run_async(_create(props))
        return CreateResult(id_=props["alias"], outs=_outs(props, endpoints))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        try:
            actual = run_async(_get(props))
        except NotFoundError:
            return gone()
        return ReadResult(id_, _outs_from_keycloak(props, actual))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        _check(news)
        endpoints = run_async(_update(olds, news))
        return UpdateResult(outs=_outs(news, endpoints))

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        async def delete() -> None:
            async with admin_client(props["url"]) as keycloak:
                await keycloak.delete_identity_provider(props["realm"], props["alias"])

        with contextlib.suppress(NotFoundError):  # already gone: the goal of a delete
            run_async(delete())


async def _get(props: Mapping[str, Any]) -> dict[str, Any]:
    async with admin_client(props["url"]) as keycloak:
        return await keycloak.get_identity_provider(props["realm"], props["alias"])


async def _adopt(props: Mapping[str, Any]) -> dict[str, Any]:
    """The state of a provider made by hand, rebuilt from Keycloak alone; nothing is written.

    The endpoints are the config keys a discovery import names (read-only), with the values the
    provider holds, so a later refresh compares against what was there."""
    realm, alias = props["realm"], props["alias"]
    async with admin_client(props["url"]) as keycloak:
        try:
            actual = await keycloak.get_identity_provider(realm, alias)
        except NotFoundError:
            raise ProvisionerError(
                f"Keycloak: adopting identity provider {alias} in realm {realm} at {props['url']}: it does "
                "not exist. Fix: correct ssoprov:organization.broker.alias, or remove "
                "ssoprov:organization.adoption to create a new one"
            ) from None
        endpoint_keys = await _discover(keycloak, props)
    config = actual.get("config") or {}
    held = {key: config[key] for key in endpoint_keys if key in config}
    outs = _outs_from_keycloak({**props, "discovered_endpoints": held}, actual)
    outs["client_secret"] = props.get("client_secret")
    return outs


async def _create(props: Mapping[str, Any]) -> dict[str, str]:
    """Import the endpoints (for "oidc"), then create the provider; returns the endpoints."""
    realm = props["realm"]
    async with admin_client(props["url"]) as keycloak:
        try:
            endpoints = await _discover(keycloak, props)
            await keycloak.create_identity_provider(realm, _representation({}, props, endpoints))
        except NotFoundError as exc:
            raise ProvisionerError(
                f"{exc}. Fix: create realm {realm} in Keycloak at {props['url']} first, or correct "
                "ssoprov:organization.broker.realm"
            ) from None
        except ApiError as exc:
            if exc.status != 409:
                raise
            raise ProvisionerError(
                f"{exc}. Nothing was changed. If another organization uses this alias, give this one "
                "its own with ssoprov:organization.broker.alias; if it is this organization's, left by an "
                f"interrupted run, delete it in the Keycloak admin console (realm {realm} > Identity "
                "providers) and run `pulumi up` again"
            ) from None
    return endpoints


async def _update(olds: Mapping[str, Any], news: Mapping[str, Any]) -> dict[str, str]:
    """PUT the provider: Keycloak's representation (keeps what we do not manage) with ours over it.

    The endpoints are imported again only when discovery_url changed; otherwise the recorded ones
    are applied (which also repairs endpoint drift). The client secret is always sent.
    """
    realm, alias = news["realm"], news["alias"]
    async with admin_client(news["url"]) as keycloak:
        current = await keycloak.get_identity_provider(realm, alias)
        if news.get("discovery_url") != olds.get("discovery_url"):
            endpoints = await _discover(keycloak, news)
        else:
            endpoints = dict(olds.get("discovered_endpoints") or {})
        stale = [key for key in olds.get("discovered_endpoints") or {} if key not in endpoints]
        body = _representation(current, news, endpoints, drop=stale)
        await keycloak.update_identity_provider(realm, alias, body)
    return endpoints


async def _discover(keycloak: KeycloakAdminClient, props: Mapping[str, Any]) -> dict[str, str]:
    """The endpoint config Keycloak reads from the discovery document; none for "microsoft"."""
    if props["provider_id"] != "oidc":
        return {}
    imported = await keycloak.import_config(props["realm"], props["discovery_url"])
    # import-config also answers settings (validateSignature, useJwksUrl) that config_options own.
    return {
        key: str(value)
        for key, value in imported.items()
        if key not in OIDC_CONFIG_OPTIONS and value is not None
    }


def _representation(
    base: Mapping[str, Any],
    props: Mapping[str, Any],
    endpoints: Mapping[str, str],
    *,
    drop: Collection[str] = (),
) -> dict[str, Any]:
    """Keycloak's JSON for the provider: `base` (a GET's, or empty) with every input applied and
    the config keys in `drop` (endpoints the discovery document no longer names) left out.

    With no client secret in `props` (adopted, value unknown) the secret stays as `base` holds it:
    Keycloak's mask, which a PUT reads as "keep the stored secret". A blank is never sent."""
    body = {key: value for key, value in base.items() if key != "config"}
    config = {key: value for key, value in (base.get("config") or {}).items() if key not in drop}
    body.update(
        alias=props["alias"],
        providerId=props["provider_id"],
        displayName=props["display_name"],
        **(props.get("options") or {}),
    )
    config.update(endpoints)
    config.update(props.get("config_options") or {})
    if config.get("clientAuthMethod") == PRIVATE_KEY_JWT != props.get("client_auth_method"):
        for key in KEY_AUTH_CONFIG:  # switching back to a secret: the key settings go too
            config.pop(key, None)
    for key, name in _FROM_INPUTS.items():
        if props.get(name):
            config[key] = props[name]
        else:
            config.pop(key, None)
    if props.get("client_auth_method") == PRIVATE_KEY_JWT:
        config.update(KEY_AUTH_CONFIG)
        config.pop("clientSecret", None)
    elif props.get("client_secret"):
        config["clientSecret"] = props["client_secret"]
    elif config.get("clientSecret") != SECRET_MASK:
        raise ProvisionerError(
            f"Keycloak: writing identity provider {props['alias']} in realm {props['realm']}: no client "
            "secret to send and none stored to keep. Fix: set the IdP's client secret (for generic OIDC: "
            "`pulumi config set --secret ssoprov:oidcClientSecret <secret>`)"
        )
    body["config"] = config
    return body


def _check(props: Mapping[str, Any]) -> None:
    # No client secret (None, or "" for an adopted one nobody can read): keep what Keycloak holds.
    required = ["url", "realm", "alias", "display_name", "client_id", "sync_mode"]
    if props.get("provider_id") == "oidc":
        required.append("discovery_url")
    missing = [key for key in required if not isinstance(props.get(key), str) or not props[key]]
    if missing:
        raise ValueError(f"Keycloak identity provider: inputs {missing} must be non-empty strings")
    if props.get("provider_id") not in PROVIDER_IDS:
        raise ValueError(f"Keycloak identity provider: provider_id must be one of {', '.join(PROVIDER_IDS)}")


def _outs(props: Mapping[str, Any], endpoints: Mapping[str, str]) -> dict[str, Any]:
    """The state after a create or update: what was sent, with the endpoints just applied."""
    outs = {key: props.get(key) for key in INPUT_KEYS}
    outs.update(discovered_endpoints=dict(endpoints), endpoints=dict(endpoints))
    return outs


def _outs_from_keycloak(props: Mapping[str, Any], actual: Mapping[str, Any]) -> dict[str, Any]:
    """The state after a refresh: Keycloak's values for everything it shows; the secret from state."""
    config = actual.get("config") or {}
    discovered = dict(props.get("discovered_endpoints") or {})
    options = {key: actual.get(key) for key in props.get("options") or {}}
    config_options = {key: config.get(key) for key in props.get("config_options") or {}}
    outs = {key: props.get(key) for key in INPUT_KEYS}
    outs.update(
        alias=actual.get("alias", props["alias"]),
        provider_id=actual.get("providerId"),
        display_name=actual.get("displayName"),
        options=options,
        config_options=config_options,
        discovered_endpoints=discovered,
        endpoints={key: config.get(key) for key in discovered},
    )
    for key, name in _FROM_INPUTS.items():
        outs[name] = config.get(key)
    return outs


class KeycloakIdentityProvider(Resource, module="keycloak", name="IdentityProvider"):
    """One organization's identity provider in one Keycloak realm. Its resource id is the alias."""

    url: pulumi.Output[str]
    realm: pulumi.Output[str]
    alias: pulumi.Output[str]
    provider_id: pulumi.Output[str]
    display_name: pulumi.Output[str]
    discovery_url: pulumi.Output[str | None]
    client_id: pulumi.Output[str]
    client_secret: pulumi.Output[str]
    client_auth_method: pulumi.Output[str | None]
    sync_mode: pulumi.Output[str]
    options: pulumi.Output[dict[str, Any]]
    config_options: pulumi.Output[dict[str, str]]
    discovered_endpoints: pulumi.Output[dict[str, str]]
    endpoints: pulumi.Output[dict[str, str]]

    def __init__(
        self,
        resource_name: str,
        args: KeycloakIdentityProviderArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        if args.provider_id not in PROVIDER_IDS:
            raise ValueError(
                f"provider_id must be one of {', '.join(PROVIDER_IDS)}, not {args.provider_id!r}"
            )
        props = declared_properties(args, INPUT_KEYS, OUTPUT_KEYS)
        if args.client_secret is not None:
            props["client_secret"] = pulumi.Output.secret(args.client_secret)
        props[ADOPT_KEY] = args.adopt
        props["options"] = dict(OPTIONS if args.options is None else args.options)
        default_config = OIDC_CONFIG_OPTIONS if args.provider_id == "oidc" else {}
        props["config_options"] = dict(default_config if args.config_options is None else args.config_options)
        super().__init__(
            _KeycloakIdentityProviderProvider(), resource_name, props, with_secret_outputs(opts, SECRET_KEYS)
        )
