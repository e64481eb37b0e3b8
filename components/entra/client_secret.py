"""The client secret (password credential) the broker uses, as a Pulumi dynamic resource rotated by
replacement.

Inputs; "update" changes state only (Graph cannot edit a password), "replace" makes a new one:

    tenant_id                  replace  the tenant of the application
    application_object_id      replace  the app registration the secret belongs to
    display_name               replace  the secret's description, naming this tool and the organization
    lifetime_days              update   the rotation policy (spec clientSecret): the next secret's
    rotate_after_days          update   lifetime, and when the current one falls due
    rotate_before_expiry_days  update

    adopt_secret_id            -        the keyId of a password made by hand: the first create records
                                        it (value unknown: `client_secret` is "", and the broker
                                        keeps the secret it holds) with its real dates; its replacement,
                                        the first rotation, mints ours. Not compared by diff

An adopted password carries the description its admin gave it, not `display_name`, so the
untracked-secret logic below never takes it for a leftover of ours; the first rotation removes it
as any replaced secret is removed, after the broker has the new one.

Outputs: the inputs plus `key_id` (also the resource id), `hint` (the value's first characters,
as the portal shows them), `created_at` and `expires_at` (Graph's start and end), `rotate_by`
(YYYY-MM-DD, from which a `pulumi up` replaces the secret) and `client_secret`, the value: Graph
returns it once, from addPassword, and it lives only in this output, a Pulumi secret
(`additional_secret_outputs`).

Rotation: `diff` asks for a replacement once `ssoprov.rotation.recorded_reason_due` says the
recorded secret is due (by age, or by nearness to its real expiry), as of `ssoprov.clock.utc_now()`,
so a scheduled `pulumi up` rotates and `SSOPROV_AS_OF` can bring a rotation forward. The
replacement is create-before-delete: the engine adds the new password, hands its value to the
dependents (the broker connection), and only then removes the old one. Entra allows several
passwords per app, so nothing needs to make room first. A change of policy alone updates
`rotate_by` in place and calls nothing.

Create adds the password, then removes the app's passwords carrying this secret's `display_name`
that no state tracks, left by a run killed between addPassword and the engine's record of it
(`ssoprov.untracked_secrets`). It finds them in the read that waits for Graph to list the new
password (replication), the one call beyond the minimum. Read (refresh,
drift check) notices such passwords too and records them as `untracked_secret_ids`; the next
`pulumi up` then updates the resource, and the update removes them (nothing else changes).

The expiry Graph gets is the real time plus `lifetime_days` (at most 730, Entra's safe maximum),
never the moved clock. Reading a secret removed in the portal (or of an application deleted)
drops it from state; the next `pulumi up` adds a new one and the broker receives it. Delete
removes the password; already gone is fine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pulumi
from pulumi.dynamic import (
    CreateResult,
    ReadResult,
    Resource,
    UpdateResult,
)

from ssoprov.clock import utc_now
from ssoprov.dynamic import declared_properties, gone, run_async, with_secret_outputs
from ssoprov.entra.provider_support import delete_existing, graph_client, read_existing, require_strings
from ssoprov.errors import ProvisionerError
from ssoprov.rotation import MAX_SECRET_LIFETIME_DAYS, policy_from, recorded_reason_due, rotate_by
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

if TYPE_CHECKING:
    from ssoprov.entra.graph_client import GraphClient, PasswordInfo, PasswordSecret

REPLACE_KEYS = ("tenant_id", "application_object_id", "display_name")
POLICY_KEYS = ("lifetime_days", "rotate_after_days", "rotate_before_expiry_days")
INPUT_KEYS = REPLACE_KEYS + POLICY_KEYS
OUTPUT_KEYS = ("key_id", "hint", "created_at", "expires_at", "rotate_by", "client_secret")
SECRET_KEYS = ("client_secret",)
ADOPT_KEY = ADOPTED_SECRET_KEY


@dataclass(frozen=True)
class EntraClientSecretArgs:
    tenant_id: pulumi.Input[str]
    application_object_id: pulumi.Input[str]
    display_name: str
    lifetime_days: int
    rotate_after_days: int
    rotate_before_expiry_days: int
    adopt_secret_id: str | None = None


def _leftover_key(props: Mapping[str, Any]) -> str:
    """Our passwords on an app are the ones carrying our description."""
    return f"entra:{props['application_object_id']}:{props['display_name']}"


class _EntraClientSecretProvider(RecordedSecretProvider):
    leftover_key = staticmethod(_leftover_key)
    policy_keys = POLICY_KEYS
    replace_keys = REPLACE_KEYS

    def due_replacements(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[str]:
        return ["rotate_by"] if recorded_reason_due(olds, news, utc_now()) is not None else []

    def create(self, props: dict[str, Any]) -> CreateResult:
        _check(props)
        if props.get(ADOPT_KEY) and not replaces_recorded(_leftover_key(props)):
            adopted = run_async(_adopted(graph_client(props["tenant_id"]), props))
            return CreateResult(id_=adopted["key_id"], outs=_outs(props, adopted, UNKNOWN_SECRET_VALUE))
        # The real clock, even when SSOPROV_AS_OF moves "now" for the rotation decision.
        end = datetime.now(UTC) + timedelta(days=int(props["lifetime_days"]))
        secret = run_async(_create(graph_client(props["tenant_id"]), props, end))
        return CreateResult(id_=secret["key_id"], outs=_outs(props, secret, secret["secret_text"]))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        application = props["application_object_id"]
        passwords = read_existing(
            lambda client: client.list_passwords(application),
            tenant_id=props["tenant_id"],
            object_id=application,
            created_at=props.get("created_at"),  # the app is at least as old as its secret
        )
        if passwords is None:
            return gone()  # the application is gone, and its secrets with it
        found = next((p for p in passwords if p["key_id"].lower() == id_.lower()), None)
        if found is None:
            return gone()
        untracked = [p["key_id"] for p in _ours(passwords, props["display_name"]) if p is not found]
        # Graph never shows a secret's value again: the value stays as recorded.
        return ReadResult(id_, with_untracked(_outs(props, found, props.get("client_secret")), untracked))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """The policy changed (anything else replaces): recompute `rotate_by`, call nothing; and/or
        the last read found untracked passwords: remove them."""
        _check(news)
        if untracked_in(olds):
            run_async(_remove_recorded_untracked(graph_client(news["tenant_id"]), id_, olds))
        outs = {**{key: olds.get(key) for key in OUTPUT_KEYS}, **{key: news[key] for key in INPUT_KEYS}}
        outs["rotate_by"] = rotate_by(outs)
        return UpdateResult(outs=outs)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        # A secret already removed is fine; so is an application already gone (its secrets went with it).
        delete_existing(
            lambda client: client.remove_password(props["application_object_id"], id_),
            tenant_id=props["tenant_id"],
        )


async def _adopted(client: GraphClient, props: Mapping[str, Any]) -> PasswordInfo:
    application, key_id = props["application_object_id"], props[ADOPT_KEY]
    for password in await client.list_passwords(application):
        if password["key_id"].lower() == key_id.lower():
            return password
    raise ProvisionerError(
        f"Entra: adopting client secret {key_id} of application {application}: the app has no such "
        "secret. Fix: correct ssoprov:organization.adoption.secretId, or remove it to add a new secret"
    )


def _ours(passwords: list[PasswordInfo], display_name: str) -> list[PasswordInfo]:
    """The app's passwords that carry this resource's description: ours, tracked or not."""
    return [password for password in passwords if password["display_name"] == display_name]


async def _create(client: GraphClient, props: Mapping[str, Any], end: datetime) -> PasswordSecret:
    """Add the password, then remove the untracked ones of ours that the read confirming the new
    one lists (Entra needs no room first). Should a removal fail, the create fails, and its new
    password is one more leftover for the next create to remove."""
    application, name = props["application_object_id"], props["display_name"]
    secret, listed = await client.add_password_and_list(application, name, end)
    others = [p for p in _ours(listed, name) if p["key_id"].lower() != secret["key_id"].lower()]
    untracked = leftovers(
        _leftover_key(props),
        others,
        secret_id=lambda p: p["key_id"],
        created_at=lambda p: p["start_date_time"],
    )
    for password in untracked:
        await _remove_untracked(client, application, password)
    return secret


async def _remove_recorded_untracked(client: GraphClient, key_id: str, olds: Mapping[str, Any]) -> None:
    """Remove the untracked passwords the last read recorded that are still there (never the
    resource's own, `key_id`)."""
    application = olds["application_object_id"]
    recorded = {found.lower() for found in untracked_in(olds)} - {key_id.lower()}
    for password in _ours(await client.list_passwords(application), olds["display_name"]):
        if password["key_id"].lower() in recorded:
            await _remove_untracked(client, application, password)


async def _remove_untracked(client: GraphClient, application: str, password: PasswordInfo) -> None:
    await client.remove_password(application, password["key_id"])
    detail = f"{password['display_name']!r}, added {password['start_date_time']}"
    say_removed("Entra", password["key_id"], detail, f"application {application}", "adding")


def _check(props: Mapping[str, Any]) -> None:
    require_strings("Entra client secret", props, REPLACE_KEYS)
    lifetime = policy_from(props).lifetime_days
    if not 1 <= lifetime <= MAX_SECRET_LIFETIME_DAYS:
        raise ValueError(
            f"Entra client secret: lifetime_days must be from 1 to {MAX_SECRET_LIFETIME_DAYS}, not {lifetime}"
        )


def _outs(props: Mapping[str, Any], password: PasswordInfo, value: str | None) -> dict[str, Any]:
    outs: dict[str, Any] = {key: props[key] for key in INPUT_KEYS}
    created = password["start_date_time"] or datetime.now(UTC).isoformat()
    outs.update(
        key_id=password["key_id"],
        hint=password["hint"],
        created_at=created,
        expires_at=password["end_date_time"],
        client_secret=value,
    )
    outs["rotate_by"] = rotate_by(outs)
    return outs


class EntraClientSecret(Resource, module="entra", name="ClientSecret"):
    """One password credential of one app registration. Its resource id is the keyId."""

    tenant_id: pulumi.Output[str]
    application_object_id: pulumi.Output[str]
    key_id: pulumi.Output[str]
    hint: pulumi.Output[str]
    created_at: pulumi.Output[str]
    expires_at: pulumi.Output[str]
    rotate_by: pulumi.Output[str]
    client_secret: pulumi.Output[str]
    """Always a Pulumi secret."""

    def __init__(
        self, resource_name: str, args: EntraClientSecretArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        props = {**declared_properties(args, INPUT_KEYS, OUTPUT_KEYS), ADOPT_KEY: args.adopt_secret_id}
        super().__init__(
            _EntraClientSecretProvider(), resource_name, props, with_secret_outputs(opts, SECRET_KEYS)
        )
