"""Read stack files as the engine does, validate the organization spec, render problems (file, key, fix).

`ssoprov validate`, the fleet commands and the Pulumi program all go through here, so a file
gets the same lines wherever it is checked.
"""

from __future__ import annotations

import json
import re
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from components.spec.config_size import CONFIG_LIMIT, CONFIG_VARIABLE, encoded_size, pulumi_config_text
from components.spec.engine_yaml import (
    BOOL,
    NULL,
    TEXT,
    TIMESTAMP,
    EngineYamlError,
    KeyPath,
    Source,
    read_engine_yaml,
)
from components.spec.models import Broker, IdentityProvider, OrganizationSpec
from components.spec.problems import RULES_BROKEN, InvalidSpec, SpecProblem

CONFIG_NAMESPACE = "ssoprov"
SPEC_KEY = f"{CONFIG_NAMESPACE}:organization"
OIDC_SECRET_KEY = f"{CONFIG_NAMESPACE}:oidcClientSecret"
FILE_KEY = "(file)"

_STACK_FILE_NAME = re.compile(r"Pulumi\.(?P<stack>.+)\.yaml")
_UNIONS_BY_FIELD = {"identityProvider": IdentityProvider, "broker": Broker}
_NUMBER_TEXT = re.compile(r"[+-]?[0-9][0-9_]*")
_YAML11_BOOLEANS = {"yes", "no", "on", "off", "y", "n"}


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


# ----------------------------------------------------------------------------------------------
# Problem rendering


def _render(path: KeyPath) -> str:
    """SPEC_KEY.identityProvider.groups[3] for ("identityProvider", "groups", 3)."""
    rendered = SPEC_KEY
    for part in path:
        rendered += f"[{part}]" if isinstance(part, int) else f".{part}"
    return rendered


def _line(sources: Mapping[KeyPath, Source], path: KeyPath) -> int | None:
    """The line of a key, or of the nearest enclosing key that has one (for a missing key)."""
    for end in range(len(path), -1, -1):
        source = sources.get((SPEC_KEY, *path[:end]))
        if source is not None:
            return source.line
    return None


def _union_members(annotation: Any) -> dict[str, type[BaseModel]]:
    union = typing.get_args(annotation)[0]
    members = typing.get_args(union)
    return {typing.get_args(m.model_fields["kind"].annotation)[0]: m for m in members}


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    candidates = [annotation, *typing.get_args(annotation)]
    for candidate in candidates:
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _walk(loc: tuple[str | int, ...]) -> tuple[KeyPath, str]:
    """Turn a pydantic location into (YAML key path, field description), dropping union tags."""
    model: type[BaseModel] | None = OrganizationSpec
    path: list[str | int] = []
    description = ""
    previous: str | int | None = None
    for part in loc:
        if isinstance(part, int):
            path.append(part)
            previous = part
            continue
        if previous in _UNIONS_BY_FIELD and isinstance(previous, str):
            model = _union_members(_UNIONS_BY_FIELD[previous]).get(part)
            previous = part
            if model is not None:
                continue
        path.append(part)
        found = None
        if model is not None:
            found = next((f for name, f in model.model_fields.items() if (f.alias or name) == part), None)
        description = (found.description or "") if found else ""
        model = _nested_model(found.annotation) if found else None
        previous = part
    return tuple(path), description


def _written(value: Any, source: Source | None) -> tuple[str, str]:
    """(the value as the file wrote it, the type YAML gave it), from the file when it was read."""
    if source is not None and source.text is not None:
        return source.text, source.kind
    if isinstance(value, bool):
        return json.dumps(value), BOOL
    if value is None:
        return "null", NULL
    if isinstance(value, int | float):
        return json.dumps(value), "number"
    return str(value), TEXT


def _quote_fix(path: KeyPath, text: str) -> str:
    quoted = json.dumps(text, ensure_ascii=False)
    return f"quote it: - {quoted}" if isinstance(path[-1], int) else f"quote it: {path[-1]}: {quoted}"


def _type_mismatch(
    error: Mapping[str, Any], path: KeyPath, description: str, source: Source | None
) -> tuple[str, str] | None:
    """A clear (message, fix) when YAML gave a value another type than the key takes."""
    kind = error["type"]
    text, yaml_type = _written(error.get("input"), source)
    name = path[-1] if path else SPEC_KEY
    if kind in ("string_type", "literal_error") and yaml_type != TEXT:
        if yaml_type == NULL:
            return "is empty", f"give it a value: {description}"
        return f"YAML reads {text} as a {yaml_type}, not as text", _quote_fix(path, text)
    if kind == "int_type":
        if yaml_type == TEXT and _NUMBER_TEXT.fullmatch(text.strip()):
            return f"is the text {text!r}, not a number", f"write it without quotes: {name}: {text.strip()}"
        return f"is {text}, not a whole number", f"use {description}"
    if kind == "bool_type":
        fix = f"write {name}: true or {name}: false"
        if yaml_type != TEXT:
            return f"is {text}, not true or false", fix
        if text.lower() in _YAML11_BOOLEANS:
            return (
                f"is the text {text!r}: the engine reads YAML 1.2, where only true and false are booleans",
                fix,
            )
        return f"is the text {text!r}, not true or false", fix
    return None


def _problems_of(file: str, error: Mapping[str, Any], sources: Mapping[KeyPath, Source]) -> list[SpecProblem]:
    path, description = _walk(tuple(error["loc"]))
    kind, message = error["type"], str(error["msg"]).removeprefix("Value error, ")
    if kind == RULES_BROKEN:
        return [
            SpecProblem(file, _render((*path, *v.at)), v.message, v.fix, _line(sources, (*path, *v.at)))
            for v in error["ctx"]["violations"]
        ]
    line = _line(sources, path)
    if kind == "missing":
        return [SpecProblem(file, _render(path), "is required", f"add it: {description}", line)]
    if kind == "extra_forbidden":
        fix = "remove it or correct its spelling (keys are camelCase; see the config reference in README.md)"
        return [SpecProblem(file, _render(path), "is not a known key", fix, line)]
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        tags = ", ".join(_union_members(_UNIONS_BY_FIELD[str(path[-1])]))
        found = error["input"].get("kind") if kind == "union_tag_invalid" else None
        problem = f"unknown kind {found!r}" if found is not None else "is required"
        return [SpecProblem(file, _render((*path, "kind")), problem, f"set kind to one of {tags}", line)]
    explained = _type_mismatch(error, path, description, sources.get((SPEC_KEY, *path)))
    if explained is not None:
        return [SpecProblem(file, _render(path), *explained, line)]
    return [SpecProblem(file, _render(path), message, f"use {description}", line)]


def _value_at(values: Any, path: KeyPath) -> Any:
    for part in path:
        values = values[part]
    return values


def _dates(file: str, config: StackConfig) -> list[SpecProblem]:
    """Dates YAML read in the spec: the program would get Go's rendering of them as text."""
    return [
        SpecProblem(
            file,
            _render(path[1:]),
            f"YAML reads {source.text} as a date, and the program would receive the text "
            f"{_value_at(config.values, path)!r}",
            _quote_fix(path, source.text or ""),
            source.line,
        )
        for path, source in config.sources.items()
        if path[0] == SPEC_KEY and source.kind == TIMESTAMP
    ]


# ----------------------------------------------------------------------------------------------
# The organization spec


def _check_spec(
    config: StackConfig, file: str, stack: str | None
) -> tuple[OrganizationSpec | None, list[SpecProblem]]:
    """Validate the spec in a stack config; the stack name, when known, must be the spec's name."""
    data = config.values.get(SPEC_KEY)
    if not isinstance(data, Mapping):
        return None, [
            SpecProblem(
                file,
                SPEC_KEY,
                "is missing or not a mapping",
                "add the organization spec under config: (see stacks/ for examples)",
                _line(config.sources, ()),
            )
        ]
    problems = _dates(file, config)
    dated = {problem.key for problem in problems}
    spec = None
    try:
        spec = OrganizationSpec.model_validate(data)
    except ValidationError as exc:
        found = [p for error in exc.errors() for p in _problems_of(file, error, config.sources)]
        problems.extend(p for p in found if p.key not in dated)
    name = data.get("name")
    name_key = _render(("name",))
    named_wrong = isinstance(name, str) and stack is not None and name != stack
    if named_wrong and all(problem.key != name_key for problem in problems):
        problems.append(
            SpecProblem(
                file,
                name_key,
                f"is {name!r}, but this file configures the stack {stack!r}",
                f"set name: {stack}, or rename the file to Pulumi.{name}.yaml "
                "if that stack does not exist yet",
                _line(config.sources, ("name",)),
            )
        )
    return spec, problems


def parse_organization(data: Any, source: str) -> OrganizationSpec:
    """Validate one organization spec; raise InvalidSpec listing every problem found."""
    spec, problems = _check_spec(StackConfig({SPEC_KEY: data}), source, stack=None)
    if problems or spec is None:
        raise InvalidSpec(problems)
    return spec


def spec_for_program(received: Any, stack: str, stack_file: Path, shown: str) -> OrganizationSpec:
    """The spec the program got from the engine, checked as `ssoprov validate` checks the file.

    The JSON the program receives has lost what YAML made of each value: a date arrives as text
    ("2024-01-01 00:00:00 +0000 UTC"). So the program reads its stack file with the engine's
    rules too, and uses what it learns only when that file's spec is exactly what arrived: not
    when the config came from elsewhere (`--config-file`, an ESC environment).
    """
    config = StackConfig({SPEC_KEY: received})
    if stack_file.is_file():
        from_file, problems = read_stack_config(stack_file, shown)
        if from_file is not None and not problems and from_file.values.get(SPEC_KEY) == received:
            config = from_file
    spec, problems = _check_spec(config, shown, stack)
    if problems or spec is None:
        raise InvalidSpec(problems)
    return spec


# ----------------------------------------------------------------------------------------------
# Stack files


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


def _key_of(path: KeyPath) -> tuple[str, KeyPath]:
    """The problem key for a document path: config keys as Pulumi names them, else the file."""
    if len(path) >= 2 and path[0] == "config":
        key = str(path[1]) if ":" in str(path[1]) else f"{CONFIG_NAMESPACE}:{path[1]}"
        rendered = key + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path[2:])
        return rendered, (key, *path[2:])
    return FILE_KEY if not path else ".".join(str(part) for part in path), ()


def read_stack_config(path: Path, shown: str | None = None) -> tuple[StackConfig | None, list[SpecProblem]]:
    """A stack file's config as the engine will hand it to the program, or what stops the engine."""
    file = shown or str(path)
    try:
        document = read_engine_yaml(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        return None, [_unreadable(file, exc)]
    except EngineYamlError as exc:
        return None, [SpecProblem(file, FILE_KEY, exc.message, exc.fix, exc.line)]
    problems = [SpecProblem(file, _key_of(e.path)[0], e.message, e.fix, e.line) for e in document.problems]
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
        key, _ = _key_of(("config", raw_key))
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


def _secret_problems(
    file: str, spec: OrganizationSpec | None, values: Mapping[str, Any]
) -> list[SpecProblem]:
    if spec is not None and spec.identity_provider.kind == "oidc" and OIDC_SECRET_KEY not in values:
        return [
            SpecProblem(
                file,
                OIDC_SECRET_KEY,
                "is required for a generic OIDC connection",
                f"run `pulumi config set --secret {OIDC_SECRET_KEY} <secret>` in this stack",
            )
        ]
    if OIDC_SECRET_KEY in values and not isinstance(values[OIDC_SECRET_KEY], dict):
        return [
            SpecProblem(
                file,
                OIDC_SECRET_KEY,
                "is stored in plaintext",
                f"remove it and run `pulumi config set --secret {OIDC_SECRET_KEY} <secret>`",
            )
        ]
    return []


def load_stack_file(path: Path) -> tuple[OrganizationSpec | None, dict[str, Any], list[SpecProblem]]:
    """Read a Pulumi.<stack>.yaml: the spec (or None), its config as the program gets it, the problems."""
    file = str(path)
    config, problems = read_stack_config(path)
    if config is None:
        return None, {}, problems
    spec, found = _check_spec(config, file, stack_name_of(path))
    return spec, config.values, [*problems, *found, *_secret_problems(file, spec, config.values)]


def stack_files(stack_dir: Path) -> list[Path]:
    return sorted(stack_dir.glob("Pulumi.*.yaml"))


# ----------------------------------------------------------------------------------------------
# Across files: size and unique names


def _largest_parts(spec: Any) -> str:
    """The two biggest parts of a spec by their share of PULUMI_CONFIG, to say what to shorten."""
    parts: list[tuple[int, str]] = []
    if isinstance(spec, Mapping):
        for key, value in spec.items():
            if isinstance(value, Mapping):
                parts.extend((encoded_size(v), f"{key}.{k}") for k, v in value.items())
            else:
                parts.append((encoded_size(value), str(key)))
    biggest = sorted(parts, reverse=True)[:2]
    return ", ".join(f"{name} {size} bytes" for size, name in biggest)


def _size_problem(file: str, values: Mapping[str, Any]) -> list[SpecProblem]:
    size = len(pulumi_config_text(values).encode())
    if size <= CONFIG_LIMIT:
        return []
    return [
        SpecProblem(
            file,
            SPEC_KEY,
            f"makes the stack's config {size} bytes as the engine hands it to the program "
            f"({CONFIG_VARIABLE}), over the {CONFIG_LIMIT} bytes Linux allows one environment variable: "
            "the program could not start ('argument list too long'); "
            f"largest: {_largest_parts(values.get(SPEC_KEY))}",
            f"cut it by {size - CONFIG_LIMIT} bytes: fewer or shorter groups, mappings or redirect URIs "
            '(each < > & takes 7 bytes, each " or \\ 4, each other byte 1)',
        )
    ]


def _organization_name(values: Mapping[str, Any]) -> str | None:
    spec = values.get(SPEC_KEY)
    name = spec.get("name") if isinstance(spec, Mapping) else None
    return name if isinstance(name, str) else None


def _names_beside(paths: list[Path]) -> dict[str, str]:
    """Organization names in the other stack files of the folders these files are in."""
    given = {path.resolve() for path in paths}
    names: dict[str, str] = {}
    for folder in dict.fromkeys(path.parent for path in paths):
        for other in stack_files(folder):
            if other.resolve() in given:
                continue
            config, _ = read_stack_config(other)
            name = _organization_name(config.values) if config else None
            if name is not None:
                names.setdefault(name, str(other))
    return names


def validate_stack_files(paths: Iterable[Path]) -> list[SpecProblem]:
    """Validate each file, its size as the program receives it, and names across its folder."""
    paths = list(paths)
    problems: list[SpecProblem] = []
    owners: dict[str, str] = {}
    beside = _names_beside(paths)
    for path in paths:
        _, values, found = load_stack_file(path)
        problems.extend(found)
        problems.extend(_size_problem(str(path), values))
        name = _organization_name(values)
        if name is None:
            continue
        owner = owners.get(name) or beside.get(name)
        if owner is not None:
            problems.append(
                SpecProblem(
                    str(path),
                    f"{SPEC_KEY}.name",
                    f"organization name {name!r} is already used by {owner}",
                    "give each organization a unique name",
                )
            )
        else:
            owners[name] = str(path)
    return problems


def validate_stack_dir(stack_dir: Path) -> list[SpecProblem]:
    return validate_stack_files(stack_files(stack_dir))
