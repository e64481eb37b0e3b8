"""The signing keys of an Okta SAML app, and the first half of a certificate rollover.

A rollover with no failed sign-in goes (a) Okta gets a new key credential that does not sign yet,
(b) the broker trusts the old and the new certificate, (c) the app signs with the new key,
(d) the broker stops trusting the old one. Okta has no delete for an app's key credentials: the old
key just stops being used. This resource does (a) and tells the broker what to trust for (b);
`OktaSamlSigningSwitch` (saml_signing_switch.py) does (c) once the broker's trust is written.

Why (d) needs a second `pulumi up`: the engine writes each resource at most once per `up`, and the
broker's identity provider must be written twice around the switch (both certificates before it,
the new one only after it). So the first `up` does (a) to (c) and leaves the broker trusting both
(safe: the old key signs nothing any more); the next `up` sees the switched app and does (d).
`ssoprov rotate` runs that second `up` itself; after a plain `pulumi up` the next one finishes.

State lives in Okta, not here: a key newer than the signing one is a rollover in progress (staged
by an earlier run that stopped, or by an admin) and is always finished, never a second key made.
So an interrupted rollover converges on the next run, whatever step it stopped at.

Inputs; "update" re-plans in place, "replace" makes a new resource:

    org_url                    replace  the customer's Okta org
    app_id                     replace  the SAML app (a new app brings its own first key)
    rotate_before_expiry_days  update   the spec's `saml.rotateBeforeExpiryDays`

Outputs: `signing_kid` and `signing_expires_at` (the key the app signed with when read),
`staged_kid` (the new key not signing yet, or None), `next_kid`, `next_certificate` and
`next_expires_at` (the key that signs once this `up` is done: the staged one if any), and
`trusted_certificates` (base64 DER, what the broker must trust: the signing and the staged key).
A recorded staged key, or a due certificate, makes the next `diff` report a change, so an `up`
carries the rollover on; otherwise the resource is still. Delete does nothing: the app's delete
removes its keys. Read never generates a key.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, ResourceProvider, UpdateResult

from ssoprov.clock import parse_timestamp, utc_now
from ssoprov.dynamic import declared_properties, exact_diff, gone, run_async
from ssoprov.errors import NotFoundError, ProvisionerError
from ssoprov.okta.okta_client import SamlSigningKey, okta_client_from_env
from ssoprov.rotation import CertificatePolicy

REPLACE_KEYS = ("org_url", "app_id")
UPDATE_KEYS = ("rotate_before_expiry_days",)
INPUT_KEYS = REPLACE_KEYS + UPDATE_KEYS
OUTPUT_KEYS = (
    "signing_kid",
    "signing_expires_at",
    "staged_kid",
    "next_kid",
    "next_certificate",
    "next_expires_at",
    "trusted_certificates",
)
NEW_KEY_VALIDITY_YEARS = 10
"""What a generated key is valid for: Okta's longest (2 to 10 years), as long as an app's first key."""


@dataclass(frozen=True)
class KeyPlan:
    """The app's signing key and the key a rollover in progress will switch it to."""

    signing: SamlSigningKey
    staged: SamlSigningKey | None

    @property
    def next(self) -> SamlSigningKey:
        """The key that signs once this run is done."""
        return self.staged or self.signing

    @property
    def trusted_certificates(self) -> list[str]:
        return [self.signing.certificate] + ([self.staged.certificate] if self.staged else [])

    def outputs(self) -> dict[str, Any]:
        return {
            "signing_kid": self.signing.kid,
            "signing_expires_at": self.signing.expires_at,
            "staged_kid": self.staged.kid if self.staged else None,
            "next_kid": self.next.kid,
            "next_certificate": self.next.certificate,
            "next_expires_at": self.next.expires_at,
            "trusted_certificates": self.trusted_certificates,
        }


def plan_keys(keys: Iterable[SamlSigningKey], signing_kid: str, now: datetime) -> KeyPlan:
    """The signing key among `keys`, and the staged one: the newest key made after it that has not
    expired (None when there is no such key)."""
    by_kid = {key.kid: key for key in keys}
    signing = by_kid.get(signing_kid)
    if signing is None:
        raise ProvisionerError(
            f"Okta: the app signs with key {signing_kid}, which its key credentials do not list. "
            "Fix: pick an existing key on the app's Sign On tab, then run `pulumi up` again"
        )
    made = parse_timestamp(signing.created) if signing.created else None
    newer = [
        key
        for key in by_kid.values()
        if key.kid != signing_kid
        and key.created
        and made is not None
        and parse_timestamp(key.created) > made
        and parse_timestamp(key.expires_at) > now
    ]
    staged = max(newer, key=lambda key: parse_timestamp(key.created), default=None)
    return KeyPlan(signing, staged)


def due_reason(props: Mapping[str, Any], now: datetime) -> str | None:
    """Why the recorded next key (`props`: this resource's outputs and inputs) must be rolled over."""
    expires = props.get("next_expires_at")
    if not isinstance(expires, str) or not expires:
        return None
    policy = CertificatePolicy(int(props["rotate_before_expiry_days"]))
    return policy.reason_due(parse_timestamp(expires), now)


class _OktaSamlSigningKeysProvider(ResourceProvider):
    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        carry_on = bool(olds.get("staged_kid")) or due_reason({**olds, **news}, utc_now()) is not None
        return exact_diff(
            olds,
            news,
            update_keys=UPDATE_KEYS,
            replace_keys=REPLACE_KEYS,
            extra_updates=["trusted_certificates"] if carry_on else [],
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(id_=f"{props['app_id']}-signing-keys", outs={**props, **_roll(props)})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        try:
            plan = run_async(_plan(props))
        except NotFoundError:
            return gone()
        return ReadResult(id_, {**props, **plan.outputs()})

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(outs={**news, **_roll(news)})

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Nothing to do: Okta deletes an app's keys with the app, and has no delete for one key."""


async def _plan(props: Mapping[str, Any]) -> KeyPlan:
    client = okta_client_from_env(org_url=props["org_url"])
    app = await client.get_saml_app(props["app_id"])
    return plan_keys(await client.list_saml_keys(app.id), app.signing_kid, utc_now())


def _roll(props: Mapping[str, Any]) -> dict[str, Any]:
    """Step (a) when due: the plan, with a new key staged if the signing one is due and none is."""

    async def roll() -> KeyPlan:
        plan = await _plan(props)
        policy = CertificatePolicy(int(props["rotate_before_expiry_days"]))
        expires = parse_timestamp(plan.signing.expires_at)
        if plan.staged is None and policy.reason_due(expires, utc_now()) is not None:
            client = okta_client_from_env(org_url=props["org_url"])
            staged = await client.generate_saml_key(props["app_id"], NEW_KEY_VALIDITY_YEARS)
            plan = KeyPlan(plan.signing, staged)
        return plan

    return run_async(roll()).outputs()


@dataclass(frozen=True)
class OktaSamlSigningKeysArgs:
    org_url: pulumi.Input[str]
    app_id: pulumi.Input[str]
    rotate_before_expiry_days: pulumi.Input[int]


class OktaSamlSigningKeys(Resource, module="okta", name="SamlSigningKeys"):
    """The signing keys of one Okta SAML app: which signs, which is staged, what the broker trusts."""

    org_url: pulumi.Output[str]
    app_id: pulumi.Output[str]
    rotate_before_expiry_days: pulumi.Output[int]
    signing_kid: pulumi.Output[str]
    signing_expires_at: pulumi.Output[str]
    staged_kid: pulumi.Output[str | None]
    next_kid: pulumi.Output[str]
    next_certificate: pulumi.Output[str]
    next_expires_at: pulumi.Output[str]
    trusted_certificates: pulumi.Output[list[str]]

    def __init__(
        self, resource_name: str, args: OktaSamlSigningKeysArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(
            _OktaSamlSigningKeysProvider(),
            resource_name,
            declared_properties(args, INPUT_KEYS, OUTPUT_KEYS),
            opts,
        )
