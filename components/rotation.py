"""When a client secret is due for rotation: by age, or by nearness to its expiry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class RotationPolicy:
    lifetime_days: int
    rotate_after_days: int
    rotate_before_expiry_days: int

    def due_at(self, created_at: datetime, expires_at: datetime) -> datetime:
        """The earlier of 'old enough' and 'close enough to expiry'."""
        by_age = created_at + timedelta(days=self.rotate_after_days)
        by_expiry = expires_at - timedelta(days=self.rotate_before_expiry_days)
        return min(by_age, by_expiry)

    def reason_due(self, created_at: datetime, expires_at: datetime, now: datetime) -> str | None:
        """Why the secret must be replaced now, or None if it need not be."""
        if now >= expires_at - timedelta(days=self.rotate_before_expiry_days):
            return f"expires {expires_at:%Y-%m-%d}, within {self.rotate_before_expiry_days} days"
        if now >= created_at + timedelta(days=self.rotate_after_days):
            return f"created {created_at:%Y-%m-%d}, older than {self.rotate_after_days} days"
        return None
