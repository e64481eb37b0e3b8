"""Rotate an organization's credential while a user keeps signing in through the broker: a client
secret (`rotate_while_signing_in`), or a SAML signing certificate (`assert_certificate_rolled_over`)."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

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


def assert_certificate_rolled_over(
    rotated: Any, report_file: Path, results: Sequence[LoginReport], *, stack: str, idp: str, broker: str
) -> None:
    """`ssoprov rotate` (its run `rotated`, its JSON report) rolled `stack`'s SAML signing certificate
    over in the safe order with no failed sign-in among `results`: (a) `idp` stages, (b) the broker
    resource (`broker`, e.g. keycloak-saml-identity-provider) trusts both, (c) the switch; then the
    second `up`: (d) the broker drops the old certificate."""
    assert rotated.code == 0, rotated.stdout + rotated.stderr
    [entry] = json.loads(report_file.read_text())["stacks"]
    assert entry["status"] == "rotated", entry
    keys, trust, switch = (
        f"{stack}-{idp}-saml-signing-keys",
        f"{stack}-{broker}",
        f"{stack}-{idp}-saml-signing-switch",
    )
    assert [(step["op"], step["name"]) for step in entry["steps"]] == [
        ("update", keys),
        ("update", trust),
        ("update", switch),
        ("update", keys),
        ("update", trust),
    ]
    assert results, "no sign-in ran during the rollover"
    assert all(r.signed_in for r in results), [r.detail for r in results if not r.signed_in]
