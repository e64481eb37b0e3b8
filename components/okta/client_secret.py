"""The client secret of an organization's Okta app, as a Pulumi dynamic resource, rotated by
replacement.

Inputs; "update" changes state only (no Okta call), "replace" makes a new secret:

    org_url                    replace  the customer's Okta org
    app_id                     replace  the app the secret belongs to
    initial_secret_id          -        the secret Okta made with the app (read at create only)
    lifetime_days              update   the rotation policy (spec clientSecret), see below
    rotate_after_days          update
    rotate_before_expiry_days  update

Outputs: the inputs plus `secret_id` (also the resource id), `client_secret` (a Pulumi secret:
`additional_secret_outputs`), `status`, `created_at` (Okta's timestamp) and `rotate_by` (the
date, YYYY-MM-DD, from which a `pulumi up` replaces the secret).

Rotation. Okta client secrets never expire, so the policy is applied to a notional expiry,
`created_at + lifetime_days`: `diff` asks for a replacement once `RotationPolicy.reason_due`
says the secret is due (by age, or by nearness to that notional expiry), as of
`ssoprov.clock.utc_now()`. A scheduled `pulumi up` therefore rotates, and `SSOPROV_AS_OF`
can bring a rotation forward. A secret deactivated out of band is replaced too. A change of
policy alone updates `rotate_by` in place and calls nothing.

Replacement is create-before-delete, and Okta keeps at most two secrets per app, so:

- create: list the app's secrets. Those no state tracks are removed: the app's initial secret
  (never exported, so nothing uses it) and the leftovers of a run killed between Okta's answer
  and the engine's record of it (`ssoprov.untracked_secrets`; Okta secrets have no name, and
  the app is this stack's, so every other secret on it is a candidate). As many as needed to
  make room go first, inactive ones first; then the new ACTIVE secret is created; then the rest
  go. Should a removal fail, the create fails, and its new secret is one more leftover for the
  next create to remove.
- the engine then hands the new secret to dependents (the broker connection);
- delete (of the old secret): deactivate, then delete. A secret already gone is fine. Okta
  refuses to deactivate an app's only ACTIVE secret; that only happens when the app itself is
  being destroyed, so the secret is left to the app's deletion.

So a rotation never needs a third secret, and the app never has zero ACTIVE secrets. Reading a
secret deleted out of band drops it from state; the next `pulumi up` makes a new one.

Read (refresh, drift check) lists the app's secrets (one call, as a single GET would be) and
records every other secret on the app as `untracked_secret_ids`; the next `pulumi up` then
updates the resource, and the update deactivates and deletes them (never the resource's own), so
a run killed mid-rotation is cleaned up by the documented recovery without any rotation due.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.dynamic import (
    CreateResult,
    ReadResult,
    Resource,
    UpdateResult,
)

from ssoprov.clock import utc_now
from ssoprov.dynamic import declared_properties, gone, run_async, with_secret_outputs
from ssoprov.errors import NotFoundError
from ssoprov.okta.okta_client import ClientSecret, OktaClient, okta_client_from_env
from ssoprov.rotation import policy_from, recorded_reason_due, rotate_by
from ssoprov.untracked_secrets import (
    ADOPTED_SECRET_KEY,
    UNKNOWN_SECRET_VALUE,
    RecordedSecretProvider,
    leftovers,
    replaces_recorded,
    say_removed,
    untracked_in,
    with_untracked,
)

REPLACE_KEYS = ("org_url", "app_id")
POLICY_KEYS = ("lifetime_days", "rotate_after_days", "rotate_before_expiry_days")
INPUT_KEYS = (*REPLACE_KEYS, "initial_secret_id", *POLICY_KEYS)
OUTPUT_KEYS = ("secret_id", "client_secret", "status", "created_at", "rotate_by")
SECRET_KEYS = ("client_secret",)
MAX_SECRETS = 2
"""Okta's limit of client secrets per app."""


@dataclass(frozen=True)
class OktaClientSecretArgs:
    org_url: pulumi.Input[str]
    app_id: pulumi.Input[str]
    initial_secret_id: pulumi.Input[str | None]
    """The id of the secret Okta created with the app; removed once the new secret exists."""
    lifetime_days: int
    rotate_after_days: int
    rotate_before_expiry_days: int
    adopt_secret_id: str | None = None
    """The id of the app's secret made by hand: the first create records it (value unknown), its
    replacement (the first rotation) makes ours."""


def _leftover_key(props: Mapping[str, Any]) -> str:
    """Okta secrets have no name; the app is this stack's, so every secret on it could be ours."""
    return f"okta:{props['org_url']}:{props['app_id']}"


class _OktaClientSecretProvider(RecordedSecretProvider):
    leftover_key = staticmethod(_leftover_key)
    policy_keys = POLICY_KEYS
    replace_keys = REPLACE_KEYS

    def due_replacements(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[str]:
        if olds.get("status") == "INACTIVE":
            return ["status"]
        return ["rotate_by"] if recorded_reason_due(olds, news, utc_now()) is not None else []

    def create(self, props: dict[str, Any]) -> CreateResult:
        _check(props)
        if props.get(ADOPTED_SECRET_KEY) and not replaces_recorded(_leftover_key(props)):
            client = okta_client_from_env(org_url=props["org_url"])
            adopted = run_async(client.get_secret(props["app_id"], props[ADOPTED_SECRET_KEY]))
            return CreateResult(id_=adopted.id, outs=_outs(props, adopted, UNKNOWN_SECRET_VALUE))
        secret = run_async(_create(props))
        return CreateResult(id_=secret.id, outs=_outs(props, secret, secret.client_secret))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        client = okta_client_from_env(org_url=props["org_url"])
        try:
            existing = run_async(client.list_secrets(props["app_id"]))
        except NotFoundError:
            return gone()  # the app is gone, and its secrets with it
        secret = next((s for s in existing if s.id == id_), None)
        if secret is None:
            return gone()
        untracked = [s.id for s in existing if s is not secret]
        # Okta shows a secret's value only when creating it: the value stays as recorded.
        return ReadResult(id_, with_untracked(_outs(props, secret, props.get("client_secret")), untracked))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """The policy changed (diff replaces on anything else): recompute `rotate_by`, call nothing;
        and/or the last read found untracked secrets: remove them."""
        _check(news)
        if untracked_in(olds):
            run_async(_remove_recorded_untracked(id_, olds))
        outs = {**{key: olds.get(key) for key in OUTPUT_KEYS}, **{key: news.get(key) for key in INPUT_KEYS}}
        outs["rotate_by"] = rotate_by(outs)
        return UpdateResult(outs=outs)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        run_async(_delete(okta_client_from_env(org_url=props["org_url"]), props["app_id"], id_))


async def _create(props: Mapping[str, Any]) -> ClientSecret:
    client = okta_client_from_env(org_url=props["org_url"])
    app_id, initial_id = props["app_id"], props.get("initial_secret_id")
    existing = await client.list_secrets(app_id)
    initial = [s for s in existing if s.id == initial_id]
    others = [s for s in existing if s.id != initial_id]
    unused = initial + leftovers(
        _leftover_key(props), others, secret_id=lambda s: s.id, created_at=lambda s: s.created
    )
    unused.sort(key=lambda s: s.status == "ACTIVE")  # inactive ones make room first
    room_needed = max(0, len(existing) - MAX_SECRETS + 1)
    for secret in unused[:room_needed]:
        await _remove_unused(client, app_id, secret, initial_id)
    created = await client.create_secret(app_id)
    for secret in unused[room_needed:]:
        # Should Okta refuse, the create fails and the new secret, untracked and the newest,
        # is a leftover the next create removes in turn.
        await _remove_unused(client, app_id, secret, initial_id)
    return created


async def _remove_recorded_untracked(secret_id: str, olds: Mapping[str, Any]) -> None:
    """Remove the untracked secrets the last read recorded that are still there (never the
    resource's own, `secret_id`)."""
    client = okta_client_from_env(org_url=olds["org_url"])
    app_id = olds["app_id"]
    recorded = set(untracked_in(olds)) - {secret_id}
    for secret in await client.list_secrets(app_id):
        if secret.id in recorded:
            await _remove_unused(client, app_id, secret, initial_id=None)


async def _remove_unused(
    client: OktaClient, app_id: str, secret: ClientSecret, initial_id: str | None
) -> None:
    await _deactivate_and_delete(client, app_id, secret)
    if secret.id != initial_id:
        say_removed("Okta", secret.id, f"created {secret.created}", f"app {app_id}", "creating")


async def _deactivate_and_delete(client: OktaClient, app_id: str, secret: ClientSecret) -> None:
    if secret.status == "ACTIVE":
        await client.deactivate_secret(app_id, secret.id)
    await client.delete_secret(app_id, secret.id)


async def _delete(client: OktaClient, app_id: str, secret_id: str) -> None:
    try:
        existing = await client.list_secrets(app_id)
    except NotFoundError:
        return  # the app is gone, and its secrets with it
    secret = next((s for s in existing if s.id == secret_id), None)
    if secret is None:
        return  # already gone
    others_active = [s for s in existing if s.id != secret_id and s.status == "ACTIVE"]
    if secret.status == "ACTIVE" and not others_active:
        return  # Okta refuses to deactivate the only active secret: it goes with the app
    await _deactivate_and_delete(client, app_id, secret)


def _check(props: Mapping[str, Any]) -> None:
    missing = [key for key in REPLACE_KEYS if not isinstance(props.get(key), str) or not props[key]]
    if missing:
        raise ValueError(f"Okta client secret: inputs {missing} must be non-empty strings")
    policy_from(props)  # the ints must be there


def _outs(props: Mapping[str, Any], secret: ClientSecret, value: str | None) -> dict[str, Any]:
    outs = {key: props.get(key) for key in INPUT_KEYS}
    outs.update(
        secret_id=secret.id,
        client_secret=value,
        status=secret.status,
        created_at=secret.created,
    )
    outs["rotate_by"] = rotate_by(outs)
    return outs


class OktaClientSecret(Resource, module="okta", name="ClientSecret"):
    """The client secret of one Okta app that the broker uses. Its resource id is the secret id."""

    org_url: pulumi.Output[str]
    app_id: pulumi.Output[str]
    secret_id: pulumi.Output[str]
    client_secret: pulumi.Output[str]
    """Always a Pulumi secret."""
    status: pulumi.Output[str]
    created_at: pulumi.Output[str]
    rotate_by: pulumi.Output[str]

    def __init__(
        self, resource_name: str, args: OktaClientSecretArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        props = {
            **declared_properties(args, INPUT_KEYS, OUTPUT_KEYS),
            ADOPTED_SECRET_KEY: args.adopt_secret_id,
        }
        super().__init__(
            _OktaClientSecretProvider(), resource_name, props, with_secret_outputs(opts, SECRET_KEYS)
        )
