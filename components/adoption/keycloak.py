"""Read a Keycloak identity provider made by hand into spec keys, and list what no stack manages.

What becomes spec: the client ID, the issuer's discovery URL, the token-endpoint auth method, the
sync mode, the display name, every role mapper of the shape we make (`oidc-role-idp-mapper` on one
top-level claim, `oidc-hardcoded-role-idp-mapper` for the default role, both with syncMode
INHERIT) with the name the admin gave it. Everything else (other mapper types, mappers on another
claim or with another sync mode, a second default role) is an extra: kept as it is, never
rewritten, and listed in the report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ssoprov.adoption.reading import BrokerReading
from ssoprov.brokers.keycloak.client import from_environment
from ssoprov.brokers.keycloak.mapper import DEFAULT_ROLE_MAPPER, MAPPER_SYNC_MODE, ROLE_MAPPER
from ssoprov.errors import NotFoundError, ProvisionerError

DISCOVERY_SUFFIX = "/.well-known/openid-configuration"
KEYCLOAK_DEFAULT_AUTH_METHOD = "client_secret_post"
"""What Keycloak uses when an identity provider's config names no clientAuthMethod."""


async def read_keycloak_connection(url: str, realm: str, alias: str) -> BrokerReading:
    """The identity provider `alias` of `realm` and its mappers, read (no write) from Keycloak."""
    async with from_environment(url) as keycloak:
        try:
            provider = await keycloak.get_identity_provider(realm, alias)
        except NotFoundError:
            raise ProvisionerError(
                f"Keycloak: reading identity provider {alias} in realm {realm} at {url} to adopt it: it does "
                f"not exist. Fix: run `ssoprov adopt --list --keycloak-url {url} --realm {realm}` to see "
                "the realm's identity providers"
            ) from None
        mappers = await keycloak.list_mappers(realm, alias)
    return connection_from_keycloak(url, realm, provider, mappers)


def connection_from_keycloak(
    url: str, realm: str, provider: Mapping[str, Any], mappers: Sequence[Mapping[str, Any]]
) -> BrokerReading:
    alias = provider["alias"]
    config = provider.get("config") or {}
    if provider.get("providerId") == "microsoft":
        return _microsoft_connection(url, realm, provider, mappers)
    if provider.get("providerId") != "oidc":
        raise ProvisionerError(
            f"Keycloak: adopting identity provider {alias} in realm {realm}: its type is "
            f"{provider.get('providerId')!r}, and ssoprov adopts OpenID Connect providers (type oidc) "
            "and Microsoft OAuth (type microsoft). Fix: leave this one unmanaged, or recreate it with "
            "`ssoprov new`"
        )
    issuer = config.get("issuer")
    if not issuer:
        raise ProvisionerError(
            f"Keycloak: adopting identity provider {alias} in realm {realm}: it names no issuer, so its "
            "discovery URL is unknown. Fix: set the issuer in the Keycloak admin console (Identity "
            "providers > the provider > Issuer), then adopt again"
        )
    extras: list[str] = []
    auth_method = config.get("clientAuthMethod")
    if auth_method not in ("client_secret_basic", "client_secret_post"):
        raise ProvisionerError(
            f"Keycloak: adopting identity provider {alias} in realm {realm}: its client authentication "
            f"is {auth_method or 'not set'}, and ssoprov brokers with a client secret sent by basic or post. "
            "Fix: choose 'Client secret sent as basic auth' or '... as post' in the admin console"
        )
    reading = BrokerReading(
        broker=_broker(url, realm, provider),
        identity_provider={
            "kind": "oidc",
            "clientId": config.get("clientId", ""),
            "discoveryUrl": issuer.rstrip("/") + DISCOVERY_SUFFIX,
            "tokenEndpointAuthMethod": auth_method,
        },
        display_name=provider.get("displayName") or alias,
        extras=extras,
    )
    _read_mappers(reading, mappers)
    return reading


def _broker(url: str, realm: str, provider: Mapping[str, Any]) -> dict[str, Any]:
    broker: dict[str, Any] = {
        "kind": "keycloak",
        "url": url.rstrip("/"),
        "realm": realm,
        "alias": provider["alias"],
    }
    sync_mode = (provider.get("config") or {}).get("syncMode")
    if sync_mode:
        broker["syncMode"] = sync_mode
    return broker


def _microsoft_connection(
    url: str, realm: str, provider: Mapping[str, Any], mappers: Sequence[Mapping[str, Any]]
) -> BrokerReading:
    """Keycloak's Microsoft social provider: it knows Microsoft's endpoints and sends no groups,
    so only the client ID and a default-role mapper can be spec; any role mapper is an extra."""
    reading = BrokerReading(
        broker=_broker(url, realm, provider),
        identity_provider={
            "kind": "microsoft",
            "clientId": (provider.get("config") or {}).get("clientId", ""),
        },
        display_name=provider.get("displayName") or provider["alias"],
    )
    _read_mappers(reading, mappers, group_claims=False)
    return reading


def _read_mappers(
    reading: BrokerReading, mappers: Sequence[Mapping[str, Any]], *, group_claims: bool = True
) -> None:
    """Mappers of our shape become spec (role mappers only when the IdP sends a groups claim,
    `group_claims`); every other one is an extra."""
    claims = {
        (m.get("config") or {}).get("claim")
        for m in mappers
        if m.get("identityProviderMapper") == ROLE_MAPPER and group_claims
    }
    claim = _top_level_claim(next(iter(claims))) if len(claims) == 1 else None
    if claim is not None:
        reading.identity_provider["groupsClaim"] = claim
    for mapper in sorted(mappers, key=lambda m: m.get("name", "")):
        config = dict(mapper.get("config") or {})
        name = mapper.get("name", "")
        kind = mapper.get("identityProviderMapper")
        if (
            kind == ROLE_MAPPER
            and claim is not None
            and set(config) == {"claim", "claim.value", "role", "syncMode"}
            and config["syncMode"] == MAPPER_SYNC_MODE
            and config["claim.value"] not in reading.mapper_names
        ):
            reading.role_mappings.append({"group": config["claim.value"], "role": config["role"]})
            reading.mapper_names[config["claim.value"]] = name
        elif (
            kind == DEFAULT_ROLE_MAPPER
            and set(config) == {"role", "syncMode"}
            and config["syncMode"] == MAPPER_SYNC_MODE
            and reading.default_role_mapper_name is None
        ):
            reading.default_role = config["role"]
            reading.default_role_mapper_name = name
        else:
            reading.extras.append(f"Keycloak mapper {name!r} ({kind}): kept as it is, not managed")


def _top_level_claim(path: str | None) -> str | None:
    """A Keycloak claim path as one claim name (`a\\.b` -> `a.b`); None for a nested path."""
    if not path:
        return None
    name, escaped = [], False
    for character in path:
        if escaped:
            name.append(character)
            escaped = False
        elif character == "\\":
            escaped = True
        elif character == ".":
            return None
        else:
            name.append(character)
    return "".join(name)


@dataclass(frozen=True)
class UnmanagedConnection:
    alias: str
    provider_id: str
    display_name: str
    points_at: str
    """The IdP it signs users in with: its issuer (or Keycloak's type for social providers)."""


async def list_keycloak_connections(url: str, realm: str) -> list[UnmanagedConnection]:
    async with from_environment(url) as keycloak:
        providers = await keycloak.list_identity_providers(realm)
    return [
        UnmanagedConnection(
            alias=p["alias"],
            provider_id=p.get("providerId", ""),
            display_name=p.get("displayName") or p["alias"],
            points_at=(p.get("config") or {}).get("issuer") or p.get("providerId", ""),
        )
        for p in providers
    ]
