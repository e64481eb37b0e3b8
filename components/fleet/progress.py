"""Progress of a fleet run: one live line per stack on a terminal, plain lines elsewhere (CI logs).

Workers report three things per stack: it began, something happened (a resource step), it ended.
`LiveProgress` redraws one line per stack in place a few times a second; `PlainProgress` prints one
line per event, prefixed with the stack name, so interleaved CI logs stay readable and greppable.
Both write to stderr by default, leaving stdout to the summary table.
"""

from __future__ import annotations

import shutil
import sys
import threading
import time
from dataclasses import dataclass
from typing import Protocol, TextIO

from ssoprov.fleet.report import StackOutcome

SPINNER = "|/-\\"


class Progress(Protocol):
    def begin(self, stack: str, action: str) -> None: ...

    def update(self, stack: str, activity: str, log: str | None = None) -> None:
        """`activity` replaces the stack's live line; `log`, when given, is the plain-log line."""
        ...

    def end(self, outcome: StackOutcome) -> None: ...

    def close(self) -> None: ...


def summary_of(outcome: StackOutcome) -> str:
    """'3 created, 1 updated' / 'no changes' / the first error."""
    if outcome.errors and outcome.problem:
        return outcome.note()
    changes = outcome.changes
    if changes is None:
        return ""
    parts = [
        f"{count} {label}"
        for label, count in (
            ("created", changes.created),
            ("updated", changes.updated),
            ("replaced", changes.replaced),
            ("deleted", changes.deleted),
        )
        if count
    ]
    said = ", ".join(parts) or "no changes"
    return f"{said} ({outcome.remark})" if outcome.remark else said


class PlainProgress:
    """One line per event: `[acme] up: created acme-app (entra:Application)`."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stderr
        self._lock = threading.Lock()

    def _print(self, stack: str, text: str) -> None:
        with self._lock:
            print(f"[{stack}] {text}", file=self._stream, flush=True)

    def begin(self, stack: str, action: str) -> None:
        self._print(stack, f"{action} started")

    def update(self, stack: str, activity: str, log: str | None = None) -> None:
        if log:
            self._print(stack, log)

    def end(self, outcome: StackOutcome) -> None:
        summary = summary_of(outcome)
        self._print(
            outcome.stack, f"{outcome.status} in {outcome.seconds:.1f}s" + (f": {summary}" if summary else "")
        )

    def close(self) -> None:
        pass


@dataclass
class _Line:
    state: str = "waiting"
    action: str = ""
    activity: str = ""
    started: float = 0.0
    ended: float = 0.0


class LiveProgress:
    """One line per stack, redrawn in place; when the terminal is too short for every stack, the
    lines of stacks still waiting or already succeeded give way to running and failed ones."""

    def __init__(self, stacks: list[str], stream: TextIO | None = None, interval: float = 0.2) -> None:
        self._stream = stream or sys.stderr
        self._order = list(stacks)
        self._lines = {stack: _Line() for stack in stacks}
        self._width = max((len(stack) for stack in stacks), default=5)
        self._lock = threading.Lock()
        self._drawn = 0
        self._tick = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, args=(interval,), daemon=True)
        self._thread.start()

    def begin(self, stack: str, action: str) -> None:
        with self._lock:
            self._lines[stack] = _Line(state="running", action=action, started=time.monotonic())

    def update(self, stack: str, activity: str, log: str | None = None) -> None:
        with self._lock:
            self._lines[stack].activity = activity

    def end(self, outcome: StackOutcome) -> None:
        with self._lock:
            line = self._lines.setdefault(outcome.stack, _Line())
            line.state, line.activity, line.ended = outcome.status, summary_of(outcome), time.monotonic()
            if not line.started:
                line.started = line.ended - outcome.seconds

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self._draw()

    def _loop(self, interval: float) -> None:
        while not self._stop.wait(interval):
            self._draw()

    def _render(self, stack: str, line: _Line, now: float) -> str:
        if line.state == "waiting":
            return f"  {stack:<{self._width}}  waiting"
        if line.state == "running":
            mark = SPINNER[self._tick % len(SPINNER)]
            return f"{mark} {stack:<{self._width}}  {line.action} {now - line.started:5.0f}s  {line.activity}"
        mark = "x" if line.state in ("failed", "invalid", "drifted") else "+"
        elapsed = line.ended - line.started
        return f"{mark} {stack:<{self._width}}  {line.state} {elapsed:5.1f}s  {line.activity}"

    def _visible(self, rows: int) -> list[str]:
        stacks = self._order
        if len(stacks) + 1 <= rows:
            return stacks
        rank = {"running": 0, "failed": 0, "invalid": 0, "drifted": 0}
        chosen = sorted(stacks, key=lambda s: (rank.get(self._lines[s].state, 1), stacks.index(s)))
        keep = set(chosen[: max(rows - 1, 1)])
        return [stack for stack in stacks if stack in keep]

    def _draw(self) -> None:
        size = shutil.get_terminal_size((100, 24))
        with self._lock:
            self._tick += 1
            now = time.monotonic()
            states = [line.state for line in self._lines.values()]
            done = sum(state not in ("waiting", "running") for state in states)
            header = f"{done}/{len(states)} done, {states.count('running')} running"
            problems = sum(state in ("failed", "invalid", "drifted") for state in states)
            if problems:
                header += f", {problems} with problems"
            texts = [header] + [
                self._render(stack, self._lines[stack], now) for stack in self._visible(size.lines - 1)
            ]
        out = []
        if self._drawn:
            out.append(f"\x1b[{self._drawn}F")  # back to the first line drawn last time
        for text in texts:
            out.append("\x1b[2K" + text[: size.columns - 1] + "\n")
        for _ in range(self._drawn - len(texts)):
            out.append("\x1b[2K\n")
        self._stream.write("".join(out))
        self._stream.flush()
        self._drawn = max(self._drawn, len(texts))


def progress_for(stacks: list[str], mode: str = "auto", stream: TextIO | None = None) -> Progress:
    """`live` on a terminal, `plain` otherwise (CI, pipes); `mode` forces either."""
    target = stream or sys.stderr
    live = mode == "live" or (mode == "auto" and target.isatty())
    return LiveProgress(stacks, target) if live else PlainProgress(target)
