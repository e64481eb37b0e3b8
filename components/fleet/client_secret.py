"""`ssoprov client-secret STACK`: the value of a stack's current client secret, for a person to paste.

No stack output carries the value (components/organization.py says why). Where a person must enter
it by hand (WorkOS has no API for Microsoft OAuth credentials), this reads it from the stack's
state, decrypted by the CLI as `pulumi stack export --show-secrets` does, and hands it to the
caller to print on stdout: it never enters a log, a report or an engine event.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pulumi import automation as auto

from ssoprov.errors import ProvisionerError
from ssoprov.fleet.secrets import secret_resources
from ssoprov.fleet.stack_command import cli_env
from ssoprov.workspace import Engine


def client_secret_in(deployment: Mapping[str, Any]) -> str | None:
    """The live client-secret resource's value in a deployment exported with `--show-secrets`."""
    for resource in secret_resources(deployment):
        value = (resource.get("outputs") or {}).get("client_secret")
        # The export keeps the secret envelope; its plaintext is the value, JSON-encoded.
        if isinstance(value, Mapping) and "plaintext" in value:
            return json.loads(value["plaintext"])
        if isinstance(value, str):
            return value
    return None


def current_client_secret(engine: Engine, stack: str) -> str:
    command = auto.PulumiCommand()
    try:
        result = command.run(
            ["stack", "export", "--show-secrets", "--stack", stack], str(engine.project_dir), cli_env(engine)
        )
    except auto.CommandError as exc:
        raise ProvisionerError(
            f"reading the state of stack {stack}: {str(exc).strip().splitlines()[-1]}. "
            "Fix: check the stack name, --backend and the passphrase (PULUMI_CONFIG_PASSPHRASE)"
        ) from None
    value = client_secret_in(json.loads(result.stdout).get("deployment") or {})
    if value is None:
        raise ProvisionerError(
            f"stack {stack} holds no client secret of ours. Fix: run `ssoprov up --stack {stack}` first; "
            "for a generic OIDC organization the secret is the customer's, in the stack's config "
            "(`pulumi config get ssoprov:oidcClientSecret`)"
        )
    return value
