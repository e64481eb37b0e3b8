"""A thread-safe log of the requests a stand-in served, so tests can assert order and counts."""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    query: str
    status: int
    at: float

    def label(self) -> str:
        """`METHOD /path` — the form tests compare against."""
        return f"{self.method} {self.path}"


class CallLog:
    def __init__(self) -> None:
        self._calls: list[Call] = []
        self._lock = threading.Lock()

    def record(self, method: str, path: str, query: str, status: int) -> None:
        with self._lock:
            self._calls.append(Call(method, path, query, status, time.time()))

    def all(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()

    def as_json(self) -> list[dict]:
        return [asdict(call) for call in self.all()]
