"""No credential ever leaves the provider processes: not in state, stack files or CLI output.

A whole lifecycle (up, refresh, preview, rotation, destroy) of an Entra and an Okta organization
with a Keycloak broker; every client secret the stand-ins issued along the way, the Okta API
token, the Keycloak admin password and the stack passphrase are then searched for everywhere
the CLI writes or prints.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from sandbox.environment import LocalSandbox
from tests.faults.support import IssuedSecrets, Transcript, leaked, secret_output
from tests.integration.organizations import entra_organization, okta_organization, stack_config
from tests.support.projects import StackProject

ORGANIZATIONS = {"entra": entra_organization, "okta": okta_organization}


@pytest.mark.parametrize("kind", sorted(ORGANIZATIONS))
def test_no_credential_in_state_stack_file_or_output_over_a_whole_lifecycle(
    kind: str, sandbox: LocalSandbox, realm: str, stack_project: Callable[..., StackProject]
) -> None:
    issued = IssuedSecrets().install(sandbox)
    organization = ORGANIZATIONS[kind](sandbox, realm)
    project = stack_project(organization["name"], stack_config(organization), env=sandbox.engine_env())
    stack = project.stack
    transcripts: dict[str, Transcript] = {}
    outputs_seen: list[str] = []

    def run(step: str, command: Callable[..., object]) -> None:
        transcripts[step] = Transcript()
        command(on_output=transcripts[step], color="never")

    run("up", lambda **kw: stack.up(show_secrets=False, **kw))
    outputs_seen.append(secret_output(project))
    run("refresh", lambda **kw: stack.refresh(show_secrets=False, **kw))
    run("preview", lambda **kw: stack.preview(diff=True, **kw))
    stack.workspace.env_vars["SSOPROV_AS_OF"] = (datetime.now(UTC) + timedelta(days=200)).isoformat()
    try:
        run("rotation", lambda **kw: stack.up(show_secrets=False, diff=True, **kw))
        outputs_seen.append(secret_output(project))
    finally:
        del stack.workspace.env_vars["SSOPROV_AS_OF"]
    run("destroy", lambda **kw: stack.destroy(**kw))

    assert len(set(outputs_seen)) == 2, "the rotation did not issue a new secret"
    assert set(outputs_seen) <= issued.values, "a secret output the stand-ins never issued"
    needles = {f"client secret #{i}": value for i, value in enumerate(sorted(issued.values))}
    needles |= {
        "Okta API token": sandbox.okta_api_token,
        "Keycloak admin password": sandbox.engine_env()["KEYCLOAK_ADMIN_PASSWORD"],
        "Pulumi passphrase": project.passphrase,
    }
    haystacks = {
        "state files": project.state_text(),
        "stack file": project.stack_file.read_text(),
        **{f"`{step}` output": transcript.text for step, transcript in transcripts.items()},
    }
    assert all(transcripts[step].lines for step in transcripts), "a command printed nothing"
    assert leaked(haystacks, needles) == []
