"""Switchable faults: throttling and server errors.

Each stand-in renders the fault in its own service's shape (Graph's OData error with
Retry-After, Okta's errorCode body with X-Rate-Limit-Reset); this module only decides
*whether* a request is faulted, so the decision logic exists once.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass
class FaultSettings:
    """What to inject. Counts are consumed per matching request; a count of -1 never runs out."""

    throttle_count: int = 0
    throttle_wait_seconds: float = 1.0
    server_error_count: int = 0
    server_error_status: int = 503
    path_contains: str = ""
    methods: list[str] = field(default_factory=list)


class FaultInjector:
    def __init__(self) -> None:
        self._settings = FaultSettings()
        self._lock = threading.Lock()

    def configure(self, **changes: object) -> FaultSettings:
        """Replace the settings; unspecified fields go back to their defaults."""
        with self._lock:
            self._settings = FaultSettings(**changes)  # type: ignore[arg-type]
            return self._settings

    def reset(self) -> None:
        self.configure()

    def next_fault(self, method: str, path: str) -> tuple[str, float | int] | None:
        """Decide the fault for one request: ("throttle", wait) or ("server_error", status) or None."""
        with self._lock:
            settings = self._settings
            if settings.path_contains and settings.path_contains not in path:
                return None
            if settings.methods and method.upper() not in settings.methods:
                return None
            if settings.throttle_count:
                settings.throttle_count -= 1 if settings.throttle_count > 0 else 0
                return ("throttle", settings.throttle_wait_seconds)
            if settings.server_error_count:
                settings.server_error_count -= 1 if settings.server_error_count > 0 else 0
                return ("server_error", settings.server_error_status)
            return None
