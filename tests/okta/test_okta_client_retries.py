"""The Okta classifier under retry_async: 429 waits for X-Rate-Limit-Reset, 5xx per idempotency."""

from __future__ import annotations

import asyncio
import itertools
import socket
import time

import pytest

from ssoprov.errors import ApiError, RetryBudgetExceeded
from ssoprov.okta.okta_client import OktaClient, OktaCredentials, rate_limit_wait
from ssoprov.retry import RetryPolicy
from tests.okta.conftest import FAST_POLICY, OktaSandbox

REDIRECT = "https://broker.example/sso/callback"


def calls_to(okta_sandbox: OktaSandbox, method: str, path_start: str, *, expect: int = 0) -> list:
    """The recorded calls; the log is written just after an answer is sent, so wait for `expect`."""
    deadline = time.monotonic() + 2
    while True:
        found = [
            c
            for c in okta_sandbox.stand_in.calls.all()
            if c.method == method and c.path.startswith(path_start)
        ]
        if len(found) >= expect or time.monotonic() > deadline:
            return found
        time.sleep(0.01)


def test_a_429_burst_is_retried_after_x_rate_limit_reset(okta: OktaClient, okta_sandbox: OktaSandbox) -> None:
    okta_sandbox.faults(throttle_count=2, throttle_wait_seconds=0.6, path_contains="/api/v1/groups")
    group = asyncio.run(okta.find_group_by_name("Engineering"))
    assert group.name == "Engineering"
    tries = calls_to(okta_sandbox, "GET", "/api/v1/groups", expect=3)
    assert [c.status for c in tries] == [429, 429, 200]
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(tries)]
    # FAST_POLICY's own backoff is at most 0.05 s: these waits are the service's reset time.
    assert all(gap >= 0.6 for gap in gaps), gaps


def test_a_persistent_429_exhausts_the_budget_and_names_the_operation(
    okta: OktaClient, okta_sandbox: OktaSandbox
) -> None:
    async def scenario() -> tuple[str, str]:
        app = await okta.create_oidc_web_app("Throttled", [REDIRECT])
        sales = await okta.find_group_by_name("Sales")
        okta_sandbox.faults(throttle_count=-1, throttle_wait_seconds=0.2, path_contains="/groups/")
        with pytest.raises(RetryBudgetExceeded) as exhausted:
            await okta.assign_group(app.id, sales.id, group_name="Sales")
        return str(exhausted.value), f"Okta: assigning group Sales ({sales.id}) to app {app.id}"

    message, operation = asyncio.run(scenario())
    assert message.startswith(f"{operation}: still failing after {FAST_POLICY.attempts} tries")
    assert "E0000047" in message


def test_a_reset_beyond_the_budget_fails_at_once(okta_sandbox: OktaSandbox) -> None:
    client = OktaClient(
        OktaCredentials(okta_sandbox.url, api_token=okta_sandbox.token),
        policy=RetryPolicy(attempts=5, budget_seconds=3.0, base_delay=0.01, max_delay=0.05),
    )
    okta_sandbox.faults(throttle_count=-1, throttle_wait_seconds=45)
    with pytest.raises(
        RetryBudgetExceeded, match=r"finding the Okta group named 'Admins': still failing after 1 try "
    ):
        asyncio.run(client.find_group_by_name("Admins"))


def test_server_errors_are_retried_for_reads_but_a_create_is_not_repeated(
    okta: OktaClient, okta_sandbox: OktaSandbox
) -> None:
    okta_sandbox.faults(server_error_count=2, server_error_status=500, path_contains="/api/v1/groups")
    assert asyncio.run(okta.find_group_by_name("Admins")).name == "Admins"
    assert [c.status for c in calls_to(okta_sandbox, "GET", "/api/v1/groups", expect=3)] == [500, 500, 200]

    okta_sandbox.faults(
        server_error_count=1, server_error_status=500, methods=["POST"], path_contains="/api/v1/apps"
    )
    with pytest.raises(
        ApiError, match=r"creating OIDC web app 'Once' in http://127.0.0.1:\d+: HTTP 500 E0000009"
    ) as failed:
        asyncio.run(okta.create_oidc_web_app("Once", [REDIRECT]))
    assert not isinstance(failed.value, RetryBudgetExceeded)
    assert len(calls_to(okta_sandbox, "POST", "/api/v1/apps", expect=1)) == 1

    okta_sandbox.faults(
        server_error_count=1, server_error_status=503, methods=["POST"], path_contains="/api/v1/apps"
    )
    created = asyncio.run(okta.create_oidc_web_app("Twice", [REDIRECT]))
    assert [c.status for c in calls_to(okta_sandbox, "POST", "/api/v1/apps", expect=3)] == [500, 503, 200]
    assert [a["label"] for a in okta_sandbox.stand_in.store.snapshot()["apps"]] == ["Twice"]
    assert created.label == "Twice"


def test_a_refused_connection_is_a_network_error_retried_within_the_budget() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    client = OktaClient(
        OktaCredentials(f"http://127.0.0.1:{closed_port}", api_token="00token"),
        policy=RetryPolicy(attempts=2, budget_seconds=2.0, base_delay=0.01, max_delay=0.02),
    )
    with pytest.raises(
        RetryBudgetExceeded,
        match=r"reading app 0oa1: still failing after 2 tries.*: no answer \(ClientConnectorError",
    ):
        asyncio.run(client.get_app("0oa1"))
    with pytest.raises(ApiError) as refused:  # a create is not repeated: it may have reached Okta
        asyncio.run(client.create_secret("0oa1"))
    assert str(refused.value).startswith("Okta: creating a client secret for app 0oa1: no answer (")
    assert str(refused.value).endswith(
        "Check that the org URL (identityProvider.orgUrl) is right and reachable from here"
    )


def test_rate_limit_wait_uses_the_local_clock_unless_the_answer_date_disagrees() -> None:
    date = "Tue, 14 Nov 2023 22:13:20 GMT"  # 1700000000
    reset = {"X-Rate-Limit-Reset": "1700000010"}
    assert rate_limit_wait({**reset, "Date": date}, now=1_700_000_001.5) == pytest.approx(8.6)
    assert rate_limit_wait({**reset, "Date": date}, now=1_800_000_000) == pytest.approx(10.1)  # skewed host
    assert rate_limit_wait(reset, now=1_700_000_020) == pytest.approx(0.1)
    assert rate_limit_wait({}, now=0) is None
