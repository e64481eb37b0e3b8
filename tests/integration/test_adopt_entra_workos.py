"""Adopting an Entra ID connection made by hand in WorkOS (the app registration with its secret and
assignments, the WorkOS connection created through the API as an admin would), with a user signing
in through WorkOS throughout: `ssoprov adopt` run as a process, then a spec change applied by `up`
(the role mappings WorkOS only takes in its dashboard, and the connection renamed: a PATCH that
must leave the unknown secret alone), then the first rotation (ours minted, WorkOS given it, the
hand-made secret removed), then destroy, refused. No sign-in may fail. No Keycloak is needed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import yaml
from pulumi import automation as auto

from sandbox.common.oidc_issuer import SANDBOX_USER_PASSWORD
from sandbox.environment import LocalSandbox
from sandbox.graph.seed import CONTOSO
from sandbox.workos import GLOBEX, INITECH
from sandbox.workos.signin import CALLBACK_PATH
from ssoprov.brokers.workos.verify_login import verify_workos_login
from ssoprov.entra.component import discovery_url
from ssoprov.entra.graph_client import graph_client_from_env
from ssoprov.spec.loading import validate_stack_files
from ssoprov.wording import counted
from tests.integration.adoption import adoption_project, make_app_by_hand, run_adopt
from tests.integration.signin_loop import signing_in_with
from tests.support.workos_app import APP_REDIRECT_URI, workos_app

HAND_MADE_NAME = "Contoso (Entra ID, by hand)"


@pytest.fixture
def sandbox() -> Iterator[LocalSandbox]:
    """The stand-ins only: WorkOS brokers this organization, so no Keycloak is started."""
    with LocalSandbox(with_keycloak=False) as running:
        running.workos.store.redirect_uris.add(APP_REDIRECT_URI)  # the dashboard's Redirects page
        yield running


def make_connection_by_hand(sandbox: LocalSandbox) -> tuple[str, str, str]:
    """The Entra app (portal steps), then the connection through WorkOS's API; returns the
    connection ID, the app's client ID and the secret made by hand."""
    client_id, secret, _groups = asyncio.run(make_app_by_hand(sandbox.workos_url + CALLBACK_PATH))
    return connect_by_hand(sandbox, INITECH.id, client_id, secret), client_id, secret


def connect_by_hand(sandbox: LocalSandbox, organization_id: str, client_id: str, secret: str) -> str:
    """A connection to the app, created through WorkOS's API as an admin would; returns its ID."""
    with httpx.Client(
        base_url=sandbox.workos_url, headers={"Authorization": f"Bearer {sandbox.workos_api_key}"}
    ) as api:
        created = api.post(
            "/connections",
            json={
                "organization_id": organization_id,
                "connection_type": "EntraIdOIDC",
                "name": HAND_MADE_NAME,
                "oidc_options": {
                    "discovery_endpoint": discovery_url(CONTOSO.tenant_id),
                    "client_id": client_id,
                    "client_secret": secret,
                    "redirect_uri": sandbox.workos_url + CALLBACK_PATH,
                    "token_authentication_method": "client_secret_basic",
                },
            },
        )
    created.raise_for_status()
    return created.json()["id"]


def test_adopt_entra_in_workos_then_remap_rename_rotate_with_no_sign_in_interrupted(
    sandbox: LocalSandbox, pulumi_cli: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project, engine = adoption_project(tmp_path, sandbox, monkeypatch)
    connection_id, client_id, hand_made_secret = make_connection_by_hand(sandbox)
    connection = sandbox.workos.store.connection(connection_id)
    assert connection is not None
    graph = graph_client_from_env(CONTOSO.tenant_id)
    app = asyncio.run(graph.find_application_by_app_id(client_id))
    hand_made = asyncio.run(graph.list_passwords(app["object_id"]))
    redirect_uri = sandbox.workos_url + CALLBACK_PATH

    def sign_in():
        app = workos_app(sandbox.workos_url, sandbox.workos_api_key, sandbox.workos.client_id)
        return verify_workos_login(
            app, connection_id, login="frank@contoso.example", password=SANDBOX_USER_PASSWORD
        )

    first = sign_in()
    assert first.signed_in, first.detail

    def unmanaged() -> list[str]:
        """`ssoprov adopt --list --workos`: the IDs of the connections no stack manages."""
        listed = run_adopt(project.root, tmp_path / "state", engine.env, "--list", "--workos")
        assert listed.returncode == 0, listed.stderr
        *rows, total = listed.stdout.splitlines()
        assert total == f"{counted(len(rows), 'connection')} in WorkOS that no stack manages"
        return [row.split()[0] for row in rows]

    assert unmanaged() == [connection_id]
    with signing_in_with(sign_in) as sign_ins:
        source = ("--workos-connection", connection_id, "--redirect-uri", redirect_uri)
        idp = ("--tenant-id", CONTOSO.tenant_id, "--client-id", client_id)
        adopted = run_adopt(project.root, tmp_path / "state", engine.env, "contoso", *source, *idp)
        assert adopted.returncode == 0, adopted.stderr
        report = adopted.stdout
        assert "wrote stacks/Pulumi.contoso.yaml" in report
        assert "preview --expect-no-changes: clean" in report
        assert "extra (kept, not managed): WorkOS group-to-role mappings" in report
        assert hand_made_secret not in report + adopted.stderr
        # Nothing at WorkOS changed: same name, same secret, no external_id given.
        assert (connection.name, connection.oidc.client_secret, connection.external_id) == (
            HAND_MADE_NAME,
            hand_made_secret,
            None,
        )
        stack_file = project.stack_file("contoso")
        assert validate_stack_files([stack_file]) == []
        organization = yaml.safe_load(stack_file.read_text())["config"]["ssoprov:organization"]
        assert organization["broker"] == {
            "kind": "workos",
            "organizationId": INITECH.id,
            "redirectUri": redirect_uri,
        }
        assert organization["adoption"]["connectionId"] == connection_id
        assert organization["adoption"]["brokerDisplayName"] == HAND_MADE_NAME

        # A second adopt of the same connection is refused, naming the stack file that manages it.
        again = run_adopt(project.root, tmp_path / "state", engine.env, "contoso-again", *source, *idp)
        assert again.returncode != 0 and "already managed by stacks/Pulumi.contoso.yaml" in again.stderr
        # Another connection made by hand to the same app (in another organization): the stack
        # that owns the app is found from the backend's recorded outputs, not from a stack file.
        twin = connect_by_hand(sandbox, GLOBEX.id, client_id, hand_made_secret)
        twin_source = ("--workos-connection", twin, "--redirect-uri", redirect_uri)
        refused = run_adopt(project.root, tmp_path / "state", engine.env, "contoso-twin", *twin_source, *idp)
        assert refused.returncode != 0, refused.stdout
        assert f"its app {client_id} is already managed by stack contoso" in refused.stderr
        assert not project.stack_file("contoso-twin").exists()
        assert unmanaged() == [twin]

        # The spec change: the role mappings WorkOS takes only in its dashboard (acknowledged: the
        # stack output lists them), and the connection named as the organization, by a PATCH that
        # must leave the secret nobody knows as WorkOS holds it.
        del organization["adoption"]["brokerDisplayName"]
        organization["broker"]["manualStepsAcknowledged"] = True
        organization["roleMappings"] = [{"group": "Engineering", "role": "developer"}]
        stack_file.write_text(yaml.safe_dump({"config": {"ssoprov:organization": organization}}))
        stack = engine.stack("contoso")
        changed = stack.up(show_secrets=False)
        engineering = asyncio.run(graph.resolve_group("Engineering"))
        assert any(
            engineering in step and "developer" in step for step in changed.outputs["manualSteps"].value
        )
        assert connection.name == organization["displayName"] and connection.external_id == "contoso"
        assert connection.oidc.client_secret == hand_made_secret

        # The first rotation, forced: ours is minted, WorkOS gets it, then the hand-made one goes.
        stack.workspace.env_vars["SSOPROV_AS_OF"] = (datetime.now(UTC) + timedelta(days=400)).isoformat()
        try:
            stack.up(show_secrets=False)
        finally:
            del stack.workspace.env_vars["SSOPROV_AS_OF"]
        passwords = asyncio.run(graph.list_passwords(app["object_id"]))
        assert [p["key_id"] for p in passwords] != [p["key_id"] for p in hand_made]
        assert [p["display_name"] for p in passwords] == ["ssoprov: contoso SSO broker"]
        assert connection.oidc.client_secret not in (hand_made_secret, "", None)

    failed = [r.detail for r in sign_ins if not r.signed_in]
    assert len(sign_ins) > 3 and failed == [], failed
    assert sign_in().signed_in
    with pytest.raises(auto.CommandError, match="protected"):
        stack.destroy()
    assert sandbox.workos.store.connection(connection_id) is not None
