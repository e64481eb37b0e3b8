"""`make demo`: the sandbox and a real Keycloak, five organizations up, users signed in, all cleaned up.

Runs `pulumi up` for the example stacks in stacks/ (Entra ID, Entra ID with no client secret,
Okta, Okta over SAML, generic OIDC) against the local stand-ins and Keycloak, signs one user in per
case through the broker, prints a table per organization, then destroys the stacks and stops
everything.
"""

from __future__ import annotations

import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from pulumi import automation as auto

from demo.customers import GENERIC_OIDC_ORGANIZATION, ORGANIZATIONS, SIGN_INS, set_up_examples
from demo.report import print_organization
from sandbox.common.oidc_issuer import SANDBOX_USER_PASSWORD
from sandbox.environment import DEMO_PORTS, LocalSandbox
from ssoprov.spec.loading import OIDC_SECRET_KEY
from ssoprov.verify_login import LoginReport, verify_login
from ssoprov.workspace import let_language_hosts_stop, local_engine


def say(message: str) -> None:
    print(f"demo: {message}", flush=True)


def sign_in(sandbox: LocalSandbox, realm: str, alias: str, login: str) -> LoginReport:
    return verify_login(sandbox.keycloak_url, realm, alias, login=login, password=SANDBOX_USER_PASSWORD)


def run_organizations(
    sandbox: LocalSandbox, workdir: Path, organizations: Sequence[str] = ORGANIZATIONS
) -> int:
    """`pulumi up` each organization's example stack on a started sandbox, sign its users in,
    print its table, destroy it; return how many sign-ins went against what was expected."""
    examples = set_up_examples(sandbox, workdir / "project")
    engine = local_engine(
        workdir / "project",
        workdir / "state",
        env={**sandbox.engine_env(), "PULUMI_CONFIG_PASSPHRASE": secrets.token_urlsafe(24)},
    )
    stacks = {}
    for organization in organizations:
        stack = engine.stack(organization)
        if organization == GENERIC_OIDC_ORGANIZATION:
            secret = auto.ConfigValue(examples.oidc_client_secret, secret=True)
            stack.set_config(OIDC_SECRET_KEY, secret)
        say(f"pulumi up {organization}")
        result = stack.up(show_secrets=False)
        say(f"  {organization}: {result.summary.resource_changes}")
        stacks[organization] = stack
    failures = 0
    for organization, stack in stacks.items():
        outputs = {key: value.value for key, value in stack.outputs().items() if not value.secret}
        results = [
            (check, sign_in(sandbox, examples.realms[organization], outputs["connectionId"], check.login))
            for check in SIGN_INS[organization]
        ]
        failures += print_organization(organization, outputs, results)
    for organization, stack in stacks.items():
        say(f"pulumi destroy {organization}")
        stack.destroy(show_secrets=False)
    return failures


def main() -> int:
    let_language_hosts_stop()
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="ssoprov-demo-"))
    try:
        say("starting the sandbox (Graph + Entra sign-in, Okta, WorkOS) and Keycloak on 127.0.0.1")
        with LocalSandbox(ports=DEMO_PORTS) as sandbox:
            say(f"Keycloak is up at {sandbox.keycloak_url}")
            failures = run_organizations(sandbox, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    say(f"done in {time.monotonic() - started:.0f}s; sandbox and Keycloak stopped, temporary state removed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
