"""Rotate an organization's client secret while a user keeps signing in through the broker."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sandbox.common.oidc_issuer import SANDBOX_USER_PASSWORD
from sandbox.environment import LocalSandbox
from ssoprov.verify_login import LoginReport, verify_login
from tests.integration.steps import StepLog
from tests.support.projects import StackProject


def rotate_while_signing_in(
    project: StackProject, sandbox: LocalSandbox, realm: str, *, login: str, secret_resource: str
) -> None:
    """Force rotation (SSOPROV_AS_OF) with sign-ins running; assert the safe order and no failed sign-in."""
    alias = project.stack.outputs()["connectionId"].value
    old_secret = project.client_secret()
    results: list[LoginReport] = []
    stop = threading.Event()

    def keep_signing_in() -> None:
        while not stop.is_set():
            results.append(
                verify_login(sandbox.keycloak_url, realm, alias, login=login, password=SANDBOX_USER_PASSWORD)
            )

    steps = StepLog()
    signer = threading.Thread(target=keep_signing_in)
    signer.start()
    project.stack.workspace.env_vars["SSOPROV_AS_OF"] = (datetime.now(UTC) + timedelta(days=200)).isoformat()
    try:
        project.stack.up(show_secrets=False, on_event=steps)
    finally:
        del project.stack.workspace.env_vars["SSOPROV_AS_OF"]
        stop.set()
        signer.join()

    broker_update = steps.index("update", f"{alias}-keycloak-identity-provider")
    assert steps.index("create-replacement", secret_resource) < broker_update
    assert broker_update < steps.index("delete-replaced", secret_resource)
    assert results, "no sign-in ran during the rotation"
    assert all(result.signed_in for result in results), [r.detail for r in results if not r.signed_in]
    assert project.client_secret() != old_secret
    assert verify_login(
        sandbox.keycloak_url, realm, alias, login=login, password=SANDBOX_USER_PASSWORD
    ).signed_in
