"""No credential leaves the places that need it, over a whole lifecycle of every kind of organization.

For each identity-provider kind (Entra ID, Microsoft OAuth, Okta, generic OIDC) and each broker
(Keycloak, WorkOS): `up`, `refresh`, `preview`, a secret rotation and `destroy`, through the real
CLI. Every client secret the stand-ins issued (or the customer handed over, for generic OIDC),
the Okta API token, the WorkOS API key, the Keycloak admin password and the stack passphrase are
then searched for everywhere a user or a CI job keeps what the tool wrote: the state directory
(checkpoints, history, backups), `pulumi stack export`, the plain and `--debug` output of each
command, the engine event log (`--event-log`) and the Automation API's `on_event` stream, what
the test process logged (the stand-ins run in it), the stand-ins' call logs and Keycloak's log.

The only places a secret may exist are the IdP credential resource's secret output and the broker
connection's secret input (both encrypted in state): no stack or component output carries it,
because the Python SDK logs registered outputs in plaintext at debug level.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pulumi import automation as auto

from sandbox.environment import LocalSandbox
from sandbox.graph.seed import CONTOSO
from sandbox.workos import INITECH
from tests.faults.support import IssuedSecrets, Transcript, leaked, run_cli, run_ssoprov
from tests.integration.organizations import entra_organization, okta_organization, stack_config
from tests.support.projects import StackProject

WORKOS_REDIRECT = "https://auth.example.com/sso/oidc/callback"
OIDC_SECRETS = ("initech-first-oidc-secret-5c1d8e", "initech-second-oidc-secret-a07f94")
"""What the customer's IT team hands over for the generic OIDC connection, then its replacement."""


def microsoft_organization(sandbox: LocalSandbox, realm: str) -> dict[str, Any]:
    return {
        "name": "contoso-personal",
        "displayName": "Contoso Personal",
        "identityProvider": {"kind": "microsoft", "tenantId": CONTOSO.tenant_id},
        "broker": {"kind": "keycloak", "url": sandbox.keycloak_url, "realm": realm},
        "defaultRole": "member",
    }


def oidc_organization(sandbox: LocalSandbox, realm: str) -> dict[str, Any]:
    return {
        "name": "initech",
        "displayName": "Initech",
        "identityProvider": {
            "kind": "oidc",
            "clientId": "initech-sso",
            "discoveryUrl": f"{sandbox.okta_url}/.well-known/openid-configuration",
        },
        "broker": {"kind": "keycloak", "url": sandbox.keycloak_url, "realm": realm},
        "roleMappings": [{"group": "Engineering", "role": "developer"}],
        "defaultRole": "member",
    }


ORGANIZATIONS: dict[str, Callable[[LocalSandbox, str], dict[str, Any]]] = {
    "entra": entra_organization,
    "microsoft": microsoft_organization,
    "okta": okta_organization,
    "oidc": oidc_organization,
}


def brokered_by(organization: dict[str, Any], broker: str) -> dict[str, Any]:
    if broker == "keycloak":
        return organization
    workos = {
        "kind": "workos",
        "organizationId": INITECH.id,
        "redirectUri": WORKOS_REDIRECT,
        # Role mappings and Microsoft OAuth credentials are dashboard steps at WorkOS.
        "manualStepsAcknowledged": True,
    }
    return {**organization, "broker": workos}


@dataclass
class Haystacks:
    """Everything the lifecycle left for a user or a CI job to keep, by where it came from."""

    texts: dict[str, str] = field(default_factory=dict)

    def add(self, where: str, text: str) -> None:
        assert text, f"{where}: nothing was captured, so nothing would be found"
        self.texts[where] = text


def run_step(haystacks: Haystacks, step: str, command: Callable[..., object]) -> None:
    """Run an Automation API command, keeping its printed output and its engine events."""
    output, events = Transcript(), Transcript()
    command(on_output=output, on_event=lambda event: events(repr(event)), color="never")
    haystacks.add(f"`{step}` output", output.text)
    haystacks.add(f"`{step}` on_event stream", events.text)


def preview_with_event_log(project: StackProject, haystacks: Haystacks, tmp_path: Path) -> None:
    """`pulumi preview --debug --event-log F`, as a CI job keeping its engine events would run it."""
    event_log = tmp_path / "preview-events.jsonl"
    project.stack.workspace.env_vars["PULUMI_DEBUG_COMMANDS"] = "true"  # enables --event-log
    try:
        code, output = run_cli(project, "preview", "--debug", "--diff", "--event-log", str(event_log))
    finally:
        del project.stack.workspace.env_vars["PULUMI_DEBUG_COMMANDS"]
    assert code == 0, output
    assert "debug:" in output, "the preview printed no debug lines"
    haystacks.add("`preview --debug` output", output)
    haystacks.add("`preview` event log", event_log.read_text())


def rotate(project: StackProject, kind: str, haystacks: Haystacks) -> None:
    """Replace the client secret: by policy (as of a later date) or, for generic OIDC, with the
    customer's new secret."""
    if kind == "oidc":
        project.stack.set_config("ssoprov:oidcClientSecret", auto.ConfigValue(OIDC_SECRETS[1], secret=True))
        run_step(haystacks, "up (new secret)", lambda **kw: project.stack.up(debug=True, **kw))
        return
    project.stack.workspace.env_vars["SSOPROV_AS_OF"] = (datetime.now(UTC) + timedelta(days=200)).isoformat()
    try:
        run_step(haystacks, "up --debug (rotation)", lambda **kw: project.stack.up(debug=True, **kw))
    finally:
        del project.stack.workspace.env_vars["SSOPROV_AS_OF"]


def current_secret(project: StackProject, kind: str) -> str:
    """The secret the broker is given: the customer's (generic OIDC, in config) or ours (in state)."""
    if kind == "oidc":
        return project.stack.get_config("ssoprov:oidcClientSecret").value
    return project.client_secret()


@pytest.mark.parametrize("broker", ["keycloak", "workos"])
@pytest.mark.parametrize("kind", sorted(ORGANIZATIONS))
def test_no_credential_anywhere_a_user_or_ci_keeps_over_a_whole_lifecycle(
    kind: str,
    broker: str,
    sandbox: LocalSandbox,
    realm: str,
    stack_project: Callable[..., StackProject],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    issued = IssuedSecrets().install(sandbox)
    organization = brokered_by(ORGANIZATIONS[kind](sandbox, realm), broker)
    project = stack_project(organization["name"], stack_config(organization), env=sandbox.engine_env())
    stack = project.stack
    if kind == "oidc":
        stack.set_config("ssoprov:oidcClientSecret", auto.ConfigValue(OIDC_SECRETS[0], secret=True))
        issued.values.update(OIDC_SECRETS)
    haystacks = Haystacks()

    run_step(haystacks, "up --debug", lambda **kw: stack.up(debug=True, **kw))
    first_secret = current_secret(project, kind)
    run_step(haystacks, "refresh", lambda **kw: stack.refresh(**kw))
    preview_with_event_log(project, haystacks, tmp_path)
    rotate(project, kind, haystacks)
    assert current_secret(project, kind) != first_secret, "the rotation did not replace the secret"
    if kind != "oidc":  # asked for explicitly, the value is printed on stdout and nowhere else
        code, printed = run_ssoprov(project, "client-secret", project.stack.name)
        assert code == 0 and printed.strip() == current_secret(project, kind), "ssoprov client-secret"
    code, exported = run_cli(project, "stack", "export")
    assert code == 0, exported
    haystacks.add("`stack export`", exported)
    run_step(haystacks, "destroy", lambda **kw: stack.destroy(**kw))

    assert {first_secret, *issued.values} == issued.values, "a secret the stand-ins never issued"
    haystacks.add("state directory (checkpoints, history, backups)", project.state_text())
    haystacks.add("stack file", project.stack_file.read_text())
    haystacks.add("test process log (stand-ins, clients)", caplog.text or "(empty log)")
    for name, stand_in in (("Graph", sandbox.graph), ("Okta", sandbox.okta), ("WorkOS", sandbox.workos)):
        haystacks.add(f"{name} stand-in call log", repr(stand_in.calls.all()) or "[]")
    assert sandbox.keycloak is not None
    haystacks.add("Keycloak log", sandbox.keycloak.log_path.read_text(errors="replace"))

    needles = {f"client secret #{i}": value for i, value in enumerate(sorted(issued.values))}
    needles |= {
        "Okta API token": sandbox.okta_api_token,
        "WorkOS API key": sandbox.workos_api_key,
        "Keycloak admin password": sandbox.engine_env()["KEYCLOAK_ADMIN_PASSWORD"],
        "Pulumi passphrase": project.passphrase,
    }
    assert leaked(haystacks.texts, needles) == []
