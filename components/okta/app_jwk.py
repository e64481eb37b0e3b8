"""The broker's public key in an OIDC app's JWKS (private_key_jwt), as a Pulumi dynamic resource.

Inputs; "update" changes the keys, "replace" registers them on another app:

    org_url   replace  the customer's Okta org
    app_id    replace  the app whose client authenticates with the keys
    jwks      update   the broker's client-assertion keys as public JWKs (kid, kty RSA, alg, n, e),
                       the signer first; two while a realm-key rotation is under way: public

State written before realm-key rotation held one `jwk`; it reads as `jwks` of one, so an `up` of
such a stack changes nothing while the realm has one key.

Outputs: the inputs plus `key_ids` and `kids` (Okta's id and the kid of each key, in the same
order), and of the first key `key_id` (also the resource id, the first create's), `kid` and
`status`.

Uploaded keys rather than a `jwks_uri`: the realm's published key set also holds Keycloak's
encryption keys (Okta allows one active encryption key per app), Okta must reach the broker to
fetch a URI (a broker on a private network cannot be reached), and uploaded keys are state that
a refresh reads, so which keys an app trusts is known.

An update adds the new keys before it removes the ones no longer wanted, so the app always has an
active key. Delete deactivates, then deletes the keys; already gone is fine. Okta refuses to deactivate the
only active key of a private_key_jwt app: then the key stays, and goes with the app (an
organization's destroy deletes the app right after).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, ResourceProvider, UpdateResult

from ssoprov.dynamic import declared_properties, exact_diff, gone, run_async
from ssoprov.errors import ApiError, NotFoundError
from ssoprov.okta.okta_client import okta_client_from_env

REPLACE_KEYS = ("org_url", "app_id")
UPDATE_KEYS = ("jwks",)
INPUT_KEYS = (*REPLACE_KEYS, *UPDATE_KEYS)
OUTPUT_KEYS = ("key_ids", "kids", "key_id", "kid", "status")
ONLY_ACTIVE_KEY = "only active JSON Web Key"
"""Okta's words for refusing to deactivate the last active key of a private_key_jwt app."""


@dataclass(frozen=True)
class OktaAppJwkArgs:
    org_url: pulumi.Input[str]
    app_id: pulumi.Input[str]
    jwks: pulumi.Input[Sequence[Mapping[str, str]]]


def recorded_jwks(props: Mapping[str, Any]) -> list[dict[str, str]]:
    """The keys a state records, also from state of one `jwk` (before rotation)."""
    jwks = props.get("jwks")
    if isinstance(jwks, list):
        return jwks
    return [props["jwk"]] if isinstance(props.get("jwk"), dict) else []


def _recorded_ids(id_: str, props: Mapping[str, Any]) -> dict[str, str]:
    """kid -> Okta's key id of the keys a state records."""
    key_ids, kids = props.get("key_ids"), props.get("kids")
    if isinstance(key_ids, list) and isinstance(kids, list):
        return dict(zip(kids, key_ids, strict=True))
    return {str(props.get("kid")): id_}


class _OktaAppJwkProvider(ResourceProvider):
    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        olds = {**olds, "jwks": recorded_jwks(olds)}
        return exact_diff(olds, news, update_keys=UPDATE_KEYS, replace_keys=REPLACE_KEYS)

    def create(self, props: dict[str, Any]) -> CreateResult:
        added = run_async(_add(props, {}))
        return CreateResult(id_=added[0]["id"], outs=_outs(props, added))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        recorded = _recorded_ids(id_, olds)
        added = run_async(_add(news, recorded))
        wanted = {jwk["kid"] for jwk in news["jwks"]}
        for kid, key_id in recorded.items():
            if kid not in wanted:
                _remove(news, key_id)
        return UpdateResult(outs=_outs(news, added))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        client = okta_client_from_env(org_url=props["org_url"])

        async def read() -> list[dict[str, Any]]:
            found = []
            for key_id in _recorded_ids(id_, props).values():
                try:
                    found.append(await client.get_jwk(props["app_id"], key_id))
                except NotFoundError:
                    continue
            return found

        found = run_async(read())
        if not found:
            return gone()
        kids = {key.get("kid") for key in found}
        jwks = [jwk for jwk in recorded_jwks(props) if jwk.get("kid") in kids]
        return ReadResult(id_, _outs({**props, "jwks": jwks}, found))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        for key_id in _recorded_ids(id_, props).values():
            _remove(props, key_id)


async def _add(props: Mapping[str, Any], recorded: Mapping[str, str]) -> list[dict[str, Any]]:
    """Okta's record of each wanted key, in order: read if `recorded` names it, else added."""
    client = okta_client_from_env(org_url=props["org_url"])
    keys = []
    for jwk in props["jwks"]:
        key_id = recorded.get(jwk["kid"])
        keys.append(
            await client.get_jwk(props["app_id"], key_id)
            if key_id
            else await client.add_jwk(props["app_id"], jwk)
        )
    return keys


def _remove(props: Mapping[str, Any], key_id: str) -> None:
    try:
        run_async(okta_client_from_env(org_url=props["org_url"]).remove_jwk(props["app_id"], key_id))
    except ApiError as exc:
        if ONLY_ACTIVE_KEY not in str(exc):
            raise
        # The app's last key: it goes with the app, which an organization's destroy deletes next.


def _outs(props: Mapping[str, Any], keys: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    outs = {name: props.get(name) for name in INPUT_KEYS}
    outs.update(
        key_ids=[key["id"] for key in keys],
        kids=[key.get("kid") for key in keys],
        key_id=keys[0]["id"],
        kid=keys[0].get("kid"),
        status=keys[0].get("status"),
    )
    return outs


class OktaAppJwk(Resource, module="okta", name="AppJwk"):
    """The broker's client-assertion keys, trusted by one Okta OIDC app."""

    key_id: pulumi.Output[str]
    key_ids: pulumi.Output[list[str]]
    kid: pulumi.Output[str]
    kids: pulumi.Output[list[str]]
    status: pulumi.Output[str]

    def __init__(
        self, resource_name: str, args: OktaAppJwkArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(
            _OktaAppJwkProvider(), resource_name, declared_properties(args, INPUT_KEYS, OUTPUT_KEYS), opts
        )
