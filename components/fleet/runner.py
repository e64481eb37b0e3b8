"""Run one piece of work per stack, at most N at a time; a stack's failure stays in its stack.

Each stack gets its own worker thread; the work itself happens in the Pulumi CLI processes
started for that stack (components/fleet/stack_command.py), so threads are enough for
parallelism and keep one shared progress display simple. Any exception a worker raises becomes
that stack's failed outcome; the other stacks carry on. Stacks share nothing but the backend,
where each has its own state and lock.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from ssoprov.fleet.report import FAILED, StackOutcome

Job = TypeVar("Job")


def run_each(
    jobs: Sequence[Job],
    work: Callable[[Job], StackOutcome],
    *,
    parallel: int,
    describe: Callable[[Job], tuple[str, str]],
) -> list[StackOutcome]:
    """Outcomes in the order of `jobs`. `describe(job)` gives (stack, file) for a crash's outcome."""
    if parallel < 1:
        raise ValueError("parallel must be at least 1")

    def guarded(job: Job) -> StackOutcome:
        started = time.monotonic()
        try:
            return work(job)
        except Exception as exc:  # one stack's failure must never end the run
            stack, file = describe(job)
            return StackOutcome(
                stack=stack,
                file=file,
                status=FAILED,
                errors=[f"{type(exc).__name__}: {exc}"],
                seconds=time.monotonic() - started,
            )

    if not jobs:
        return []
    with ThreadPoolExecutor(max_workers=min(parallel, len(jobs)), thread_name_prefix="stack") as pool:
        futures = [pool.submit(guarded, job) for job in jobs]
        try:
            return [future.result() for future in futures]
        except BaseException:
            # Ctrl-C: start nothing new. Running CLIs got the same SIGINT and cancel cleanly.
            pool.shutdown(wait=True, cancel_futures=True)
            raise
