"""The one retry helper for every API client: throttling, server errors, eventual consistency.

Each client says which failures are transient and how long the service asked it to wait
(`Retry-After`, `X-Rate-Limit-Reset`); this module owns the loop, the backoff and the budget,
so that "retried with bounded backoff" means the same thing for Graph, Okta and the brokers.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from ssoprov.errors import RetryBudgetExceeded
from ssoprov.wording import counted

T = TypeVar("T")

Classifier = Callable[[Exception], float | None]
"""Returns the seconds to wait before retrying `exc` (0 for "use backoff"), or None if it is final."""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 8
    """Tries in all, the first included."""
    budget_seconds: float = 60.0
    """Total time the retries may wait; a wait that would exceed it ends the loop."""
    base_delay: float = 0.5
    max_delay: float = 8.0

    def backoff(self, retry_number: int) -> float:
        """Exponential backoff with full jitter, capped."""
        ceiling = min(self.max_delay, self.base_delay * (2**retry_number))
        return random.uniform(ceiling / 2, ceiling)


MAX_BUDGET_SECONDS = 3600.0
BUDGET_VARIABLE = "SSOPROV_RETRY_BUDGET_SECONDS"
"""Overrides `RetryPolicy.budget_seconds` for every client of a process (providers inherit it)."""


def policy_from_env(environ: Mapping[str, str]) -> RetryPolicy:
    """The default policy, with the budget from `SSOPROV_RETRY_BUDGET_SECONDS` when it is set.

    A nightly rotation job may rather wait out a long throttle than fail; a pull-request preview
    may rather fail fast.
    """
    raw = environ.get(BUDGET_VARIABLE, "").strip()
    if not raw:
        return RetryPolicy()
    try:
        budget = float(raw)
    except ValueError:
        budget = -1.0
    if not 0 < budget <= MAX_BUDGET_SECONDS:
        raise ValueError(
            f"{BUDGET_VARIABLE}={raw!r}: set it to seconds above 0 and at most {MAX_BUDGET_SECONDS:.0f}, "
            "or unset it for the default of 60"
        )
    return RetryPolicy(budget_seconds=budget)


DEFAULT_POLICY = policy_from_env(os.environ)


async def retry_async(
    operation: Callable[[], Awaitable[T]],
    *,
    describe: str,
    is_transient: Classifier,
    policy: RetryPolicy = DEFAULT_POLICY,
) -> T:
    """Run `operation` until it succeeds, a failure is final, or the policy's budget is spent.

    `describe` names the operation ("Okta: assigning group Engineering to app 0oa1") for the
    error raised when the budget runs out.
    """
    started = time.monotonic()
    for retry_number in range(policy.attempts):
        try:
            return await operation()
        except Exception as exc:
            asked_wait = is_transient(exc)
            if asked_wait is None:
                raise
            wait = asked_wait if asked_wait > 0 else policy.backoff(retry_number)
            spent = time.monotonic() - started
            last_try = retry_number == policy.attempts - 1
            if last_try or spent + wait > policy.budget_seconds:
                waited_by = "the service asked to wait" if asked_wait > 0 else "the next backoff was"
                last = str(exc).removeprefix(f"{describe}: ")  # errors name the operation too
                tries = counted(retry_number + 1, "try", "tries")
                raise RetryBudgetExceeded(
                    f"{describe}: still failing after {tries} in {spent:.1f}s "
                    f"(last error: {last}; {waited_by} {wait:.1f}s more). "
                    "Run `pulumi up` again once the service recovers: it resumes where this run stopped."
                ) from exc
            await asyncio.sleep(wait)
    raise AssertionError("unreachable: the loop returns or raises")
