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
from ssoprov.fleet.operations import holds_resources, stderr_tail
from ssoprov.fleet.secrets import secret_resources
from ssoprov.fleet.stack_command import cli_env
from ssoprov.spec.models import OrganizationSpec
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


def _none_by_design(spec: OrganizationSpec | None) -> str:
    """Why a stack of this spec never holds a client secret of ours, with where to look instead; ""
    when it should hold one."""
    if spec is None:
        return ""
    if spec.identity_provider.uses_saml:
        return (
            "it is a SAML connection (identityProvider.protocol: saml), which has no client secret: "
            "its credential is the IdP signing certificate (`ssoprov secrets` shows it)"
        )
    if spec.client_authentication.secretless:
        return (
            "clientAuthentication.method is privateKeyJwt: no client secret exists, the broker signs "
            "with its realm key (`ssoprov secrets` shows it)"
        )
    if spec.identity_provider.kind == "oidc":
        return (
            "the secret of a generic OIDC organization is the customer's, in the stack's config: "
            f"`pulumi config get ssoprov:oidcClientSecret --stack {spec.name}`"
        )
    return ""


def current_client_secret(engine: Engine, stack: str, spec: OrganizationSpec | None = None) -> str:
    """The stack's current client secret; `spec`, the stack file's, says why there is none."""
    if why := _none_by_design(spec):
        raise ProvisionerError(f"stack {stack} holds no client secret of ours: {why}")
    command = auto.PulumiCommand()
    try:
        result = command.run(
            ["stack", "export", "--show-secrets", "--stack", stack], str(engine.project_dir), cli_env(engine)
        )
    except auto.CommandError as exc:
        raise ProvisionerError(
            f"reading the state of stack {stack}: {stderr_tail(exc, 1)}. "
            "Fix: check the stack name, --backend and the passphrase (PULUMI_CONFIG_PASSPHRASE)"
        ) from None
    deployment = json.loads(result.stdout).get("deployment") or {}
    if not holds_resources(deployment):
        raise ProvisionerError(
            f"stack {stack} has nothing deployed (no `up` yet, or it was destroyed): there is no client "
            "secret to print"
        )
    value = client_secret_in(deployment)
    if value is None:
        raise ProvisionerError(
            f"stack {stack} holds no client secret of ours. Fix: run `ssoprov up --stack {stack}` first"
        )
    return value
