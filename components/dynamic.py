"""What every thin dynamic provider shares: the async bridge, exact diffs, and 'gone' reads.

Providers stay thin: they translate Pulumi properties and call a plain client class. The
Pulumi runtime calls CRUD methods from a thread pool with no event loop, so each call runs
its own loop (`run_async`) and builds its SDK client inside that call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable, Mapping
from typing import Any, TypeVar

import pulumi
from pulumi.dynamic import DiffResult, ReadResult

T = TypeVar("T")


def run_async(awaitable: Awaitable[T]) -> T:
    async def _await() -> T:
        return await awaitable

    return asyncio.run(_await())


def changed_keys(olds: Mapping[str, Any], news: Mapping[str, Any], keys: Iterable[str]) -> list[str]:
    """Keys whose new input differs from the recorded state; lists compare as given (order matters)."""
    return [key for key in keys if olds.get(key) != news.get(key)]


def exact_diff(
    olds: Mapping[str, Any],
    news: Mapping[str, Any],
    *,
    update_keys: Iterable[str] = (),
    replace_keys: Iterable[str] = (),
    extra_replaces: Iterable[str] = (),
    extra_updates: Iterable[str] = (),
) -> DiffResult:
    """A diff that reports changes only for keys that really differ (or that the provider names in
    `extra_replaces` / `extra_updates`, from what it read rather than from the inputs).

    Replacement is always create-before-delete: the new object exists before the old one goes,
    so dependents (the broker connection) are repointed in between.
    """
    replaces = changed_keys(olds, news, replace_keys) + list(extra_replaces)
    updates = changed_keys(olds, news, update_keys) + list(extra_updates)
    return DiffResult(changes=bool(replaces or updates), replaces=replaces, delete_before_replace=False)


def nonempty_strings(value: Any) -> bool:
    """Whether an input is a non-empty list of non-empty strings (certificates, say): what the engine
    hands a provider is unchecked JSON."""
    return isinstance(value, list) and bool(value) and all(isinstance(item, str) and item for item in value)


def gone() -> ReadResult:
    """The answer of `read` for an object deleted out of band: the engine drops it from state."""
    return ReadResult(None, {})


def declared_properties(
    args: object, input_keys: Iterable[str], output_keys: Iterable[str] = ()
) -> dict[str, Any]:
    """What a dynamic resource registers: each input read from its args dataclass, and each
    output as None, which is how Pulumi learns to fill the class's Output attributes of that name."""
    properties = {key: getattr(args, key) for key in input_keys}
    properties.update(dict.fromkeys(output_keys))
    return properties


def with_secret_outputs(opts: pulumi.ResourceOptions | None, keys: Iterable[str]) -> pulumi.ResourceOptions:
    """`opts`, plus: the provider's values for `keys` are Pulumi secrets (encrypted in state)."""
    return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=list(keys)))
