"""The provisioner's notion of 'now', which `SSOPROV_AS_OF` (or `ssoprov --as-of`) can move forward.

Setting SSOPROV_AS_OF=2027-03-01 evaluates rotation policies as of that date: `ssoprov secrets`
uses it to show what falls due by a date, and a rotation run can bring a date forward on
purpose. It can only make rotation happen earlier, never skip one, so one rule, `parse_as_of`,
holds for the variable and the flag alike: a calendar date YYYY-MM-DD (midnight UTC) or an ISO
8601 timestamp (YYYY-MM-DDTHH:MM[:SS[.ffffff]], `Z` or an offset; none means UTC), whose UTC date
is today or later. The Pulumi program checks the variable before it registers any resource, so a
bad value stops `pulumi preview`/`up` at once with that message.

Dates shown to a user (stack outputs, `ssoprov` tables and JSON, the demo) are ISO 8601 calendar
dates in UTC, YYYY-MM-DD: `calendar_date`. Decisions keep the precise timestamps.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, date, datetime

AS_OF_VARIABLE = "SSOPROV_AS_OF"
AS_OF_FLAG = "--as-of"
AS_OF_FORMAT = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?)?")


class AsOfError(ValueError):
    """A malformed or past as-of moment. The message names its source, the value and the fix."""


def parse_as_of(text: str, source: str, today: date | None = None) -> datetime:
    """`text`, given as `source` (AS_OF_VARIABLE or AS_OF_FLAG), as an aware UTC moment.

    Refuses anything but the documented forms (Python alone would also take week dates and
    compact forms) and any moment whose UTC date is before `today` (default: the real today).
    """
    today = today or datetime.now(UTC).date()
    if source.startswith("-"):
        fix = f"give {source} {today.isoformat()} or a later date, or leave {source} out"
    else:
        fix = f"set {source}={today.isoformat()} or a later date, or unset it to use the current time"
    moment = None
    if AS_OF_FORMAT.fullmatch(text):
        try:
            moment = parse_timestamp(text)
        except ValueError:
            moment = None  # the right shape, but no such day or time (2027-02-30)
    if moment is None:
        raise AsOfError(
            f"{source} {text!r} is not a date: write it as YYYY-MM-DD (a UTC calendar date) or an ISO "
            f"8601 timestamp such as {today.isoformat()}T00:00:00Z. Fix: {fix}"
        )
    if moment.astimezone(UTC).date() < today:
        raise AsOfError(
            f"{source} {text!r} is in the past (today is {today.isoformat()} UTC): rotation can be "
            f"brought forward, never skipped. Fix: {fix}"
        )
    return moment


def as_of_from_environment() -> datetime | None:
    """SSOPROV_AS_OF by `parse_as_of`, or None when it is unset or empty."""
    text = os.environ.get(AS_OF_VARIABLE)
    return parse_as_of(text, AS_OF_VARIABLE) if text else None


def later_of_now(as_of: datetime | None) -> datetime:
    """The moment rotation is judged at: the real time, or the as-of moment when that is later."""
    real_now = datetime.now(UTC)
    return real_now if as_of is None else max(as_of, real_now)


def utc_now() -> datetime:
    """'Now' for the providers' rotation decisions: the real time, moved forward by SSOPROV_AS_OF."""
    return later_of_now(as_of_from_environment())


def parse_timestamp(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def calendar_date(moment: datetime | str | None) -> str | None:
    """The UTC calendar date, YYYY-MM-DD, of a moment or of an ISO 8601 timestamp (Graph's too);
    None for no moment (a secret that does not expire, an output not known yet)."""
    if not moment:
        return None
    parsed = parse_timestamp(moment) if isinstance(moment, str) else moment
    return parsed.astimezone(UTC).date().isoformat()
