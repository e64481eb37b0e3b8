"""A new organization's stack file from command-line flags (`ssoprov new`).

The flags become an `ssoprov:organization` mapping that is validated with the same models as
every stack file before anything is written; problems come back as the usual one-liners (file,
key, what is wrong, the fix), with the flag that sets the key named in the fix. An existing
file is never overwritten, and an organization name already used by another stack is refused.

Conveniences, so that a first file is complete: for Entra with the default groups claim
(ApplicationGroup), every mapped group is also assigned to the app (only assigned groups reach
the token); for Okta, every mapped group is allowed to sign in unless --okta-group lists them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ssoprov.spec.advice import spec_warnings
from ssoprov.spec.loading import OIDC_SECRET_KEY, SPEC_KEY, load_stack_file, parse_organization
from ssoprov.spec.problems import InvalidSpec, SpecProblem
from ssoprov.spec.yaml_scalars import STR, resolve_plain


@dataclass
class NewOrganization:
    """The flags of `ssoprov new`, as given (None: not given)."""

    name: str
    idp: str
    broker: str
    display_name: str | None = None
    tenant_id: str | None = None
    multi_tenant: bool = False
    assign_groups: list[str] = field(default_factory=list)
    assign_users: list[str] = field(default_factory=list)
    groups_claim: str | None = None
    org_url: str | None = None
    okta_groups: list[str] = field(default_factory=list)
    client_id: str | None = None
    discovery_url: str | None = None
    keycloak_url: str | None = None
    realm: str | None = None
    alias: str | None = None
    workos_organization_id: str | None = None
    workos_redirect_uri: str | None = None
    manual_steps_acknowledged: bool = False
    mappings: list[str] = field(default_factory=list)
    """GROUP=ROLE, as typed."""
    default_role: str | None = None
    lifetime_days: int | None = None
    rotate_after_days: int | None = None
    rotate_before_expiry_days: int | None = None


FLAGS = {
    # attribute: (flag, spec key under ssoprov:organization, the kinds it applies to)
    "tenant_id": ("--tenant-id", "identityProvider.tenantId", ("entra", "microsoft")),
    "multi_tenant": ("--multi-tenant", "identityProvider.multiTenant", ("entra",)),
    "assign_groups": ("--assign-group", "identityProvider.assignments.groups", ("entra",)),
    "assign_users": ("--assign-user", "identityProvider.assignments.users", ("entra",)),
    "groups_claim": ("--groups-claim", "identityProvider.groupsClaim", ("entra",)),
    "org_url": ("--org-url", "identityProvider.orgUrl", ("okta",)),
    "okta_groups": ("--okta-group", "identityProvider.groups", ("okta",)),
    "client_id": ("--client-id", "identityProvider.clientId", ("oidc",)),
    "discovery_url": ("--discovery-url", "identityProvider.discoveryUrl", ("oidc",)),
    "keycloak_url": ("--keycloak-url", "broker.url", ("keycloak",)),
    "realm": ("--realm", "broker.realm", ("keycloak",)),
    "alias": ("--alias", "broker.alias", ("keycloak",)),
    "workos_organization_id": ("--workos-organization-id", "broker.organizationId", ("workos",)),
    "workos_redirect_uri": ("--workos-redirect-uri", "broker.redirectUri", ("workos",)),
    "manual_steps_acknowledged": (
        "--manual-steps-acknowledged",
        "broker.manualStepsAcknowledged",
        ("workos",),
    ),
}
OTHER_FLAGS = {
    "name": "the organization name (first argument)",
    "displayName": "--display-name",
    "identityProvider.kind": "--idp",
    "broker.kind": "--broker",
    "roleMappings": "--map GROUP=ROLE",
    "defaultRole": "--default-role",
    "clientSecret.lifetimeDays": "--lifetime-days",
    "clientSecret.rotateAfterDays": "--rotate-after-days",
    "clientSecret.rotateBeforeExpiryDays": "--rotate-before-expiry-days",
}


def _flag_for(key: str) -> str | None:
    """The flag that sets a spec key (`ssoprov:organization.broker.realm` -> `--realm`)."""
    short = key.removeprefix(SPEC_KEY).lstrip(".")
    short = short.split("[", 1)[0]
    for flag, spec_key, _ in FLAGS.values():
        if short == spec_key:
            return flag
    return OTHER_FLAGS.get(short)


def _with_flag(problem: SpecProblem) -> SpecProblem:
    flag = _flag_for(problem.key)
    if flag is None:
        return problem
    fix = problem.fix
    if fix.startswith("add it: "):
        fix = f"pass {flag} ({fix.removeprefix('add it: ')})"
    elif fix.startswith("use "):
        fix = f"pass {flag} with {fix.removeprefix('use ')}"
    else:
        fix = f"{fix} (flag {flag})"
    return SpecProblem(problem.file, problem.key, problem.message, fix)


def _set(target: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    for part in parents:
        target = target.setdefault(part, {})
    target[last] = value


def build_spec(new: NewOrganization, file: str) -> tuple[dict[str, Any], list[SpecProblem]]:
    """The organization mapping the flags describe, and the problems with the flags themselves."""
    problems: list[SpecProblem] = []
    spec: dict[str, Any] = {
        "name": new.name,
        "displayName": new.display_name or new.name.replace("-", " ").title(),
        "identityProvider": {"kind": new.idp},
        "broker": {"kind": new.broker},
    }
    for attribute, (flag, key, kinds) in FLAGS.items():
        value = getattr(new, attribute)
        if value in (None, False, []):
            continue
        kind = new.idp if key.startswith("identityProvider.") else new.broker
        if kind not in kinds:
            which = "--idp" if key.startswith("identityProvider.") else "--broker"
            problems.append(
                SpecProblem(
                    file,
                    f"{SPEC_KEY}.{key}",
                    f"{flag} applies to {which} {' or '.join(kinds)}, not {kind}",
                    f"remove {flag}, or use {which} {kinds[0]}",
                )
            )
            continue
        _set(spec, key, list(value) if isinstance(value, list) else value)
    mappings = []
    for index, text in enumerate(new.mappings):
        group, separator, role = text.rpartition("=")
        if not separator or not group or not role:
            problems.append(
                SpecProblem(
                    file,
                    f"{SPEC_KEY}.roleMappings[{index}]",
                    f"--map {text!r} is not GROUP=ROLE",
                    "write --map Engineering=developer (the IdP group, '=', the broker role)",
                )
            )
            continue
        mappings.append({"group": group, "role": role})
    if mappings:
        spec["roleMappings"] = mappings
    if new.default_role is not None:
        spec["defaultRole"] = new.default_role
    policy = {
        "lifetimeDays": new.lifetime_days,
        "rotateAfterDays": new.rotate_after_days,
        "rotateBeforeExpiryDays": new.rotate_before_expiry_days,
    }
    if any(value is not None for value in policy.values()):
        spec["clientSecret"] = {key: value for key, value in policy.items() if value is not None}
    groups = [mapping["group"] for mapping in mappings]
    idp = spec["identityProvider"]
    if new.idp == "entra" and (new.groups_claim or "ApplicationGroup") == "ApplicationGroup":
        assigned = idp.setdefault("assignments", {}).setdefault("groups", [])
        assigned.extend(group for group in groups if group not in assigned)
        if not idp["assignments"]["groups"]:
            del idp["assignments"]["groups"]
        if not idp["assignments"]:
            del idp["assignments"]
    if new.idp == "okta" and not new.okta_groups and groups:
        idp["groups"] = list(groups)
    return spec, problems


class _EngineSafeDumper(yaml.SafeDumper):
    """PyYAML's dumper, quoting every text the Pulumi engine's YAML 1.2 reader would not read as text.

    PyYAML quotes by YAML 1.1's rules, so `0o17`, `1_000` or `0x_1F` would go out plain and
    come back from the engine as numbers; here the engine's own resolver decides.
    """


def _represent_text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    if resolve_plain(text)[0] != STR:
        return dumper.represent_scalar("tag:yaml.org,2002:str", text, style='"')
    return dumper.represent_str(text)


_EngineSafeDumper.add_representer(str, _represent_text)


def render(spec: dict[str, Any]) -> str:
    header = (
        f"# {spec['displayName']}: {spec['identityProvider']['kind']} -> {spec['broker']['kind']}.\n"
        "# Made by `ssoprov new`; every key is described in README.md (Configuration reference).\n"
    )
    return header + yaml.dump(
        {"config": {SPEC_KEY: spec}}, Dumper=_EngineSafeDumper, sort_keys=False, allow_unicode=True
    )


def existing_owner(stack_dir: Path, organization: str) -> Path | None:
    """The stack file that already holds an organization of this name, if any."""
    for path in sorted(stack_dir.glob("Pulumi.*.yaml")):
        spec, _, _ = load_stack_file(path)
        if spec is not None and spec.name == organization:
            return path
    return None


@dataclass(frozen=True)
class Scaffolded:
    path: Path
    text: str
    next_steps: list[str]
    warnings: list[SpecProblem]
    """What `ssoprov validate` would warn about in the file, with the flags that change it."""


def scaffold(new: NewOrganization, stack_dir: Path, display_file: str, *, write: bool = True) -> Scaffolded:
    """Validate the flags as a spec and write the stack file; raise InvalidSpec with every problem."""
    path = stack_dir / f"Pulumi.{new.name}.yaml"
    spec, problems = build_spec(new, display_file)
    warnings: list[SpecProblem] = []
    try:
        organization = parse_organization(spec, display_file)
        warnings = [_with_flag(warning) for warning in spec_warnings(organization, display_file)]
    except InvalidSpec as exc:
        problems.extend(_with_flag(problem) for problem in exc.problems)
    if path.exists():
        problems.append(
            SpecProblem(
                display_file, "(file)", "already exists", "edit it, or choose another organization name"
            )
        )
    else:
        owner = existing_owner(stack_dir, new.name) if stack_dir.is_dir() else None
        if owner is not None:
            problems.append(
                SpecProblem(
                    display_file,
                    f"{SPEC_KEY}.name",
                    f"organization name {new.name!r} is already used by {owner.name}",
                    "give each organization a unique name",
                )
            )
    if problems:
        raise InvalidSpec(_unique(problems))
    text = render(spec)
    if write:
        stack_dir.mkdir(parents=True, exist_ok=True)
        with path.open("x") as handle:  # "x": never overwrite, even if the file appeared meanwhile
            handle.write(text)
    steps = []
    if new.idp == "oidc":
        steps.append(
            "store the client secret the customer's IT team gave you (--no-select keeps your selected "
            f"stack): pulumi stack init {new.name} --no-select && "
            f"pulumi config set --secret {OIDC_SECRET_KEY} <secret> --stack {new.name}"
        )
    steps.append(f"ssoprov preview --stack {new.name}")
    return Scaffolded(path=path, text=text, next_steps=steps, warnings=warnings)


def _unique(problems: Sequence[SpecProblem]) -> list[SpecProblem]:
    seen: list[SpecProblem] = []
    for problem in problems:
        if problem not in seen:
            seen.append(problem)
    return seen
