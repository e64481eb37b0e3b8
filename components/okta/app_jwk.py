"""The broker's public key in an OIDC app's JWKS (private_key_jwt), as a Pulumi dynamic resource.

Inputs; "update" swaps the key, "replace" registers it on another app:

    org_url   replace  the customer's Okta org
    app_id    replace  the app whose client authenticates with the key
    jwk       update   the broker's signing key as a public JWK (kid, kty RSA, alg, n, e): public

Outputs: the inputs plus `key_id` (Okta's id of the key, also the resource id), `kid` and `status`.

Uploaded keys rather than a `jwks_uri`: the realm's published key set also holds Keycloak's
encryption keys (Okta allows one active encryption key per app), Okta must reach the broker to
fetch a URI (a broker on a private network cannot be reached), and uploaded keys are state that
a refresh reads, so which keys an app trusts is known.

An update adds the new key before it removes the old one, so the app always has an active key.
Delete deactivates, then deletes the key; already gone is fine. Okta refuses to deactivate the
only active key of a private_key_jwt app: then the key stays, and goes with the app (an
organization's destroy deletes the app right after).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, ResourceProvider, UpdateResult

from ssoprov.dynamic import declared_properties, exact_diff, gone, run_async
from ssoprov.errors import ApiError, NotFoundError
from ssoprov.okta.okta_client import okta_client_from_env

REPLACE_KEYS = ("org_url", "app_id")
UPDATE_KEYS = ("jwk",)
INPUT_KEYS = (*REPLACE_KEYS, *UPDATE_KEYS)
OUTPUT_KEYS = ("key_id", "kid", "status")
ONLY_ACTIVE_KEY = "only active JSON Web Key"
"""Okta's words for refusing to deactivate the last active key of a private_key_jwt app."""


@dataclass(frozen=True)
class OktaAppJwkArgs:
    org_url: pulumi.Input[str]
    app_id: pulumi.Input[str]
    jwk: pulumi.Input[Mapping[str, str]]


class _OktaAppJwkProvider(ResourceProvider):
    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return exact_diff(olds, news, update_keys=UPDATE_KEYS, replace_keys=REPLACE_KEYS)

    def create(self, props: dict[str, Any]) -> CreateResult:
        added = run_async(
            okta_client_from_env(org_url=props["org_url"]).add_jwk(props["app_id"], props["jwk"])
        )
        return CreateResult(id_=added["id"], outs=_outs(props, added))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        client = okta_client_from_env(org_url=news["org_url"])
        added = run_async(client.add_jwk(news["app_id"], news["jwk"]))
        _remove(news, id_)
        return UpdateResult(outs=_outs(news, added))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        try:
            found = run_async(okta_client_from_env(org_url=props["org_url"]).get_jwk(props["app_id"], id_))
        except NotFoundError:
            return gone()
        return ReadResult(id_, _outs(props, found))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        _remove(props, id_)


def _remove(props: Mapping[str, Any], key_id: str) -> None:
    try:
        run_async(okta_client_from_env(org_url=props["org_url"]).remove_jwk(props["app_id"], key_id))
    except ApiError as exc:
        if ONLY_ACTIVE_KEY not in str(exc):
            raise
        # The app's last key: it goes with the app, which an organization's destroy deletes next.


def _outs(props: Mapping[str, Any], key: Mapping[str, Any]) -> dict[str, Any]:
    outs = {name: props.get(name) for name in INPUT_KEYS}
    outs.update(key_id=key["id"], kid=key.get("kid"), status=key.get("status"))
    return outs


class OktaAppJwk(Resource, module="okta", name="AppJwk"):
    """The broker's signing key, trusted by one Okta OIDC app."""

    key_id: pulumi.Output[str]
    kid: pulumi.Output[str]
    status: pulumi.Output[str]

    def __init__(
        self, resource_name: str, args: OktaAppJwkArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(
            _OktaAppJwkProvider(), resource_name, declared_properties(args, INPUT_KEYS, OUTPUT_KEYS), opts
        )
