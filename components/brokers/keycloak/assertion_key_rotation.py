"""The Keycloak half of a realm client-assertion key rotation: stage, promote, retire.

The realm's client-assertion keys are described in assertion_key.py: providers named
`ASSERTION_KEY_NAME`, the one of highest priority signing. A rotation moves through three states
that Keycloak itself records, so a rotation killed at any point is resumed from what Keycloak shows:

- staged: a provider below `ASSERTION_KEY_PRIORITY`. It is ACTIVE (published in the realm's JWKS,
  so an IdP that fetches the JWKS URL sees it) but never signs, as the signer's priority is higher;
- promoted: the staged provider raised one above the signer, which Keycloak signs with from then on;
- retiring: a provider at or above `ASSERTION_KEY_PRIORITY` that is not the highest: an old signer,
  deleted by `retire`.

Which IdP apps trust which key, and so whether promoting is safe, is the fleet's business
(components/fleet/realm_keys.py); these functions only change Keycloak.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from ssoprov.brokers.keycloak.assertion_key import (
    ALGORITHM,
    ASSERTION_KEY_NAME,
    ASSERTION_KEY_PRIORITY,
    AssertionKey,
    assertion_keys,
)
from ssoprov.brokers.keycloak.client import from_environment
from ssoprov.errors import NotFoundError, ProvisionerError

STAGED_PRIORITY = "5000"
"""Below the signer (10000 and up), above Keycloak's own generated keys (100): published, not signing."""


@dataclass(frozen=True)
class RealmKeys:
    """A realm's client-assertion keys, sorted into the rotation's states."""

    signer: AssertionKey | None
    staged: list[AssertionKey]
    retiring: list[AssertionKey]

    @classmethod
    def of(cls, keys: list[AssertionKey]) -> RealmKeys:
        """`keys` as `assertion_keys` lists them, highest priority first."""
        rest = keys[1:]
        return cls(
            signer=keys[0] if keys else None,
            staged=[key for key in rest if key.priority < int(ASSERTION_KEY_PRIORITY)],
            retiring=[key for key in rest if key.priority >= int(ASSERTION_KEY_PRIORITY)],
        )


async def read(url: str, realm: str) -> RealmKeys:
    async with from_environment(url) as keycloak:
        return RealmKeys.of(await assertion_keys(keycloak, realm))


async def stage(url: str, realm: str) -> AssertionKey:
    """Add a new key that is published but does not sign (or return the one already staged)."""
    async with from_environment(url) as keycloak:
        keys = RealmKeys.of(await assertion_keys(keycloak, realm))
        if not keys.staged:
            await keycloak.create_key_provider(
                realm,
                ASSERTION_KEY_NAME,
                "rsa-generated",
                {"priority": STAGED_PRIORITY, "algorithm": ALGORITHM, "keySize": "2048"},
            )
            keys = RealmKeys.of(await assertion_keys(keycloak, realm))
    if not keys.staged:
        raise ProvisionerError(
            f"Keycloak: staging a new client-assertion key in realm {realm}: the provider was created but "
            f"lists no active {ALGORITHM} key. Fix: check realm {realm} > Realm settings > Keys > Providers, "
            "then run `ssoprov rotate` again"
        )
    return keys.staged[0]


async def promote(url: str, realm: str, staged: AssertionKey) -> None:
    """Raise the staged key above the signer: Keycloak signs every client assertion with it now."""
    async with from_environment(url) as keycloak:
        keys = RealmKeys.of(await assertion_keys(keycloak, realm))
        if keys.signer is None or keys.signer.component_id == staged.component_id:
            return  # already promoted
        priority = str(keys.signer.priority + 1)
        await keycloak.update_key_provider(realm, staged.component_id, {"priority": priority})


async def retire(url: str, realm: str) -> list[AssertionKey]:
    """Delete the old signers' providers (the retiring keys); the keys deleted."""
    async with from_environment(url) as keycloak:
        keys = RealmKeys.of(await assertion_keys(keycloak, realm))
        for key in keys.retiring:
            with contextlib.suppress(NotFoundError):  # deleted meanwhile: retired all the same
                await keycloak.delete_key_provider(realm, key.component_id)
    return keys.retiring
