"""examples/team-program: a team's own Pulumi program using `import ssoprov`, run by the real CLI
as its README section says (stack init, config set, up, preview, destroy)."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import subprocess
from pathlib import Path

from sandbox.common.oidc_issuer import SANDBOX_USER_PASSWORD
from sandbox.environment import LocalSandbox
from sandbox.graph.seed import CONTOSO
from ssoprov.brokers.keycloak.client import from_environment
from ssoprov.verify_login import verify_login
from ssoprov.workspace import OFFLINE_ENV

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "team-program"


class Cli:
    """`pulumi ...` in the example's folder, the way a person types it."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.folder = folder
        self.env = env

    def __call__(self, *args: str) -> str:
        done = subprocess.run(
            ["pulumi", *args], cwd=self.folder, env=self.env, capture_output=True, text=True, timeout=600
        )
        assert done.returncode == 0, f"pulumi {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout


def identity_provider_aliases(sandbox: LocalSandbox, realm: str) -> set[str]:
    async def read() -> set[str]:
        async with from_environment(sandbox.keycloak_url, sandbox.engine_env()) as admin:
            return {provider["alias"] for provider in await admin.list_identity_providers(realm)}

    return asyncio.run(read())


def test_team_program_creates_two_organizations_beside_its_own_resource(
    sandbox: LocalSandbox, realm: str, pulumi_cli: str, tmp_path: Path
) -> None:
    folder = tmp_path / "team-program"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("__pycache__", "Pulumi.*.yaml", "*.json"))
    (tmp_path / "state").mkdir()
    # No PYTHONPATH: the program and its provider processes find ssoprov as an installed package.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PULUMI_BACKEND_URL")}
    env.update(
        OFFLINE_ENV,
        PULUMI_BACKEND_URL=(tmp_path / "state").as_uri(),
        PULUMI_HOME=str(tmp_path / "pulumi-home"),
        PULUMI_CONFIG_PASSPHRASE=secrets.token_urlsafe(16),
        **sandbox.engine_env(),
    )
    pulumi = Cli(folder, env)

    pulumi("stack", "init", "dev")
    for key, value in {
        "keycloakUrl": sandbox.keycloak_url,
        "realm": realm,
        "tenantId": CONTOSO.tenant_id,
        "oktaOrgUrl": sandbox.okta_url,
    }.items():
        pulumi("config", "set", key, value)
    pulumi("up", "--yes", "--skip-preview")

    outputs = json.loads(pulumi("stack", "output", "--json"))
    settings = json.loads(Path(outputs["settingsFile"]).read_text())
    assert {name: entry["clientId"] for name, entry in settings.items()} == {
        "contoso": outputs["contoso"]["clientId"],
        "globex": outputs["globex"]["clientId"],
    }
    assert identity_provider_aliases(sandbox, realm) == {"contoso", "globex"}
    resources = json.loads(pulumi("stack", "export"))["deployment"]["resources"]
    assert sum(r["type"] == "ssoprov:index:Organization" for r in resources) == 2

    alice = verify_login(
        sandbox.keycloak_url, realm, "contoso", login="alice@contoso.example", password=SANDBOX_USER_PASSWORD
    )
    assert alice.signed_in, alice.detail
    assert {"developer", "admin"} <= set(alice.roles)
    carol = verify_login(
        sandbox.keycloak_url, realm, "globex", login="carol@acme.example", password=SANDBOX_USER_PASSWORD
    )
    assert carol.signed_in, carol.detail
    assert "sales" in carol.roles

    pulumi("preview", "--expect-no-changes")
    pulumi("destroy", "--yes", "--skip-preview")
    assert not Path(outputs["settingsFile"]).exists()
    assert identity_provider_aliases(sandbox, realm) == set()
