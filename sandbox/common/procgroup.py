"""Process groups: who is in one, how much memory it holds, stopping it, and a watchdog.

The sandbox's servers run in a session and process group of their own (Keycloak as `kc.sh` plus
its `java` child, Azurite as `node`). Stopping one means the whole group: SIGTERM, a grace
period, then SIGKILL.

Run as a script (`python procgroup.py watch PGID`, stdlib only so it starts fast) this
module is the watchdog: it blocks reading its stdin, a pipe whose write end only the
launching process holds. A byte on the pipe means "stopped in order, exit"; end-of-file
without one means the launcher died (a killed test run), and the watchdog stops the group.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

_PROC = Path("/proc")


@dataclass(frozen=True)
class ProcessEntry:
    """One process as /proc/<pid>/stat describes it."""

    pid: int
    name: str
    state: str
    ppid: int
    pgrp: int


def processes() -> list[ProcessEntry]:
    """Every process now, skipping those that exit while being read."""
    found = []
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses.
        state, ppid, pgrp = stat[stat.rindex(")") + 2 :].split()[:3]
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        found.append(ProcessEntry(int(entry.name), name, state, int(ppid), int(pgrp)))
    return found


def group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes whose process group is `pgid`."""
    return [entry.pid for entry in processes() if entry.state != "Z" and entry.pgrp == pgid]


def group_rss_bytes(pgid: int) -> int:
    """Resident memory of the group's processes, summed."""
    total = 0
    for pid in group_members(pgid):
        try:
            for line in (_PROC / str(pid) / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            continue
    return total


def stop_group(pgid: int, *, grace: float = 30.0) -> bool:
    """SIGTERM the group, wait up to `grace` seconds, then SIGKILL what is left.

    Returns True if the group ended on SIGTERM alone.
    """
    if not _signal(pgid, signal.SIGTERM):
        return True
    if _wait_gone(pgid, grace):
        return True
    _signal(pgid, signal.SIGKILL)
    _wait_gone(pgid, 10.0)
    return False


def _signal(pgid: int, signum: int) -> bool:
    try:
        os.killpg(pgid, signum)
        return True
    except ProcessLookupError:
        return False


def _wait_gone(pgid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while group_members(pgid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


class Watchdog:
    """The launcher's side of the watchdog: start it for a group, tell it the group was stopped."""

    def __init__(self, pgid: int) -> None:
        read_end, write_end = os.pipe()
        try:
            self._process = subprocess.Popen(
                [sys.executable, __file__, "watch", str(pgid)],
                stdin=read_end,
                stdout=subprocess.DEVNULL,
                start_new_session=True,
            )
        finally:
            os.close(read_end)
        self._pipe: int | None = write_end

    def dismiss(self) -> None:
        """The group was stopped in order: let the watchdog exit; safe to repeat."""
        if self._pipe is not None:
            with contextlib.suppress(OSError):  # the watchdog is gone already
                os.write(self._pipe, b"stopped")
            os.close(self._pipe)
            self._pipe = None
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


def watch(pgid: int) -> int:
    """The watchdog's body: wait for the launcher's word or its death (see the module docstring)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a terminal's Ctrl-C is the launcher's to handle
    if os.read(0, 1):
        return 0
    stop_group(pgid, grace=20.0)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "watch":
        sys.exit("usage: procgroup.py watch PGID")
    sys.exit(watch(int(sys.argv[2])))
