"""The stack config as the program receives it, and the size limit that delivery imposes.

Both Python language hosts (the official one and bootstrap/pulumi-cli's) start the program
with the whole stack config in one environment variable: PULUMI_CONFIG, the JSON of a map
from config key to string (encoding/json: sorted keys, `<`, `>`, `&` escaped), where an
object value is itself JSON text. Linux refuses to start a process with an environment
string longer than MAX_ARG_STRLEN (32 pages: 128 KiB with 4 KiB pages, NUL included):
`fork/exec .../python3: argument list too long`. The limit is applied as a fixed 128 KiB
everywhere, so a spec that validates on a laptop also runs on a Linux CI runner.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

MAX_ENV_STRING = 128 * 1024
"""Linux's MAX_ARG_STRLEN with 4 KiB pages: the longest `NAME=value` string, its NUL included."""

CONFIG_VARIABLE = "PULUMI_CONFIG"
CONFIG_LIMIT = MAX_ENV_STRING - len(CONFIG_VARIABLE) - len("=") - 1
"""The most bytes of PULUMI_CONFIG's value that still start the program."""


def engine_value_text(value: Any) -> str:
    """One config value as the engine hands it over: text as is, anything else as JSON.

    A secure value is counted at its ciphertext, which is longer than the plaintext the
    program gets: the estimate errs on the safe side.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and set(value) == {"secure"} and isinstance(value["secure"], str):
        return value["secure"]
    return go_json(value)


def pulumi_config_text(config: Mapping[str, Any]) -> str:
    """PULUMI_CONFIG's value for this (namespaced) stack config."""
    return go_json({key: engine_value_text(value) for key, value in config.items()})


def encoded_size(value: Any) -> int:
    """Bytes a value inside an object config value adds to PULUMI_CONFIG (escaped twice)."""
    return len(go_json(go_json(value)).encode()) - 2


def go_json(value: Any) -> str:
    """encoding/json.Marshal of the Go value the engine holds: sorted keys, HTML-safe escapes."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _go_float(value)
    if isinstance(value, str):
        return _go_string(value)
    if isinstance(value, list):
        return "[" + ",".join(go_json(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{_go_string(k)}:{go_json(value[k])}" for k in sorted(value)) + "}"
    raise TypeError(f"no JSON form for {type(value).__name__}")


_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _go_string(text: str) -> str:
    out = ['"']
    for char in text:
        if char in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[char])
        elif char < " " or char in "<>&\u2028\u2029":
            out.append(f"\\u{ord(char):04x}")
        elif "\ud800" <= char <= "\udfff":
            out.append("\\ufffd")  # not valid UTF-8: Go substitutes the replacement character
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def _go_float(value: float) -> str:
    """strconv 'f' format with the shortest digits, 'e' below 1e-6 or from 1e21 (as encoding/json)."""
    if value == 0:
        return "-0" if math.copysign(1, value) < 0 else "0"
    digits = Decimal(repr(value))
    if 1e-6 <= abs(value) < 1e21:
        return format(digits, "f")
    mantissa, exponent = f"{digits:e}".split("e")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    sign, magnitude = exponent[0], exponent[1:].lstrip("0") or "0"
    if sign == "+" and len(magnitude) < 2:
        magnitude = magnitude.rjust(2, "0")
    return f"{mantissa}e{sign}{magnitude}"
