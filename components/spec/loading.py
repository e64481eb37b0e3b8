"""Read stack files, validate the organization spec, and render problems with file, key and fix."""

from __future__ import annotations

import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from components.spec.models import Broker, IdentityProvider, OrganizationSpec
from components.spec.problems import FIX_SEPARATOR, InvalidSpec, SpecProblem

CONFIG_NAMESPACE = "ssoprov"
SPEC_KEY = f"{CONFIG_NAMESPACE}:organization"
OIDC_SECRET_KEY = f"{CONFIG_NAMESPACE}:oidcClientSecret"

_UNIONS_BY_FIELD = {"identityProvider": IdentityProvider, "broker": Broker}


def _union_members(annotation: Any) -> dict[str, type[BaseModel]]:
    union = typing.get_args(annotation)[0]
    members = typing.get_args(union)
    return {typing.get_args(m.model_fields["kind"].annotation)[0]: m for m in members}


def _walk(loc: tuple[str | int, ...]) -> tuple[str, str]:
    """Turn a pydantic location into (dotted key path, field description), dropping union tags."""
    model: type[BaseModel] | None = OrganizationSpec
    keys: list[str] = []
    description = ""
    previous: str | int | None = None
    for part in loc:
        if isinstance(part, int):
            keys[-1] = f"{keys[-1]}[{part}]"
            previous = part
            continue
        if previous in _UNIONS_BY_FIELD and isinstance(previous, str):
            model = _union_members(_UNIONS_BY_FIELD[previous]).get(part)
            previous = part
            if model is not None:
                continue
        keys.append(part)
        field = None
        if model is not None:
            field = next((f for name, f in model.model_fields.items() if (f.alias or name) == part), None)
        description = (field.description or "") if field else ""
        model = _nested_model(field.annotation) if field else None
        previous = part
    return ".".join(keys), description


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    candidates = [annotation, *typing.get_args(annotation)]
    for candidate in candidates:
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _problem(file: str, error: Mapping[str, Any]) -> SpecProblem:
    key, description = _walk(tuple(error["loc"]))
    full_key = SPEC_KEY + (f".{key}" if key else "")
    kind, message = error["type"], str(error["msg"])
    if FIX_SEPARATOR in message:
        message, fix = message.removeprefix("Value error, ").split(FIX_SEPARATOR, 1)
        return SpecProblem(file, full_key, message.rstrip("."), fix)
    if kind == "missing":
        return SpecProblem(file, full_key, "is required", f"add it: {description or 'see README.md'}")
    if kind == "extra_forbidden":
        return SpecProblem(
            file,
            full_key,
            "is not a known key",
            "remove it or correct its spelling (keys are camelCase; see the config reference in README.md)",
        )
    if kind == "union_tag_invalid":
        expected = error.get("ctx", {}).get("expected_tags", "")
        return SpecProblem(
            file,
            f"{full_key}.kind",
            f"unknown kind {error['input'].get('kind')!r}",
            f"set kind to one of {expected}",
        )
    if kind == "union_tag_not_found":
        return SpecProblem(file, f"{full_key}.kind", "is required", "add kind (see README.md)")
    message = message.removeprefix("Value error, ")
    return SpecProblem(file, full_key, message, f"use {description}" if description else "see README.md")


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
        raise InvalidSpec([_problem(source, error) for error in exc.errors()]) from None


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
