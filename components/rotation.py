"""When a client secret is due for rotation: by age, or by nearness to its expiry."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from components.clock import parse_timestamp


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


def policy_from(props: Mapping[str, Any]) -> RotationPolicy:
    """The policy recorded in a client-secret resource's properties."""
    return RotationPolicy(
        lifetime_days=int(props["lifetime_days"]),
        rotate_after_days=int(props["rotate_after_days"]),
        rotate_before_expiry_days=int(props["rotate_before_expiry_days"]),
    )


def _dates(props: Mapping[str, Any], policy: RotationPolicy) -> tuple[datetime, datetime]:
    """(created, expires) of a recorded secret; without a real expiry (Okta secrets never
    expire) the policy treats `created + lifetime_days` as one."""
    created = parse_timestamp(props["created_at"])
    expires = props.get("expires_at")
    return created, parse_timestamp(expires) if expires else created + timedelta(days=policy.lifetime_days)


def recorded_reason_due(olds: Mapping[str, Any], news: Mapping[str, Any], now: datetime) -> str | None:
    """Why the recorded secret (`olds`) is due under the new policy (`news`), or None."""
    if not olds.get("created_at"):
        return None
    policy = policy_from(news)
    return policy.reason_due(*_dates(olds, policy), now)


def rotate_by(props: Mapping[str, Any]) -> str:
    """The date (YYYY-MM-DD, UTC) from which the recorded secret is due."""
    policy = policy_from(props)
    return policy.due_at(*_dates(props, policy)).date().isoformat()
