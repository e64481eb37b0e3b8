"""Validate organization specs: in one stack file, across a folder of them, and in the program.

`ssoprov validate`, the fleet commands and the Pulumi program all go through here, so a file
gets the same lines wherever it is checked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationError

from ssoprov.spec.config_size import CONFIG_LIMIT, CONFIG_VARIABLE, encoded_size, pulumi_config_text
from ssoprov.spec.explain import date_problems, line_of, problems_of, render_key
from ssoprov.spec.models import OrganizationSpec
from ssoprov.spec.problems import InvalidSpec, SpecProblem
from ssoprov.spec.stack_config import (
    CONFIG_NAMESPACE,
    OIDC_SECRET_KEY,
    SPEC_KEY,
    StackConfig,
    read_stack_config,
    stack_name_of,
)

__all__ = [
    "CONFIG_NAMESPACE",
    "OIDC_SECRET_KEY",
    "SPEC_KEY",
    "load_stack_file",
    "parse_organization",
    "spec_for_program",
    "stack_files",
    "validate_stack_dir",
    "validate_stack_files",
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
                line_of(config.sources, ()),
            )
        ]
    problems = date_problems(file, config)
    dated = {problem.key for problem in problems}
    spec = None
    try:
        spec = OrganizationSpec.model_validate(data)
    except ValidationError as exc:
        found = [p for error in exc.errors() for p in problems_of(file, error, config.sources)]
        problems.extend(p for p in found if p.key not in dated)
    name = data.get("name")
    name_key = render_key(("name",))
    named_wrong = isinstance(name, str) and stack is not None and name != stack
    if named_wrong and all(problem.key != name_key for problem in problems):
        problems.append(
            SpecProblem(
                file,
                name_key,
                f"is {name!r}, but this file configures the stack {stack!r}",
                f"set name: {stack}, or rename the file to Pulumi.{name}.yaml "
                "if that stack does not exist yet",
                line_of(config.sources, ("name",)),
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


def _secret_problems(
    file: str, spec: OrganizationSpec | None, values: Mapping[str, Any]
) -> list[SpecProblem]:
    generic = spec is not None and spec.identity_provider.kind == "oidc"
    secretless = spec is not None and spec.client_authentication.secretless
    if generic and secretless and OIDC_SECRET_KEY in values:
        return [
            SpecProblem(
                file,
                OIDC_SECRET_KEY,
                "is set, but with clientAuthentication.method privateKeyJwt the broker authenticates "
                "with its key and no secret is used",
                f"run `pulumi config rm {OIDC_SECRET_KEY}` in this stack",
            )
        ]
    if generic and not secretless and spec.adoption is None and OIDC_SECRET_KEY not in values:
        return [
            SpecProblem(
                file,
                OIDC_SECRET_KEY,
                "is required for a generic OIDC connection",
                f"run `pulumi config set --secret {OIDC_SECRET_KEY} <secret>` in this stack, or set "
                "clientAuthentication.method to privateKeyJwt if the provider takes the broker's key",
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


def _unknown_keys(file: str, config: StackConfig) -> list[SpecProblem]:
    """Keys of ssoprov's namespace that it does not read: a misspelt ssoprov:organisation would
    otherwise show only as the organization missing."""
    known = (SPEC_KEY, OIDC_SECRET_KEY)
    found = []
    for key in config.values:
        if key.startswith(f"{CONFIG_NAMESPACE}:") and key not in known:
            source = config.sources.get((key,))
            fix = f"remove it or correct its spelling: ssoprov reads {' and '.join(known)}"
            found.append(
                SpecProblem(file, key, "is not a key ssoprov reads", fix, source.line if source else None)
            )
    return found


def load_stack_file(path: Path) -> tuple[OrganizationSpec | None, dict[str, Any], list[SpecProblem]]:
    """Read a Pulumi.<stack>.yaml: the spec (or None), its config as the program gets it, the problems."""
    file = str(path)
    config, problems = read_stack_config(path)
    if config is None:
        return None, {}, problems
    spec, found = _check_spec(config, file, stack_name_of(path))
    unknown = [] if problems else _unknown_keys(file, config)  # a key the engine refuses is named already
    return spec, config.values, [*problems, *unknown, *found, *_secret_problems(file, spec, config.values)]


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


def _keycloak_connection(values: Mapping[str, Any]) -> tuple[str, str] | None:
    """(key, what) of the Keycloak identity provider a stack file makes, None for another broker.

    Two stacks naming the same alias in the same realm of the same Keycloak would fight over one
    identity provider: the second `up` fails only after creating its IdP app."""
    spec = values.get(SPEC_KEY)
    broker = spec.get("broker") if isinstance(spec, Mapping) else None
    if not isinstance(broker, Mapping) or broker.get("kind") != "keycloak":
        return None
    alias, url, realm = broker.get("alias") or spec.get("name"), broker.get("url"), broker.get("realm")
    if not all(isinstance(part, str) for part in (alias, url, realm)):
        return None
    key = f"{SPEC_KEY}.broker.alias" if broker.get("alias") else f"{SPEC_KEY}.name"
    parts = urlsplit(url)
    server = f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path.rstrip('/')}"
    return key, f"Keycloak identity provider {alias!r} in realm {realm} at {server}"


def _claims_beside(paths: list[Path]) -> dict[str, str]:
    """Organization names and Keycloak connections in the other stack files of these files' folders."""
    given = {path.resolve() for path in paths}
    claims: dict[str, str] = {}
    for folder in dict.fromkeys(path.parent for path in paths):
        for other in stack_files(folder):
            if other.resolve() in given:
                continue
            config, _ = read_stack_config(other)
            if config is None:
                continue
            name, connection = _organization_name(config.values), _keycloak_connection(config.values)
            for claim in (name, connection and connection[1]):
                if claim is not None:
                    claims.setdefault(claim, str(other))
    return claims


def validate_stack_files(paths: Iterable[Path]) -> list[SpecProblem]:
    """Validate each file, its size as the program receives it, and names across its folder."""
    paths = list(paths)
    problems: list[SpecProblem] = []
    owners: dict[str, str] = {}
    beside = _claims_beside(paths)
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
            continue
        owners[name] = str(path)
        connection = _keycloak_connection(values)
        if connection is None:
            continue
        key, what = connection
        owner = owners.get(what) or beside.get(what)
        if owner is not None:
            problems.append(
                SpecProblem(
                    str(path),
                    key,
                    f"makes the {what}, which {owner} makes too",
                    "give this organization an alias of its own: broker.alias (it defaults to the name)",
                )
            )
        else:
            owners[what] = str(path)
    return problems


def stack_file_warnings(paths: Iterable[Path]) -> list[SpecProblem]:
    """What may fail some users with each valid spec (see ssoprov.spec.advice)."""
    from ssoprov.spec.advice import spec_warnings

    found: list[SpecProblem] = []
    for path in paths:
        spec, _, problems = load_stack_file(path)
        if spec is not None and not problems:
            found.extend(spec_warnings(spec, str(path)))
    return found


def validate_stack_dir(stack_dir: Path) -> list[SpecProblem]:
    return validate_stack_files(stack_files(stack_dir))
