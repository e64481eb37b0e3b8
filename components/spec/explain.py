"""Pydantic's validation errors as SpecProblems: the YAML key, what is wrong in words, a concrete fix.

When the stack file was read (`sources`), a problem also names the line and quotes the value
as the file wrote it, which is what a reader needs when YAML changed its type on the way.
"""

from __future__ import annotations

import json
import re
import typing
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from ssoprov.spec.engine_yaml import KeyPath, Source
from ssoprov.spec.models import Broker, IdentityProvider, OrganizationSpec
from ssoprov.spec.problems import RULES_BROKEN, SpecProblem
from ssoprov.spec.stack_config import SPEC_KEY, StackConfig
from ssoprov.spec.yaml_scalars import BOOL, INT, NULL, TEXT, TIMESTAMP

_UNIONS_BY_FIELD = {"identityProvider": IdentityProvider, "broker": Broker}
_NUMBER_TEXT = re.compile(r"[+-]?[0-9][0-9_]*")
_YAML11_BOOLEANS = {"yes", "no", "on", "off", "y", "n"}


def render_key(path: KeyPath) -> str:
    """SPEC_KEY.identityProvider.groups[3] for ("identityProvider", "groups", 3)."""
    rendered = SPEC_KEY
    for part in path:
        rendered += f"[{part}]" if isinstance(part, int) else f".{part}"
    return rendered


def line_of(sources: Mapping[KeyPath, Source], path: KeyPath) -> int | None:
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
        return json.dumps(value), INT
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
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"is {text}, not a mapping (its keys indented below it)", f"use {description}"
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


def problems_of(file: str, error: Mapping[str, Any], sources: Mapping[KeyPath, Source]) -> list[SpecProblem]:
    """The problems one pydantic error stands for (a broken rule may name several keys)."""
    path, description = _walk(tuple(error["loc"]))
    kind, message = error["type"], str(error["msg"]).removeprefix("Value error, ")
    if kind == RULES_BROKEN:
        return [
            SpecProblem(file, render_key((*path, *v.at)), v.message, v.fix, line_of(sources, (*path, *v.at)))
            for v in error["ctx"]["violations"]
        ]
    line = line_of(sources, path)
    if kind == "missing":
        return [SpecProblem(file, render_key(path), "is required", f"add it: {description}", line)]
    if kind == "extra_forbidden":
        fix = "remove it or correct its spelling (keys are camelCase; see the config reference in README.md)"
        return [SpecProblem(file, render_key(path), "is not a known key", fix, line)]
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        tags = ", ".join(_union_members(_UNIONS_BY_FIELD[str(path[-1])]))
        found = error["input"].get("kind") if kind == "union_tag_invalid" else None
        problem = f"unknown kind {found!r}" if found is not None else "is required"
        return [SpecProblem(file, render_key((*path, "kind")), problem, f"set kind to one of {tags}", line)]
    explained = _type_mismatch(error, path, description, sources.get((SPEC_KEY, *path)))
    if explained is not None:
        return [SpecProblem(file, render_key(path), *explained, line)]
    return [SpecProblem(file, render_key(path), message, f"use {description}", line)]


def _value_at(values: Any, path: KeyPath) -> Any:
    for part in path:
        values = values[part]
    return values


def date_problems(file: str, config: StackConfig) -> list[SpecProblem]:
    """Dates YAML read in the spec: the program would get Go's rendering of them as text."""
    return [
        SpecProblem(
            file,
            render_key(path[1:]),
            f"YAML reads {source.text} as a date, and the program would receive the text "
            f"{_value_at(config.values, path)!r}",
            _quote_fix(path, source.text or ""),
            source.line,
        )
        for path, source in config.sources.items()
        if path[0] == SPEC_KEY and source.kind == TIMESTAMP
    ]
