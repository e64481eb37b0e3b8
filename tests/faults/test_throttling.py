"""Throttling that outlasts the retry budget: a clear error, then a clean resume.

There is no environment knob for the retry policy (components/retry.py DEFAULT_POLICY: 8 tries,
60 s), so the test bounds itself with a short throttle wait: 8 tries of about 1-2 s each.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest
from pulumi import automation as auto

from sandbox.environment import LocalSandbox
from tests.faults.support import okta_app_ids
from tests.integration.organizations import okta_organization, stack_config
from tests.support.projects import StackProject

THROTTLE_WAIT_SECONDS = 1.0


def test_endless_okta_429s_fail_naming_okta_and_the_wait_then_up_resumes_without_duplicates(
    sandbox: LocalSandbox, realm: str, stack_project: Callable[..., StackProject]
) -> None:
    seeded_apps = okta_app_ids(sandbox)
    project = stack_project(
        "globex", stack_config(okta_organization(sandbox, realm)), env=sandbox.engine_env()
    )
    sandbox.okta.faults.configure(throttle_count=-1, throttle_wait_seconds=THROTTLE_WAIT_SECONDS)

    started = time.monotonic()
    with pytest.raises(auto.CommandError) as raised:
        project.stack.up(show_secrets=False)
    elapsed = time.monotonic() - started

    message = str(raised.value)
    assert re.search(r"Okta: [^\n]+: still failing after 8 tries in \d+\.\ds", message), message
    assert "HTTP 429" in message
    assert re.search(r"the service asked to wait \d+\.\ds more", message), message
    assert "Run `pulumi up` again once the service recovers" in message
    assert elapsed < 120
    throttled = [call for call in sandbox.okta.calls.all() if call.status == 429]
    assert throttled and all(call.status == 429 for call in sandbox.okta.calls.all())
    assert okta_app_ids(sandbox) == seeded_apps, "an app was created while every call was throttled"

    sandbox.okta.faults.reset()
    project.stack.up(show_secrets=False)

    created = okta_app_ids(sandbox) - seeded_apps
    assert len(created) == 1, created
    (app_id,) = created
    assert project.stack.outputs()["clientId"].value == sandbox.okta.store.get_app(app_id).client_id
    assert [secret.status for secret in sandbox.okta.store.secrets(app_id)] == ["ACTIVE"]
    assert set(project.stack.up(show_secrets=False).summary.resource_changes) == {"same"}
