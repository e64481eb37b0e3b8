"""Which of an app's client secrets no stack tracks: the leftovers of a run killed mid-create.

The engine records a created secret only once the IdP has answered: a run killed in between
(CI timeout, lost runner) leaves a working secret in the IdP that no state knows and no later
run would ever remove. The next create of the same client-secret resource removes such
leftovers, once it knows which secret the stack has recorded:

- A rotation is a replacement that the provider's `diff` asks for, and `diff` is handed the
  recorded secret's id. The engine then calls `check` again without the old inputs and `create`
  with the new inputs only, in the same provider process, so `diff` leaves the id here
  (`remember_recorded`) for `create` to take (`leftovers`): every other secret is a leftover.
- `pulumi up --replace <urn>` skips `diff`; only `check`, given the old inputs, says that a
  secret is recorded, not which. Creates of one resource follow each other, each recorded
  before the next begins, so the recorded secret is then the oldest: leftovers come from later
  attempts that were killed. (Deletes still pending from an earlier run are carried out first
  thing in the next run, so a replaced secret never passes for the recorded one.)
- With neither, the create is a first one: no secret of ours is in use, every one is a leftover.

Keys name the app (and whatever tells our secrets from others there); the old inputs give the
key, so a secret moving to another app is a first create on that app.

A recovery that does not replace the secret (`pulumi refresh --clear-pending-creates`, then a
plain `pulumi up`, with no rotation due) never reaches a create. So `read` (refresh, drift check)
also lists the app's secrets and records those of ours that are not the resource's own under
`untracked_secret_ids` (`with_untracked`): `pulumi refresh --preview-only` and `ssoprov drift`
show them as a change, and the next `up` sees them in the recorded state and updates the resource,
whose `update` removes them (`untracked_in`). The key is absent while there are none, so state
written before it existed reads the same.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from pulumi.dynamic import CheckResult, DiffResult, ResourceProvider

from ssoprov.clock import parse_timestamp
from ssoprov.dynamic import exact_diff

S = TypeVar("S")

ADOPTED_SECRET_KEY = "adopt_secret_id"
"""Input of a client-secret resource: the id of a secret made by hand that `ssoprov adopt` recorded.
Such a secret carries its admin's description, never ours, so it is never taken for a leftover."""

UNKNOWN_SECRET_VALUE = ""
"""The recorded value of an adopted secret, which nobody can read back. Not None: a None output
reads as unknown in every preview (the SDK cannot tell it from a value not yet computed), so the
broker would show a change each time. Brokers take it as "keep the secret you hold"."""

UNTRACKED_KEY = "untracked_secret_ids"
"""Output of a client-secret resource: ids of secrets of ours on its app that no state tracks."""

_REMOVAL = re.compile(r"^\w+: removed client secret (?P<id>\S+) \(.*\) from .+: no stack tracked it; ")
"""How `say_removed`'s line starts, whatever the IdP's details in it."""

_recorded: dict[str, str | None] = {}
"""Per provider process: resource key -> the id of the secret its state records (None: one is
recorded, which one is unknown)."""


def remember_recorded(key: str, secret_id: str | None) -> None:
    """Note that the resource `key` has a recorded secret (`check` with old inputs: id unknown;
    `diff`: its id)."""
    _recorded[key] = secret_id


class RecordedSecretProvider(ResourceProvider):
    """A client-secret provider whose `check` and `diff` note the recorded secret for `create`.

    Subclasses set `leftover_key` (props -> key), their `policy_keys` (changed in state only) and
    `replace_keys`, and `due_replacements`: why the recorded secret must be replaced now.
    `diff` replaces for those, and updates for a policy change or untracked secrets to remove.
    """

    leftover_key: Callable[[Mapping[str, Any]], str]
    policy_keys: tuple[str, ...]
    replace_keys: tuple[str, ...]

    def due_replacements(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[str]:
        raise NotImplementedError

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        if olds:
            remember_recorded(self.leftover_key(olds), None)
        return CheckResult(news, [])

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        remember_recorded(self.leftover_key(olds), id_)
        return exact_diff(
            olds,
            news,
            update_keys=self.policy_keys,
            replace_keys=self.replace_keys,
            extra_replaces=self.due_replacements(olds, news),
            extra_updates=[UNTRACKED_KEY] if untracked_in(olds) else [],
        )


def replaces_recorded(key: str) -> bool:
    """Whether the coming create of resource `key` replaces a recorded secret (a rotation, or
    `--replace`), as opposed to a first create. An adopted secret is recorded by a first create
    only: its replacement mints ours."""
    return key in _recorded


def with_untracked(outs: Mapping[str, Any], untracked_ids: Iterable[str]) -> dict[str, Any]:
    """`outs` with `UNTRACKED_KEY` set to `untracked_ids`, or without the key when there are none."""
    kept = {key: value for key, value in outs.items() if key != UNTRACKED_KEY}
    ids = sorted(untracked_ids)
    return {**kept, UNTRACKED_KEY: ids} if ids else kept


def untracked_in(olds: Mapping[str, Any]) -> list[str]:
    """The untracked secrets the last read found (the state `olds`); an update removes them."""
    return list(olds.get(UNTRACKED_KEY) or [])


def leftovers(
    key: str, secrets: Iterable[S], *, secret_id: Callable[[S], str], created_at: Callable[[S], str | None]
) -> list[S]:
    """The secrets among `secrets` (those on the app this resource could own) that no state tracks."""
    if key not in _recorded:
        return list(secrets)
    recorded = _recorded.pop(key)
    if recorded is None:
        return sorted(secrets, key=lambda secret: _timestamp(created_at(secret)))[1:]
    return [secret for secret in secrets if secret_id(secret).lower() != recorded.lower()]


def _timestamp(value: str | None) -> datetime:
    return parse_timestamp(value) if value else datetime.min.replace(tzinfo=UTC)


def say_removed(idp: str, secret_id: str, detail: str, owner: str, made: str) -> None:
    """Tell whoever runs the `up` that a secret no state tracked was removed, on the provider's
    stderr: `pulumi up` shows the line among the stack's diagnostics, `ssoprov` among the stack's
    progress lines and in its report (`removed_in`). An id, dates and names: never the value."""
    print(
        f"{idp}: removed client secret {secret_id} ({detail}) from {owner}: no stack tracked it; "
        f"a run was interrupted after {made} it",
        file=sys.stderr,
    )


def removed_in(message: str) -> list[tuple[str, str]]:
    """The removals that a provider's stderr, as the engine hands it on, announces: each line as
    `say_removed` wrote it, with the secret's id."""
    lines = (line.strip() for line in message.splitlines())
    return [(line, found["id"]) for line in lines if (found := _REMOVAL.match(line))]
