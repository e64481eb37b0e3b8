"""YAML scalars as gopkg.in/yaml.v3 (v3.0.1, resolve.go) resolves them: the reader the Pulumi engine uses.

YAML 1.2's core schema with yaml.v3's own extensions: true/false (three spellings) are the
only booleans, 0o17 and 0x1F and 1_000 are numbers, 0755 is octal as in Go, four timestamp
layouts (parsed as Go's time.Parse would) are dates. Everything else plain is text.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

TEXT, BOOL, INT, FLOAT, NULL, TIMESTAMP = "text", "boolean", "number", "number", "empty value", "date"
"""The kinds of value YAML makes of a scalar, as a message names them."""

STR = "!!str"
MERGE = "!!merge"
TIMESTAMP_TAG = "!!timestamp"
_BOOL, _INT, _FLOAT, _NULL, _BINARY = "!!bool", "!!int", "!!float", "!!null", "!!binary"
_RESOLVABLE = {"", STR, _BOOL, _INT, _FLOAT, _NULL, TIMESTAMP_TAG}
_LONG_TAG_PREFIX = "tag:yaml.org,2002:"

_KNOWN_PLAIN: dict[str, tuple[str, Any]] = {
    **{text: (_BOOL, True) for text in ("true", "True", "TRUE")},
    **{text: (_BOOL, False) for text in ("false", "False", "FALSE")},
    **{text: (_NULL, None) for text in ("", "~", "null", "Null", "NULL")},
    **{text: (_FLOAT, math.nan) for text in (".nan", ".NaN", ".NAN")},
    **{text: (_FLOAT, math.inf) for text in (".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF")},
    **{text: (_FLOAT, -math.inf) for text in ("-.inf", "-.Inf", "-.INF")},
    "<<": (MERGE, "<<"),
}
_HINTED = set("+-0123456789yYnNtTfFoO~.")
_GO_INT = re.compile(r"([+-]?)(0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO][0-7]+|0[0-7]*|[1-9][0-9]*)")
_YAML_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_DOT_FLOAT = re.compile(r"\.[0-9]+([eE][-+]?[0-9]+)?")
_TIMESTAMP_RE = re.compile(
    r"(?P<y>[0-9]{4})-(?P<m>[0-9]{1,2})-(?P<d>[0-9]{1,2})"
    r"(?:(?P<sep>[Tt ])(?P<H>[0-9]{1,2}):(?P<M>[0-9]{1,2}):(?P<S>[0-9]{1,2})(?:[.,](?P<f>[0-9]+))?"
    r"(?P<z>Z|[+-][0-9]{2}:[0-9]{2})?)?"
)
TYPED_KINDS = {_BOOL: BOOL, _INT: INT, _FLOAT: FLOAT, _NULL: NULL, TIMESTAMP_TAG: TIMESTAMP}
"""The scalar tags that are not text, and how a message names them."""
_INT64 = range(-(2**63), 2**63)
_UINT64 = range(0, 2**64)


def go_time_string(moment: datetime) -> str:
    """Go's time.Time.String(): '2006-01-02 15:04:05.999999999 -0700 MST'."""
    offset = moment.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    zone = f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"
    fraction = f".{moment.microsecond:06d}".rstrip("0").rstrip(".") if moment.microsecond else ""
    name = "UTC" if offset == timedelta(0) and moment.tzinfo in (UTC, None) else zone
    return f"{moment:%Y-%m-%d %H:%M:%S}{fraction} {zone} {name}"


def _go_float_text(value: float) -> str:
    """strconv.FormatFloat(value, 'g', -1, 64), which is also fmt's %v of a float64."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "-0" if math.copysign(1, value) < 0 else "0"
    sign, digits, exponent = Decimal(repr(value)).normalize().as_tuple()
    mantissa = "".join(map(str, digits))
    point = len(mantissa) + int(exponent)  # digits before the decimal point
    minus = "-" if sign else ""
    if point - 1 < -4 or point - 1 >= 6:  # shortest 'g' switches to an exponent from 1e+06 on
        shown = mantissa[0] + ("." + mantissa[1:] if len(mantissa) > 1 else "")
        power = point - 1
        return f"{minus}{shown}e{'-' if power < 0 else '+'}{abs(power):02d}"
    if point <= 0:
        return f"{minus}0.{'0' * -point}{mantissa}"
    if point >= len(mantissa):
        return f"{minus}{mantissa}{'0' * (point - len(mantissa))}"
    return f"{minus}{mantissa[:point]}.{mantissa[point:]}"


def go_key_text(tag: str, value: Any) -> str:
    """The text a non-text mapping key becomes in the config the program gets (Go's %v of it)."""
    if tag == _BOOL:
        return "true" if value else "false"
    if tag == _NULL:
        return "<nil>"
    if tag == _FLOAT:
        return _go_float_text(value)
    if tag == TIMESTAMP_TAG:
        return go_time_string(value)
    return str(value)


def _timestamp(text: str) -> datetime | None:
    """The timestamps yaml.v3 accepts (four layouts, parsed by Go's time.Parse), else None."""
    match = _TIMESTAMP_RE.fullmatch(text)
    if match is None:
        return None
    if match["sep"] and (match["sep"] == " ") == bool(match["z"]):
        return None  # the "T" layouts need a zone, the " " layout takes none
    try:
        hour, minute, second = (int(match[g]) for g in ("H", "M", "S")) if match["sep"] else (0, 0, 0)
        zone = UTC
        if match["z"] and match["z"] != "Z":
            hours, minutes = int(match["z"][1:3]), int(match["z"][4:6])
            if hours > 24 or minutes > 60:
                return None
            sign = -1 if match["z"][0] == "-" else 1
            zone = timezone(sign * timedelta(hours=hours, minutes=minutes))
        micro = int((match["f"] or "0")[:6].ljust(6, "0"))
        return datetime(int(match["y"]), int(match["m"]), int(match["d"]), hour, minute, second, micro, zone)
    except ValueError:  # month, day, hour, minute or second out of range: time.Parse refuses it too
        return None


def resolve_plain(text: str) -> tuple[str, Any]:
    """yaml.v3 resolve("", text) for an untagged plain scalar: (tag, value)."""
    if text in _KNOWN_PLAIN:
        return _KNOWN_PLAIN[text]
    if not text or text[0] not in _HINTED:
        return STR, text
    if text[0] == ".":
        # strconv.ParseFloat on the text as written (no underscores, no Python-only spellings).
        if _DOT_FLOAT.fullmatch(text) and not math.isinf(float(text)):
            return _FLOAT, float(text)
        return STR, text
    if text[0] in "+-0123456789":
        moment = _timestamp(text)
        if moment is not None:
            return TIMESTAMP_TAG, moment
        digits = text.replace("_", "")
        match = _GO_INT.fullmatch(digits)
        if match is not None:
            number = _go_base0_int(match[1], match[2])
            if number in _INT64 or (not match[1] and number in _UINT64):
                return _INT, number
        if _YAML_FLOAT.fullmatch(digits):
            number = float(digits)
            if not math.isinf(number):  # ParseFloat reports a range error; the text stays text
                return _FLOAT, number
    return STR, text


def _go_base0_int(sign: str, digits: str) -> int:
    prefix = digits[:2].lower()
    base = {"0x": 16, "0b": 2, "0o": 8}.get(prefix)
    if base is not None:
        value = int(digits[2:], base)
    elif len(digits) > 1 and digits[0] == "0":
        value = int(digits, 8)  # Go reads a leading 0 as octal, as YAML 1.1 did
    else:
        value = int(digits)
    return -value if sign == "-" else value


class ScalarError(ValueError):
    """yaml.v3 refuses to decode this scalar as its tag says."""

    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.message, self.fix = message, fix


def resolve_scalar(tag: str, text: str, *, plain: bool) -> tuple[str, Any]:
    """(tag, value) of a scalar as yaml.v3 decodes it into an interface{}.

    `tag` is the explicit tag in short form ("!!int", "!thing"), "" when there is none.
    """
    if tag == STR or (not tag and not plain):
        return STR, text
    if tag == _BINARY:
        try:
            data = base64.b64decode(text.replace("\n", "").replace("\r", ""), validate=True)
        except binascii.Error:
            raise ScalarError(
                "is tagged !!binary but is not valid base64", "fix the value or drop the tag"
            ) from None
        return STR, data.decode("utf-8", errors="replace")
    if tag not in _RESOLVABLE:
        return tag, text  # a custom tag: the value stays text
    resolved, value = resolve_plain(text)
    if tag in ("", resolved):
        return resolved, value
    if tag == _FLOAT and resolved == _INT:
        return _FLOAT, float(value)
    raise ScalarError(
        f"is tagged {tag} but {text!r} is not one", "remove the tag, or quote the value to keep it as text"
    )


def short_tag(tag: str | None) -> str:
    """A tag as yaml.v3 compares it: "" for none (or the non-specific "!"), "!!int" for the YAML ones."""
    if not tag or tag == "!":
        return ""
    return "!!" + tag.removeprefix(_LONG_TAG_PREFIX) if tag.startswith(_LONG_TAG_PREFIX) else tag
