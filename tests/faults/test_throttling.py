"""Throttling that outlasts the retry budget: a clear error, then a clean resume, for each IdP.

The identity provider's management API answers every call 429 (Graph: `TooManyRequests` with
`Retry-After`; Okta: `E0000047` with `X-Rate-Limit-Reset`), asking for a wait of about a second.
The stack's environment sets SSOPROV_RETRY_BUDGET_SECONDS (components/retry.py), which every
provider process reads at import, to a few seconds: the retries stop on that budget within
seconds, where the default policy (8 tries, 60 s of waiting) would go on for 8 tries per call.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable

import pytest
from pulumi import automation as auto

from sandbox.environment import LocalSandbox
from ssoprov.retry import BUDGET_VARIABLE, RetryPolicy
from tests.faults.support import IDENTITY_PROVIDERS
from tests.integration.organizations import stack_config
from tests.support.projects import StackProject

THROTTLE_WAIT_SECONDS = 1.0
RETRY_BUDGET_SECONDS = 3.0
FIRST_OPERATIONS = {
    "entra": r"resolving (?:group|user) '[^']+'",
    "okta": r"creating OIDC web app '[^']+' in http://127\.0\.0\.1:\d+",
}
"""The calls the throttle stops: Entra looks up the spec's users and groups before it registers the
app; Okta creates the app first."""
WAIT_ASKED = {
    "entra": re.escape(f"{math.ceil(THROTTLE_WAIT_SECONDS):.1f}s"),
    "okta": r"\d+\.\ds",
}
"""Graph's Retry-After is the wait itself, in whole seconds; Okta's X-Rate-Limit-Reset is a moment."""


@pytest.mark.parametrize("kind", sorted(IDENTITY_PROVIDERS))
def test_endless_429s_fail_naming_the_api_the_tries_and_the_wait_then_up_resumes_without_duplicates(
    kind: str, sandbox: LocalSandbox, realm: str, stack_project: Callable[..., StackProject]
) -> None:
    idp = IDENTITY_PROVIDERS[kind]
    organization = idp.organization(sandbox, realm)
    objects_before, client_ids_before = idp.objects(sandbox), idp.client_ids(sandbox)
    env = {**sandbox.engine_env(), BUDGET_VARIABLE: str(RETRY_BUDGET_SECONDS)}
    project = stack_project(organization["name"], stack_config(organization), env=env)
    stand_in = idp.stand_in(sandbox)
    stand_in.faults.configure(
        throttle_count=-1, throttle_wait_seconds=THROTTLE_WAIT_SECONDS, path_contains=idp.api_path
    )

    started = time.monotonic()
    with pytest.raises(auto.CommandError) as raised:
        project.stack.up(show_secrets=False)
    elapsed = time.monotonic() - started

    message = str(raised.value)
    operation = rf"{re.escape(idp.service)}: {FIRST_OPERATIONS[kind]}"
    failure = re.search(rf"{operation}: still failing after (?P<tries>\d+) tr(?:y|ies) in \d+\.\ds", message)
    assert failure, message
    assert int(failure["tries"]) < RetryPolicy().attempts, "the budget from the environment did not apply"
    assert "HTTP 429" in message
    assert re.search(rf"the service asked to wait {WAIT_ASKED[kind]} more", message), message
    assert "Run `pulumi up` again once the service recovers" in message
    assert elapsed < 120
    calls = stand_in.calls.all()
    assert calls and all(call.status == 429 for call in calls), "a call got through the throttle"
    assert idp.objects(sandbox) == objects_before, "an object was created while every call was throttled"

    stand_in.faults.reset()
    # The service recovered: the resumed run has the usual budget, which Graph's replication lag needs.
    del project.stack.workspace.env_vars[BUDGET_VARIABLE]  # type: ignore[attr-defined]
    project.stack.up(show_secrets=False)

    assert idp.objects(sandbox) - objects_before == idp.created_by_one_organization
    assert idp.client_ids(sandbox) - client_ids_before == {project.stack.outputs()["clientId"].value}
    assert set(project.stack.up(show_secrets=False).summary.resource_changes) == {"same"}
