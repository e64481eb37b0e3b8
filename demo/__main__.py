"""`make demo`: the sandbox and a real Keycloak, three organizations up, users signed in, all cleaned up.

Runs `pulumi up` for the example stacks in stacks/ (Entra ID, Okta, generic OIDC) against the
local stand-ins and Keycloak, signs one user in per case through the broker, prints a table
per organization, then destroys the stacks and stops everything.
"""

from __future__ import annotations

import asyncio
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

from pulumi import automation as auto

from components.spec import load_stack_file
from components.verify_login import LoginReport, prepare_realm, verify_login
from components.workspace import local_engine
from demo.customers import SIGN_INS, register_generic_oidc_client
from demo.report import print_organization
from sandbox.common.oidc_issuer import SANDBOX_USER_PASSWORD
from sandbox.environment import DEMO_PORTS, LocalSandbox

REPO = Path(__file__).resolve().parents[1]
ORGANIZATIONS = ("acme-entra", "globex-okta", "initech-oidc")


def say(message: str) -> None:
    print(f"demo: {message}", flush=True)


def sign_in(sandbox: LocalSandbox, realm: str, alias: str, login: str) -> LoginReport:
    return verify_login(sandbox.keycloak_url, realm, alias, login=login, password=SANDBOX_USER_PASSWORD)


def copy_project(target: Path) -> None:
    (target / "stacks").mkdir(parents=True)
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(REPO / name, target / name)
    for organization in ORGANIZATIONS:
        source = REPO / "stacks" / f"Pulumi.{organization}.yaml"
        text = source.read_text()
        # The shipped generic-OIDC stack holds a placeholder; the demo sets a real secret below.
        text = text.replace("  ssoprov:oidcClientSecret:\n    secure: to-be-set-by-the-demo\n", "")
        (target / "stacks" / source.name).write_text(text)


def main() -> int:
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="ssoprov-demo-"))
    failures = 0
    try:
        say("starting the sandbox (Graph + Entra sign-in, Okta, WorkOS) and Keycloak on 127.0.0.1")
        with LocalSandbox(ports=DEMO_PORTS) as sandbox:
            say(f"Keycloak is up at {sandbox.keycloak_url}")
            specs = {org: load_stack_file(REPO / "stacks" / f"Pulumi.{org}.yaml")[0] for org in ORGANIZATIONS}
            realm = specs["acme-entra"].broker.realm
            asyncio.run(prepare_realm(sandbox.keycloak_url, realm, sandbox.engine_env()))
            copy_project(workdir / "project")
            engine = local_engine(
                workdir / "project",
                workdir / "state",
                env={**sandbox.engine_env(), "PULUMI_CONFIG_PASSPHRASE": secrets.token_urlsafe(24)},
            )
            stacks = {}
            for organization in ORGANIZATIONS:
                stack = engine.stack(organization)
                if organization == "initech-oidc":
                    redirect = f"{sandbox.keycloak_url}/realms/{realm}/broker/{organization}/endpoint"
                    secret = register_generic_oidc_client(sandbox, redirect)
                    stack.set_config("ssoprov:oidcClientSecret", auto.ConfigValue(secret, secret=True))
                say(f"pulumi up {organization}")
                result = stack.up(show_secrets=False)
                say(f"  {organization}: {result.summary.resource_changes}")
                stacks[organization] = stack
            for organization, stack in stacks.items():
                outputs = {key: value.value for key, value in stack.outputs().items() if not value.secret}
                results = [
                    (check, sign_in(sandbox, realm, outputs["connectionId"], check.login))
                    for check in SIGN_INS[organization]
                ]
                failures += print_organization(organization, outputs, results)
            for organization, stack in stacks.items():
                say(f"pulumi destroy {organization}")
                stack.destroy(show_secrets=False)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    say(f"done in {time.monotonic() - started:.0f}s; sandbox and Keycloak stopped, temporary state removed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
