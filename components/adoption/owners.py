"""Which stack already manages a connection, or the IdP app behind it.

Stack files name Keycloak connections (URL, realm, alias) and adopted WorkOS connections; the
backend knows more: every stack's recorded outputs name its broker callback (`redirectUri`), its
WorkOS connection (`connectionId`) and its IdP app (`clientId`), whatever alias it was adopted
under, and also for stacks whose file is not in this checkout. Outputs are read from
`pulumi stack export` (secrets stay encrypted, nothing runs).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi import automation as auto

from ssoprov.fleet.operations import list_stacks, read_state
from ssoprov.workspace import Engine

STACK_RESOURCE = "pulumi:pulumi:Stack"


def stack_outputs(deployment: Mapping[str, Any]) -> Mapping[str, Any]:
    """The outputs a deployment recorded on its root stack resource ({} for an empty stack)."""
    for resource in deployment.get("resources") or []:
        if resource.get("type") == STACK_RESOURCE:
            return resource.get("outputs") or {}
    return {}


def recorded_outputs(engine: Engine) -> dict[str, Mapping[str, Any]]:
    """Each stack of the project in the backend (by name) -> its recorded outputs."""
    command = auto.PulumiCommand()
    return {
        stack: stack_outputs(read_state(engine, stack, command))
        for stack in sorted(list_stacks(engine, command))
    }


def owner_in_state(engine: Engine, identifiers: Mapping[str, str]) -> tuple[str, str] | None:
    """The first stack (by name) whose outputs hold one of `identifiers` (output name -> value),
    with the output that matched; None when no stack in the backend does."""
    for stack, outputs in recorded_outputs(engine).items():
        for key, value in identifiers.items():
            if outputs.get(key) == value:
                return stack, key
    return None
