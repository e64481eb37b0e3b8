"""After a run that did not finish (a killed engine, a lost CI runner): say so, and recover the stack.

A `pulumi up` killed mid-way leaves its stack locked (file, S3 and Azure Blob backends keep a lock
file; Pulumi Cloud an update in progress) and may leave pending operations in the checkpoint: a
create the engine started but never saw answered (later runs only warn about those). The next run
of that stack fails with Pulumi's lock error. `failure_message` turns it, and a CLI that died
without a word, into one line that names the stack and the command to run:
`ssoprov recover --stack NAME`, which

1. releases the lock (`pulumi cancel`), unless the lock belongs to a process still running on this
   machine: a run in progress is never cancelled from under itself;
2. reads every resource back and drops the pending creates (`pulumi refresh
   --clear-pending-creates`): a client secret created in the moment before the kill is now seen
   on the app as untracked (components/untracked_secrets.py);
3. runs `pulumi up`, which finishes what the killed run started and removes those secrets.
"""

from __future__ import annotations

import os
import re
import socket
from dataclasses import dataclass

from pulumi import automation as auto

LOCK_LINE = re.compile(r"^\s*(?P<where>\S+): created by (?P<user>[^@\s]*)@(?P<host>\S+) \(pid (?P<pid>\d+)\)")
RECOVER = "ssoprov recover --stack {stack}"


@dataclass(frozen=True)
class LockHolder:
    """One lock on a stack, as Pulumi's file-like backends describe it."""

    user: str
    host: str
    pid: int

    def running_here(self) -> bool:
        """The process that took the lock is alive on this machine (then its run is in progress)."""
        if self.host != socket.gethostname():
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    def __str__(self) -> str:
        return f"{self.user}@{self.host} pid {self.pid}"


def lock_holders(text: str) -> list[LockHolder]:
    return [
        LockHolder(match["user"], match["host"], int(match["pid"]))
        for line in text.splitlines()
        if (match := LOCK_LINE.match(line))
    ]


def exit_code(exc: Exception) -> int | None:
    """The CLI's exit code in an Automation API error (negative: killed by that signal)."""
    match = re.search(r"^ code: (-?\d+)$", str(exc), re.MULTILINE)
    return int(match.group(1)) if match else None


def failure_message(stack: str, exc: Exception) -> str | None:
    """What went wrong with an unfinished earlier run, or with this one's engine, and the fix, short
    enough for the report's note column; None when `exc` is an ordinary failure (its diagnostics
    say enough)."""
    fix = f"Fix: {RECOVER.format(stack=stack)}"
    if isinstance(exc, auto.ConcurrentUpdateError):
        holders = lock_holders(str(exc))
        named = ", ".join(str(holder) for holder in holders) or "another update"
        if any(holder.running_here() for holder in holders):
            return f"locked by a run in progress on this machine ({named}): let it finish, then run again"
        return f"locked by a run that has not finished. {fix} once that run is over (lock: {named})"
    code = exit_code(exc)
    if code is not None and code < 0:
        return f"the Pulumi engine was killed (signal {-code}) mid-run; the stack stays locked. {fix}"
    return None
