"""The signing keys of an Okta SAML app, and the first half of a certificate rollover
(the plan itself, shared with Entra ID, is ssoprov.saml_signing).

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

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, ResourceProvider, UpdateResult

from ssoprov.clock import parse_timestamp, utc_now
from ssoprov.dynamic import declared_properties, exact_diff, gone, run_async
from ssoprov.errors import NotFoundError
from ssoprov.okta.okta_client import okta_client_from_env
from ssoprov.rotation import CertificatePolicy
from ssoprov.saml_signing import PLAN_OUTPUT_KEYS, KeyPlan, due_reason, plan_keys

REPLACE_KEYS = ("org_url", "app_id")
UPDATE_KEYS = ("rotate_before_expiry_days",)
INPUT_KEYS = REPLACE_KEYS + UPDATE_KEYS
OUTPUT_KEYS = PLAN_OUTPUT_KEYS
NEW_KEY_VALIDITY_YEARS = 10
"""What a generated key is valid for: Okta's longest (2 to 10 years), as long as an app's first key."""


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
    missing = (
        f"Okta: the app signs with key {app.signing_kid}, which its key credentials do not list. "
        "Fix: pick an existing key on the app's Sign On tab, then run `pulumi up` again"
    )
    return plan_keys(await client.list_saml_keys(app.id), app.signing_kid, utc_now(), missing=missing)


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
