"""The retry budget a job can set for every client it starts (`SSOPROV_RETRY_BUDGET_SECONDS`)."""

from __future__ import annotations

import asyncio

import pytest

from ssoprov.errors import ApiError, RetryBudgetExceeded
from ssoprov.retry import RetryPolicy, policy_from_env, retry_async


def test_without_the_variable_the_budget_is_sixty_seconds_over_eight_tries() -> None:
    assert policy_from_env({}) == RetryPolicy(attempts=8, budget_seconds=60.0)
    assert policy_from_env({"SSOPROV_RETRY_BUDGET_SECONDS": " "}) == RetryPolicy()


def test_the_variable_sets_the_budget_and_keeps_the_rest() -> None:
    assert policy_from_env({"SSOPROV_RETRY_BUDGET_SECONDS": "300"}) == RetryPolicy(budget_seconds=300.0)
    assert policy_from_env({"SSOPROV_RETRY_BUDGET_SECONDS": "2.5"}).budget_seconds == 2.5


@pytest.mark.parametrize("raw", ["soon", "0", "-5", "3601", "nan"])
def test_a_bad_budget_names_the_variable_and_the_range(raw: str) -> None:
    with pytest.raises(ValueError) as raised:
        policy_from_env({"SSOPROV_RETRY_BUDGET_SECONDS": raw})
    message = str(raised.value)
    assert f"SSOPROV_RETRY_BUDGET_SECONDS={raw!r}" in message
    assert "above 0 and at most 3600" in message


def test_the_last_error_is_not_prefixed_with_the_operation_twice() -> None:
    describe = "Keycloak: getting an admin token"

    async def unreachable() -> None:
        raise ApiError("Keycloak", "getting an admin token", 503, "", "busy")

    with pytest.raises(RetryBudgetExceeded) as exhausted:
        asyncio.run(
            retry_async(
                unreachable,
                describe=describe,
                is_transient=lambda _: 0.0,
                policy=RetryPolicy(attempts=2, budget_seconds=1.0, base_delay=0.01, max_delay=0.01),
            )
        )

    assert str(exhausted.value).startswith(f"{describe}: still failing after 2 tries in ")
    assert "(last error: HTTP 503 busy; the next backoff was " in str(exhausted.value)
    assert str(exhausted.value).count(describe) == 1
