"""The provisioner's notion of 'now', which `SSOPROV_AS_OF` can move forward.

Setting SSOPROV_AS_OF=2027-03-01 evaluates rotation policies as of that date: `ssoprov secrets`
uses it to show what falls due by a date, and a rotation run can bring a date forward on
purpose. It can only make rotation happen earlier, never skip one: dates in the past are refused.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

AS_OF_VARIABLE = "SSOPROV_AS_OF"


def utc_now() -> datetime:
    real_now = datetime.now(UTC)
    as_of = os.environ.get(AS_OF_VARIABLE)
    if not as_of:
        return real_now
    moved = datetime.fromisoformat(as_of)
    if moved.tzinfo is None:
        moved = moved.replace(tzinfo=UTC)
    return max(moved, real_now)


def parse_timestamp(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
