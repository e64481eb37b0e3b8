"""The realm key Keycloak signs private_key_jwt client assertions with, as a Pulumi dynamic resource.

Keycloak 26 signs every client assertion of a realm's identity providers with the realm's active
key of the highest priority for the algorithm (RS256 here); it cannot pick a key per identity
provider. So the key is the realm's, shared by every organization the realm brokers: an
`rsa-generated` key provider named `ASSERTION_KEY_NAME`, at priority `ASSERTION_KEY_PRIORITY`,
above Keycloak's generated keys (100), which makes it the realm's RS256 signer for its own
tokens too; anything that verifies those through the realm's JWKS is unaffected.

Inputs (both "replace"): `url` and `realm`. Create adopts the realm's signer if there is one
(another organization of the realm made it), else creates it. Two organizations creating it at once
leave two providers of that name at the same priority: every create keeps the one with the smallest
component id and deletes the others, so one key signs.

A rotation (components/fleet/realm_keys.py, `ssoprov rotate`) adds providers of the same name: a
staged key, below `ASSERTION_KEY_PRIORITY`, published in the realm's JWKS but not signing; once
promoted, it is raised above the signer, and the old signer (now at or above
`ASSERTION_KEY_PRIORITY` but not the highest) retires. So the realm's client-assertion keys are
every active RS256 key of a provider of that name, and the one of highest priority signs.

Outputs: `component_id` (the signer's provider), `kid`, `certificate` (base64 DER, the self-signed
certificate the IdP apps register), `jwk` (its public key as a JWK, for IdPs that take keys: Okta)
and `valid_to` (the certificate's expiry, epoch ms), all of the signer; and `trusted_kids`,
`trusted_certificates`, `trusted_jwks`: every client-assertion key of the realm, the signer first,
which each IdP app must trust. All public. The resource id stays the provider the first create
found; a rotation deletes that provider, so reads go by name, not by id.

Diff reads the realm's keys (two admin GETs): when they are not the recorded set, it reports an
update, which records them, so an `up` after a key is staged or retired carries the change to the
IdP apps. Delete does nothing: destroying one organization must not pull the key from under the
others. Read (refresh) reports the keys of now; with no provider of the name left, the resource is
dropped from state and the next `pulumi up` makes a new key, which every IdP app then registers.
"""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, ResourceProvider, UpdateResult

from ssoprov.brokers.keycloak.admin import admin_client
from ssoprov.dynamic import declared_properties, exact_diff, gone, run_async
from ssoprov.errors import NotFoundError, ProvisionerError

if TYPE_CHECKING:
    from ssoprov.brokers.keycloak.client import KeycloakAdminClient

ASSERTION_KEY_NAME = "ssoprov-client-assertion"
ASSERTION_KEY_PRIORITY = "10000"
ALGORITHM = "RS256"
REPLACE_KEYS = ("url", "realm")
SIGNER_KEYS = ("component_id", "kid", "certificate", "jwk", "valid_to")
TRUSTED_KEYS = ("trusted_kids", "trusted_certificates", "trusted_jwks")
OUTPUT_KEYS = (*SIGNER_KEYS, *TRUSTED_KEYS)


@dataclass(frozen=True)
class AssertionKey:
    """One client-assertion key of a realm: its provider (component), priority and public key."""

    component_id: str
    priority: int
    kid: str
    certificate: str
    """Base64 DER of the key's self-signed certificate."""
    valid_to: int | None
    """The certificate's expiry, epoch ms, as Keycloak reports it."""


@dataclass(frozen=True)
class KeycloakRealmAssertionKeyArgs:
    url: pulumi.Input[str]
    realm: pulumi.Input[str]


class _AssertionKeyProvider(ResourceProvider):
    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed: list[str] = []
        if olds.get("url") == news.get("url") and olds.get("realm") == news.get("realm"):
            now = run_async(_read_keys(news))
            if [key.kid for key in now] != olds.get("trusted_kids"):
                changed = ["trusted_kids"]
        return exact_diff(olds, news, replace_keys=REPLACE_KEYS, extra_updates=changed)

    def create(self, props: dict[str, Any]) -> CreateResult:
        outs = run_async(_ensure(props))
        return CreateResult(id_=outs["component_id"], outs=outs)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(outs=run_async(_ensure(news)))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        try:
            keys = run_async(_read_keys(props))
        except NotFoundError:
            return gone()
        return gone() if not keys else ReadResult(id_, _state(props, keys))

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Nothing: the key belongs to the realm and signs for its other organizations too."""


async def _read_keys(props: Mapping[str, Any]) -> list[AssertionKey]:
    async with admin_client(props["url"]) as keycloak:
        return await assertion_keys(keycloak, props["realm"])


async def _ensure(props: Mapping[str, Any]) -> dict[str, Any]:
    """Make the signer if the realm has none, fold duplicate signers; the state."""
    realm = props["realm"]
    async with admin_client(props["url"]) as keycloak:
        if not await _named_providers(keycloak, realm):
            await keycloak.create_key_provider(
                realm,
                ASSERTION_KEY_NAME,
                "rsa-generated",
                {"priority": ASSERTION_KEY_PRIORITY, "algorithm": ALGORITHM, "keySize": "2048"},
            )
        providers = await _named_providers(keycloak, realm)
        top = max(priority for _, priority in providers)
        signers = sorted(component for component, priority in providers if priority == top)
        for extra in signers[1:]:  # made at the same moment by another organization's run
            with contextlib.suppress(NotFoundError):  # that run may have folded it first
                await keycloak.delete_key_provider(realm, extra)
        keys = await assertion_keys(keycloak, realm)
    if not keys or keys[0].component_id != signers[0]:
        raise ProvisionerError(
            f"Keycloak: reading the client-assertion key {ASSERTION_KEY_NAME} of realm {realm}: its provider "
            f"exists but holds no active {ALGORITHM} key. Fix: enable it in the admin console (realm {realm} "
            "> Realm settings > Keys > Providers), or delete it and run `pulumi up` again"
        )
    return _state(props, keys)


async def _named_providers(keycloak: KeycloakAdminClient, realm: str) -> list[tuple[str, int]]:
    """(component id, priority) of the realm's providers named ASSERTION_KEY_NAME."""
    providers = await keycloak.list_key_providers(realm)
    return [(p["id"], _priority(p)) for p in providers if p.get("name") == ASSERTION_KEY_NAME]


def _priority(provider: Mapping[str, Any]) -> int:
    values = (provider.get("config") or {}).get("priority") or ["0"]
    return int(values[0])


async def assertion_keys(keycloak: KeycloakAdminClient, realm: str) -> list[AssertionKey]:
    """The realm's client-assertion keys: the active RS256 keys of providers named
    ASSERTION_KEY_NAME, highest priority (the signer) first."""
    components = {component for component, _ in await _named_providers(keycloak, realm)}
    found = [
        AssertionKey(
            component_id=key["providerId"],
            priority=int(key.get("providerPriority") or 0),
            kid=key["kid"],
            certificate=key["certificate"],
            valid_to=key.get("validTo"),
        )
        for key in await keycloak.realm_keys(realm)
        if key.get("providerId") in components
        and key.get("algorithm") == ALGORITHM
        and key.get("status") == "ACTIVE"
        and key.get("certificate")
    ]
    return sorted(found, key=lambda key: (-key.priority, key.component_id))


def _state(props: Mapping[str, Any], keys: list[AssertionKey]) -> dict[str, Any]:
    signer = keys[0]
    return {
        "url": props["url"],
        "realm": props["realm"],
        "component_id": signer.component_id,
        "kid": signer.kid,
        "certificate": signer.certificate,
        "jwk": public_jwk(signer.certificate, signer.kid),
        "valid_to": signer.valid_to,
        "trusted_kids": [key.kid for key in keys],
        "trusted_certificates": [key.certificate for key in keys],
        "trusted_jwks": [public_jwk(key.certificate, key.kid) for key in keys],
    }


def public_jwk(certificate: str, kid: str) -> dict[str, str]:
    """The RSA public key of a base64 DER certificate as a signing JWK named `kid`."""
    from cryptography import x509  # here, not at the top: the Pulumi program never reads a key

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
    trusted_kids: pulumi.Output[list[str]]
    trusted_certificates: pulumi.Output[list[str]]
    trusted_jwks: pulumi.Output[list[dict[str, str]]]

    def __init__(
        self,
        resource_name: str,
        args: KeycloakRealmAssertionKeyArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = declared_properties(args, REPLACE_KEYS, OUTPUT_KEYS)
        super().__init__(_AssertionKeyProvider(), resource_name, props, opts)
