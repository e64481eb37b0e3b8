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

from collections.abc import Mapping
from typing import Any

from components.spec.engine_yaml import go_json

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
