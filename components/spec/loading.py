"""Read stack files, validate the organization spec, and render problems with file, key and fix."""

from __future__ import annotations

import json
import re
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from components.spec.engine_yaml import BOOL, NULL, TEXT, KeyPath, Source
from components.spec.models import Broker, IdentityProvider, OrganizationSpec
from components.spec.problems import RULES_BROKEN, InvalidSpec, SpecProblem

CONFIG_NAMESPACE = "ssoprov"
SPEC_KEY = f"{CONFIG_NAMESPACE}:organization"
OIDC_SECRET_KEY = f"{CONFIG_NAMESPACE}:oidcClientSecret"

_UNIONS_BY_FIELD = {"identityProvider": IdentityProvider, "broker": Broker}
_NUMBER_TEXT = re.compile(r"[+-]?[0-9][0-9_]*")
_YAML11_BOOLEANS = {"yes", "no", "on", "off", "y", "n"}


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


def _render(path: KeyPath) -> str:
    """SPEC_KEY.identityProvider.groups[3] for ("identityProvider", "groups", 3)."""
    rendered = SPEC_KEY
    for part in path:
        rendered += f"[{part}]" if isinstance(part, int) else f".{part}"
    return rendered


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


def _problems_of(file: str, error: Mapping[str, Any]) -> list[SpecProblem]:
    path, description = _walk(tuple(error["loc"]))
    kind, message = error["type"], str(error["msg"]).removeprefix("Value error, ")
    if kind == RULES_BROKEN:
        return [
            SpecProblem(file, _render((*path, *v.at)), v.message, v.fix) for v in error["ctx"]["violations"]
        ]
    if kind == "missing":
        return [SpecProblem(file, _render(path), "is required", f"add it: {description}")]
    if kind == "extra_forbidden":
        fix = "remove it or correct its spelling (keys are camelCase; see the config reference in README.md)"
        return [SpecProblem(file, _render(path), "is not a known key", fix)]
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        tags = ", ".join(_union_members(_UNIONS_BY_FIELD[str(path[-1])]))
        found = error["input"].get("kind") if kind == "union_tag_invalid" else None
        problem = f"unknown kind {found!r}" if found is not None else "is required"
        return [SpecProblem(file, _render((*path, "kind")), problem, f"set kind to one of {tags}")]
    explained = _type_mismatch(error, path, description, None)
    if explained is not None:
        return [SpecProblem(file, _render(path), *explained)]
    return [SpecProblem(file, _render(path), message, f"use {description}")]


def parse_organization(data: Any, source: str) -> OrganizationSpec:
    """Validate one organization spec; raise InvalidSpec listing every problem found."""
    if not isinstance(data, Mapping):
        raise InvalidSpec(
            [
                SpecProblem(
                    source,
                    SPEC_KEY,
                    "is missing or not a mapping",
                    "add the organization spec under config: (see stacks/ for examples)",
                )
            ]
        )
    try:
        return OrganizationSpec.model_validate(data)
    except ValidationError as exc:
        raise InvalidSpec([p for error in exc.errors() for p in _problems_of(source, error)]) from None


def load_stack_file(path: Path) -> tuple[OrganizationSpec | None, dict[str, Any], list[SpecProblem]]:
    """Read a Pulumi.<stack>.yaml: the spec (or None), its whole config map, and the problems found."""
    source = str(path)
    try:
        document = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        return (
            None,
            {},
            [SpecProblem(source, "(file)", f"cannot be read as YAML ({exc})", "fix the YAML syntax")],
        )
    config = document.get("config") if isinstance(document, dict) else None
    if not isinstance(config, dict):
        config = {}
    try:
        spec = parse_organization(config.get(SPEC_KEY), source)
    except InvalidSpec as exc:
        return None, config, exc.problems
    problems = []
    if spec.identity_provider.kind == "oidc" and OIDC_SECRET_KEY not in config:
        problems.append(
            SpecProblem(
                source,
                OIDC_SECRET_KEY,
                "is required for a generic OIDC connection",
                f"run `pulumi config set --secret {OIDC_SECRET_KEY} <secret>` in this stack",
            )
        )
    elif OIDC_SECRET_KEY in config and not isinstance(config[OIDC_SECRET_KEY], dict):
        problems.append(
            SpecProblem(
                source,
                OIDC_SECRET_KEY,
                "is stored in plaintext",
                f"remove it and run `pulumi config set --secret {OIDC_SECRET_KEY} <secret>`",
            )
        )
    return spec, config, problems


def stack_files(stack_dir: Path) -> list[Path]:
    return sorted(stack_dir.glob("Pulumi.*.yaml"))


def validate_stack_files(paths: Iterable[Path]) -> list[SpecProblem]:
    """Validate each file and the fleet as a whole (organization names must be unique)."""
    problems: list[SpecProblem] = []
    owners: dict[str, str] = {}
    for path in paths:
        spec, _, found = load_stack_file(path)
        problems.extend(found)
        if spec is None:
            continue
        if spec.name in owners:
            problems.append(
                SpecProblem(
                    str(path),
                    f"{SPEC_KEY}.name",
                    f"organization name {spec.name!r} is already used by {owners[spec.name]}",
                    "give each organization a unique name",
                )
            )
        else:
            owners[spec.name] = str(path)
    return problems


def validate_stack_dir(stack_dir: Path) -> list[SpecProblem]:
    return validate_stack_files(stack_files(stack_dir))
