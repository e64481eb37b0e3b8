"""A stack file's config as the Pulumi engine will hand it to the program, or what stops the engine."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ssoprov.spec.engine_yaml import EngineYamlError, KeyPath, Source, read_engine_yaml
from ssoprov.spec.problems import SpecProblem

CONFIG_NAMESPACE = "ssoprov"
"""The project's name: Pulumi prefixes config keys written without a namespace with it."""
SPEC_KEY = f"{CONFIG_NAMESPACE}:organization"
OIDC_SECRET_KEY = f"{CONFIG_NAMESPACE}:oidcClientSecret"
FILE_KEY = "(file)"

_STACK_FILE_NAME = re.compile(r"Pulumi\.(?P<stack>.+)\.yaml")


@dataclass(frozen=True)
class StackConfig:
    """A stack file's config as the engine hands it to the program, and where each value came from."""

    values: dict[str, Any]
    """Namespaced config key -> value, as the program receives it."""
    sources: dict[KeyPath, Source] = field(default_factory=dict)
    """(config key, key or index, ...) -> the line, the text as written and the type YAML gave it."""


def stack_name_of(path: Path) -> str | None:
    """The stack a file configures: Pulumi.<stack>.yaml."""
    match = _STACK_FILE_NAME.fullmatch(path.name)
    return match["stack"] if match else None


def _unreadable(file: str, exc: OSError | UnicodeDecodeError) -> SpecProblem:
    if isinstance(exc, FileNotFoundError):
        return SpecProblem(
            file, FILE_KEY, "does not exist", "check the path: stack files are named Pulumi.<stack>.yaml"
        )
    if isinstance(exc, IsADirectoryError):
        return SpecProblem(
            file,
            FILE_KEY,
            "is a folder, not a stack file",
            "give the path of a Pulumi.<stack>.yaml file, or the folder with --stack-dir",
        )
    if isinstance(exc, PermissionError):
        return SpecProblem(file, FILE_KEY, "cannot be read: permission denied", "make it readable")
    if isinstance(exc, UnicodeDecodeError):
        return SpecProblem(file, FILE_KEY, f"is not UTF-8 text ({exc.reason})", "save it as UTF-8")
    return SpecProblem(file, FILE_KEY, f"cannot be read ({exc.strerror or exc})", "check the file")


def _config_key(key: str | int) -> str:
    """A config key as the engine names it: Pulumi prefixes one without a namespace with the project's."""
    return str(key) if ":" in str(key) else f"{CONFIG_NAMESPACE}:{key}"


def _key_of(path: KeyPath) -> str:
    """The problem key for a document path: ssoprov:organization.roleMappings[0] under config, else as is."""
    if len(path) >= 2 and path[0] == "config":
        return _config_key(path[1]) + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path[2:])
    return ".".join(str(part) for part in path) or FILE_KEY


def read_stack_config(path: Path, shown: str | None = None) -> tuple[StackConfig | None, list[SpecProblem]]:
    """A stack file's config as the engine will hand it to the program, or what stops the engine."""
    file = shown or str(path)
    try:
        document = read_engine_yaml(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        return None, [_unreadable(file, exc)]
    except EngineYamlError as exc:
        return None, [SpecProblem(file, FILE_KEY, exc.message, exc.fix, exc.line)]
    problems = [SpecProblem(file, _key_of(e.path), e.message, e.fix, e.line) for e in document.problems]
    root = document.value if document.value is not None else {}
    raw_config = root.get("config", {}) if isinstance(root, dict) else None
    if not isinstance(raw_config, dict):
        problems.append(
            SpecProblem(
                file,
                "config" if isinstance(root, dict) else FILE_KEY,
                "is not a mapping of config keys",
                "write the stack file as config: followed by indented keys (see stacks/ for examples)",
            )
        )
        return None, problems
    values: dict[str, Any] = {}
    sources: dict[KeyPath, Source] = {}
    for raw_key, value in raw_config.items():
        key = _config_key(raw_key)
        if key in values:
            problems.append(
                SpecProblem(
                    file,
                    key,
                    f"is given twice, as {key} and as {raw_key} "
                    "(Pulumi adds the project name to keys without one)",
                    "keep one of them",
                )
            )
        values[key] = value
        prefix = ("config", raw_key)
        sources.update({(key, *p[2:]): s for p, s in document.sources.items() if p[:2] == prefix})
    return StackConfig(values, sources), problems
