"""Write an adopted organization's stack file so the engine reads back exactly what was written.

Values come from live services (group names, roles, display names), so any of them may be text
that Go's yaml.v3 would read as a number, a boolean, a date or null (`0o17`, `1e3`, `2024-01-01`):
those are double-quoted; every other string stays plain, for a file people read and edit.
"""

from __future__ import annotations

from typing import Any

import yaml

from ssoprov.spec.loading import SPEC_KEY
from ssoprov.spec.yaml_scalars import STR, resolve_plain


class _EngineSafeDumper(yaml.SafeDumper):
    """PyYAML's safe dumper, plus quotes for strings the engine's YAML 1.2 reader would retype."""


def _represent_str(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    if resolve_plain(text)[0] != STR:
        return dumper.represent_scalar("tag:yaml.org,2002:str", text, style='"')
    return dumper.represent_str(text)


_EngineSafeDumper.add_representer(str, _represent_str)


def render_adopted(spec: dict[str, Any], source: str) -> str:
    header = (
        f"# {spec['displayName']}: {spec['identityProvider']['kind']} -> {spec['broker']['kind']}, adopted "
        f"from {source}.\n"
        "# Made by `ssoprov adopt`; every key is described in README.md (Configuration reference).\n"
    )
    body = yaml.dump(
        {"config": {SPEC_KEY: spec}}, Dumper=_EngineSafeDumper, sort_keys=False, allow_unicode=True
    )
    return header + body
