"""Peak memory of a process and every process it starts, sampled from /proc while it runs.

A process's descendants are found by parent pid, not by process group: the Pulumi CLI starts each
plugin (language host, dynamic providers) in a process group of its own. Each sample sums the
processes' resident memory (RSS, what `ps` shows; shared pages count once per process) and their
proportional share (PSS, shared pages split between the processes sharing them, so the sum is
what the tree really holds). Linux only (/proc/<pid>/smaps_rollup).
"""

from __future__ import annotations

import threading
from dataclasses import astuple, dataclass
from pathlib import Path

from sandbox.common import procgroup

_PROC = Path("/proc")
ENGINE_COMMAND = "pulumi"
"""The Pulumi CLI's process name: one per stack in flight (plugins are named pulumi-language-..., ...)."""


@dataclass(frozen=True)
class TreeSample:
    rss_bytes: int = 0
    pss_bytes: int = 0
    processes: int = 0
    engines: int = 0
    """Pulumi CLI processes in the tree (stacks in flight, plus short `stack select` calls)."""


def tree(root: int) -> dict[int, str]:
    """Process name by pid, for `root` and its live descendants."""
    children: dict[int, list[int]] = {}
    names: dict[int, str] = {}
    for entry in procgroup.processes():
        if entry.state != "Z":
            names[entry.pid] = entry.name
            children.setdefault(entry.ppid, []).append(entry.pid)
    found: dict[int, str] = {}
    pending = [root] if root in names else []
    while pending:
        pid = pending.pop()
        found[pid] = names[pid]
        pending.extend(children.get(pid, []))
    return found


def sample(root: int) -> TreeSample:
    """RSS and PSS summed over `root`'s tree now (a process that exits while being read is skipped)."""
    rss = pss = counted = engines = 0
    for pid, name in tree(root).items():
        try:
            rollup = (_PROC / str(pid) / "smaps_rollup").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in rollup.splitlines()[1:])
        rss += int(fields["Rss"].split()[0]) * 1024
        pss += int(fields["Pss"].split()[0]) * 1024
        counted += 1
        engines += name == ENGINE_COMMAND
    return TreeSample(rss, pss, counted, engines)


class PeakMemory:
    """`with PeakMemory(pid) as peak:` samples `pid`'s tree every `interval` s until the block ends;
    `peak.highest` then holds the highest value of each field (each may come from another sample)."""

    def __init__(self, root: int, interval: float = 0.2) -> None:
        self.root = root
        self.interval = interval
        self.highest = TreeSample()
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name=f"memory-{root}", daemon=True)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        while not self._stop.is_set():
            now = sample(self.root)
            self.samples += 1
            self.highest = TreeSample(*map(max, astuple(self.highest), astuple(now)))
            self._stop.wait(self.interval)
