"""When a client secret is due for rotation: by age, or by nearness to its expiry."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ssoprov.clock import calendar_date, parse_timestamp
from ssoprov.wording import counted

MAX_SECRET_LIFETIME_DAYS = 730
"""Two years: Entra's default and safe maximum for a client secret."""


@dataclass(frozen=True)
class RotationPolicy:
    """A stack's `clientSecret` policy. A secret without an expiry of its own (Okta's never
    expire) is treated as if it expired `lifetime_days` after its creation; only the reasons
    shown say which of the two it is, and no invented expiry is ever shown as a real one."""

    lifetime_days: int
    rotate_after_days: int
    rotate_before_expiry_days: int

    def end_of_life(self, created_at: datetime, expires_at: datetime | None) -> datetime:
        """The real expiry, or, for a secret that does not expire, the end of `lifetime_days`."""
        return expires_at or created_at + timedelta(days=self.lifetime_days)

    def due_at(self, created_at: datetime, expires_at: datetime | None) -> datetime:
        """The earlier of 'old enough' and 'close enough to the end of life'."""
        by_age = created_at + timedelta(days=self.rotate_after_days)
        by_end = self.end_of_life(created_at, expires_at) - timedelta(days=self.rotate_before_expiry_days)
        return min(by_age, by_end)

    def reason_due(self, created_at: datetime, expires_at: datetime | None, now: datetime) -> str | None:
        """Why the secret must be replaced now, or None if it need not be."""
        end = self.end_of_life(created_at, expires_at)
        if now >= end - timedelta(days=self.rotate_before_expiry_days):
            ends = (
                f"expires {end:%Y-%m-%d}"
                if expires_at
                else f"clientSecret.lifetimeDays ({self.lifetime_days}) runs out {end:%Y-%m-%d}"
            )
            return f"{ends}, within {counted(self.rotate_before_expiry_days, 'day')}"
        if now >= created_at + timedelta(days=self.rotate_after_days):
            return f"created {created_at:%Y-%m-%d}, older than {counted(self.rotate_after_days, 'day')}"
        return None


def policy_from(props: Mapping[str, Any]) -> RotationPolicy:
    """The policy recorded in a client-secret resource's properties."""
    return RotationPolicy(
        lifetime_days=int(props["lifetime_days"]),
        rotate_after_days=int(props["rotate_after_days"]),
        rotate_before_expiry_days=int(props["rotate_before_expiry_days"]),
    )


def recorded_dates(props: Mapping[str, Any]) -> tuple[datetime, datetime | None]:
    """(created, expires) of a recorded secret; expires is None when the secret does not expire."""
    expires = props.get("expires_at")
    return parse_timestamp(props["created_at"]), parse_timestamp(expires) if expires else None


def recorded_reason_due(olds: Mapping[str, Any], news: Mapping[str, Any], now: datetime) -> str | None:
    """Why the recorded secret (`olds`) is due under the new policy (`news`), or None."""
    if not olds.get("created_at"):
        return None
    return policy_from(news).reason_due(*recorded_dates(olds), now)


def rotate_by(props: Mapping[str, Any]) -> str:
    """The date (YYYY-MM-DD, UTC) from which the recorded secret is due."""
    return calendar_date(policy_from(props).due_at(*recorded_dates(props)))


@dataclass(frozen=True)
class CertificatePolicy:
    """A SAML connection's `saml.rotateBeforeExpiryDays`. An IdP signing certificate has a real
    expiry (its key credential's `expiresAt`) and no age limit of its own: it is rolled over this
    many days before that expiry, or earlier when a run is brought forward (`--as-of`)."""

    rotate_before_expiry_days: int

    def rotate_by(self, expires_at: datetime) -> datetime:
        """From when a run rolls the certificate over."""
        return expires_at - timedelta(days=self.rotate_before_expiry_days)

    def reason_due(self, expires_at: datetime, now: datetime) -> str | None:
        """Why the certificate must be rolled over now, or None if it need not be."""
        if now < self.rotate_by(expires_at):
            return None
        lead = self.rotate_before_expiry_days
        return f"signing certificate expires {expires_at:%Y-%m-%d}, within {counted(lead, 'day')}"
