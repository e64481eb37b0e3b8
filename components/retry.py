"""The one retry helper for every API client: throttling, server errors, eventual consistency.

Each client says which failures are transient and how long the service asked it to wait
(`Retry-After`, `X-Rate-Limit-Reset`); this module owns the loop, the backoff and the budget,
so that "retried with bounded backoff" means the same thing for Graph, Okta and the brokers.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from components.errors import RetryBudgetExceeded

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


DEFAULT_POLICY = RetryPolicy()


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
                raise RetryBudgetExceeded(
                    f"{describe}: still failing after {retry_number + 1} tries in {spent:.1f}s "
                    f"(last error: {exc}; {waited_by} {wait:.1f}s more). "
                    "Run `pulumi up` again once the service recovers: it resumes where this run stopped."
                ) from exc
            await asyncio.sleep(wait)
    raise AssertionError("unreachable: the loop returns or raises")
