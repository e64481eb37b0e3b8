"""The realm key Keycloak signs private_key_jwt client assertions with, as a Pulumi dynamic resource.

Keycloak 26 signs every client assertion of a realm's identity providers with the realm's active
key of the highest priority for the algorithm (RS256 here); it cannot pick a key per identity
provider. So the key is the realm's, shared by every organization the realm brokers: an
`rsa-generated` key provider named `ASSERTION_KEY_NAME`, at priority `ASSERTION_KEY_PRIORITY`,
above Keycloak's generated keys (100), which makes it the realm's RS256 signer for its own
tokens too; anything that verifies those through the realm's JWKS is unaffected.

Inputs (both "replace"): `url` and `realm`. Create adopts the realm's provider of that name if
there is one (another organization of the realm made it), else creates it. Two organizations
creating it at once leave two providers of that name at the same priority: every create keeps the
one with the smallest component id and deletes the others, so one key signs.

Outputs: `component_id` (also the resource id), `kid`, `certificate` (base64 DER, the self-signed
certificate the IdP apps register), `jwk` (its public key as a JWK, for IdPs that take keys:
Okta) and `valid_to` (the certificate's expiry, epoch ms). All public.

Delete does nothing: destroying one organization must not pull the key from under the others
(the realm keeps it; no organization's run deletes it). Read (refresh)
reports the key the provider holds now; a provider deleted out of band is dropped from state and
the next `pulumi up` makes a new key, which every IdP app then registers.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
from cryptography import x509
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, ResourceProvider

from ssoprov.brokers.keycloak.client import KeycloakAdminClient, from_environment
from ssoprov.dynamic import declared_properties, exact_diff, gone, run_async
from ssoprov.errors import NotFoundError, ProvisionerError

ASSERTION_KEY_NAME = "ssoprov-client-assertion"
ASSERTION_KEY_PRIORITY = "10000"
ALGORITHM = "RS256"
REPLACE_KEYS = ("url", "realm")
OUTPUT_KEYS = ("component_id", "kid", "certificate", "jwk", "valid_to")


@dataclass(frozen=True)
class KeycloakRealmAssertionKeyArgs:
    url: pulumi.Input[str]
    realm: pulumi.Input[str]


class _AssertionKeyProvider(ResourceProvider):
    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return exact_diff(olds, news, replace_keys=REPLACE_KEYS)

    def create(self, props: dict[str, Any]) -> CreateResult:
        outs = run_async(_ensure(props))
        return CreateResult(id_=outs["component_id"], outs=outs)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        async def read() -> dict[str, Any] | None:
            async with from_environment(props["url"]) as keycloak:
                return await _key_of(keycloak, props, id_)

        try:
            outs = run_async(read())
        except NotFoundError:
            return gone()
        return gone() if outs is None else ReadResult(id_, outs)

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Nothing: the key belongs to the realm and signs for its other organizations too."""


async def _ensure(props: Mapping[str, Any]) -> dict[str, Any]:
    realm = props["realm"]
    async with from_environment(props["url"]) as keycloak:
        ours = await _named_providers(keycloak, realm)
        if not ours:
            await keycloak.create_key_provider(
                realm,
                ASSERTION_KEY_NAME,
                "rsa-generated",
                {"priority": ASSERTION_KEY_PRIORITY, "algorithm": ALGORITHM, "keySize": "2048"},
            )
            ours = await _named_providers(keycloak, realm)
        for extra in ours[1:]:  # made at the same moment by another organization's run
            await keycloak.delete_key_provider(realm, extra)
        outs = await _key_of(keycloak, props, ours[0])
    if outs is None:
        raise ProvisionerError(
            f"Keycloak: reading the client-assertion key {ASSERTION_KEY_NAME} of realm {realm}: its provider "
            f"exists but holds no active {ALGORITHM} key. Fix: enable it in the admin console (realm {realm} "
            "> Realm settings > Keys > Providers), or delete it and run `pulumi up` again"
        )
    return outs


async def _named_providers(keycloak: KeycloakAdminClient, realm: str) -> list[str]:
    """The component ids of the realm's providers named ASSERTION_KEY_NAME, smallest first."""
    providers = await keycloak.list_key_providers(realm)
    return sorted(p["id"] for p in providers if p.get("name") == ASSERTION_KEY_NAME)


async def _key_of(
    keycloak: KeycloakAdminClient, props: Mapping[str, Any], component_id: str
) -> dict[str, Any] | None:
    """The state for provider `component_id`'s active RS256 key, or None if it has none."""
    keys = await keycloak.realm_keys(props["realm"])
    key = next(
        (
            k
            for k in keys
            if k.get("providerId") == component_id
            and k.get("algorithm") == ALGORITHM
            and k.get("status") == "ACTIVE"
        ),
        None,
    )
    if key is None or not key.get("certificate"):
        return None
    return {
        "url": props["url"],
        "realm": props["realm"],
        "component_id": component_id,
        "kid": key["kid"],
        "certificate": key["certificate"],
        "jwk": public_jwk(key["certificate"], key["kid"]),
        "valid_to": key.get("validTo"),
    }


def public_jwk(certificate: str, kid: str) -> dict[str, str]:
    """The RSA public key of a base64 DER certificate as a signing JWK named `kid`."""
    numbers = x509.load_der_x509_certificate(base64.b64decode(certificate)).public_key().public_numbers()  # type: ignore[union-attr]

    def b64url(value: int) -> str:
        return (
            base64.urlsafe_b64encode(value.to_bytes((value.bit_length() + 7) // 8, "big"))
            .rstrip(b"=")
            .decode()
        )

    return {
        "kty": "RSA",
        "use": "sig",
        "alg": ALGORITHM,
        "kid": kid,
        "n": b64url(numbers.n),
        "e": b64url(numbers.e),
    }


class KeycloakRealmAssertionKey(Resource, module="keycloak", name="RealmAssertionKey"):
    """The realm's client-assertion signing key, shared by the realm's organizations."""

    component_id: pulumi.Output[str]
    kid: pulumi.Output[str]
    certificate: pulumi.Output[str]
    jwk: pulumi.Output[dict[str, str]]
    valid_to: pulumi.Output[int]

    def __init__(
        self,
        resource_name: str,
        args: KeycloakRealmAssertionKeyArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = declared_properties(args, REPLACE_KEYS, OUTPUT_KEYS)
        super().__init__(_AssertionKeyProvider(), resource_name, props, opts)
