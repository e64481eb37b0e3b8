"""Admin tokens shared by every KeycloakAdminClient of the process, against a counting stub.

Each `provider_call` builds a client in an event loop of its own, as a Pulumi provider call
does; several of them run at once from threads, as the provider's thread pool runs them.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from ssoprov.brokers.keycloak.client import AdminTokenStore, KeycloakAdminClient
from ssoprov.errors import ApiError
from ssoprov.retry import RetryPolicy

FAST = RetryPolicy(attempts=4, budget_seconds=5.0, base_delay=0.01, max_delay=0.02)
BASE = "http://keycloak.test"
ADMIN = {"username": "admin", "password": "admin-pw"}
THREADS = 8


class StubKeycloak:
    """Grants tokens (counted) and answers admin calls: 200 for a token it issued, else 401.

    `lifetimes` gives the expires_in of each grant in turn (the last one for the rest);
    `refresh_refused` answers refresh grants as Keycloak does once the session has lapsed;
    `accepting` False refuses every token, `valid.clear()` the ones issued so far.
    """

    def __init__(self, *, lifetimes: tuple[int, ...] = (300,), grant_seconds: float = 0.0) -> None:
        self.lifetimes = list(lifetimes)
        self.grant_seconds = grant_seconds
        self.refresh_refused = False
        self.accepting = True
        self.grants: list[dict[str, str]] = []
        self.calls: list[str] = []
        self.valid: set[str] = set()
        self._lock = threading.Lock()

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/protocol/openid-connect/token"):
            await asyncio.sleep(self.grant_seconds)  # time for other threads to ask meanwhile
            form = dict(httpx.QueryParams(request.content.decode()))
            with self._lock:
                self.grants.append({"host": request.url.host, "path": request.url.path} | form)
                if self.refresh_refused and form["grant_type"] == "refresh_token":
                    return httpx.Response(
                        400, json={"error": "invalid_grant", "error_description": "Session not active"}
                    )
                number = len(self.grants)
                expires_in = self.lifetimes.pop(0) if len(self.lifetimes) > 1 else self.lifetimes[0]
                self.valid.add(f"token-{number}")
            return httpx.Response(
                200,
                json={
                    "access_token": f"token-{number}",
                    "expires_in": expires_in,
                    "refresh_token": f"refresh-{number}",
                    "refresh_expires_in": 1800,
                },
            )
        token = request.headers["Authorization"].removeprefix("Bearer ")
        with self._lock:
            self.calls.append(token)
            allowed = self.accepting and token in self.valid
        return httpx.Response(200, json=[]) if allowed else httpx.Response(401)

    def grant_types(self) -> list[str]:
        return [grant["grant_type"] for grant in self.grants]


def provider_call(stub: StubKeycloak, base: str = BASE, **credentials: str) -> None:
    """One admin call by a new client in a new event loop, like one Pulumi provider call."""

    async def main() -> None:
        async with KeycloakAdminClient(
            base, policy=FAST, transport=httpx.MockTransport(stub), **(credentials or ADMIN)
        ) as client:
            await client.list_realm_roles("sso")

    asyncio.run(main())


def at_once(call: Callable[[], None], threads: int = THREADS) -> None:
    """`call` from several threads, released together; re-raises the first failure."""
    start = threading.Barrier(threads)

    def released() -> None:
        start.wait()
        call()

    with ThreadPoolExecutor(threads) as pool:
        for future in [pool.submit(released) for _ in range(threads)]:
            future.result()


def test_clients_of_one_process_sign_in_once() -> None:
    stub = StubKeycloak(grant_seconds=0.2)
    at_once(lambda: provider_call(stub))  # all of them find no token at first
    provider_call(stub)
    provider_call(stub)
    assert stub.grant_types() == ["password"]
    assert stub.calls == ["token-1"] * (THREADS + 2)


def test_two_clients_in_one_event_loop_share_a_grant() -> None:
    """A waiter must not block its thread: the grant it waits for may run in the same loop."""
    stub = StubKeycloak(grant_seconds=0.2)

    async def main() -> None:
        async def one() -> None:
            async with KeycloakAdminClient(
                BASE, policy=FAST, transport=httpx.MockTransport(stub), **ADMIN
            ) as client:
                await client.list_realm_roles("sso")

        await asyncio.gather(one(), one())

    loop_thread = threading.Thread(target=lambda: asyncio.run(main()), daemon=True)
    loop_thread.start()
    loop_thread.join(timeout=5)
    assert not loop_thread.is_alive(), "the two clients deadlocked on the grant"
    assert stub.grant_types() == ["password"]
    assert stub.calls == ["token-1", "token-1"]


def test_an_expired_token_is_refreshed_once_for_everyone() -> None:
    # The first token expires within the refresh margin: stale as soon as it is stored.
    stub = StubKeycloak(lifetimes=(10, 300), grant_seconds=0.2)
    provider_call(stub)
    at_once(lambda: provider_call(stub))
    provider_call(stub)
    assert stub.grant_types() == ["password", "refresh_token"]
    assert stub.grants[1]["refresh_token"] == "refresh-1"
    assert stub.calls == ["token-1"] + ["token-2"] * (THREADS + 1)


def test_a_lapsed_session_falls_back_to_a_full_grant() -> None:
    stub = StubKeycloak(lifetimes=(10, 300))
    stub.refresh_refused = True
    provider_call(stub)
    provider_call(stub)
    assert stub.grant_types() == ["password", "refresh_token", "password"]
    assert stub.calls == ["token-1", "token-3"]


def test_a_401_makes_one_fresh_grant_that_later_clients_share() -> None:
    stub = StubKeycloak(grant_seconds=0.2)
    provider_call(stub)
    stub.valid.clear()  # token-1 revoked (or expired early) in Keycloak
    at_once(lambda: provider_call(stub))  # every thread gets a 401 or waits for the new grant
    provider_call(stub)
    assert stub.grant_types() == ["password", "password"]
    assert stub.calls.count("token-2") == THREADS + 1


def test_a_second_401_is_final() -> None:
    stub = StubKeycloak()
    stub.accepting = False
    with pytest.raises(ApiError, match="listing realm roles of realm sso: HTTP 401"):
        provider_call(stub)
    assert (stub.grant_types(), stub.calls) == (["password", "password"], ["token-1", "token-2"])


def test_other_servers_realms_and_credentials_get_their_own_tokens(
    admin_tokens: AdminTokenStore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    stub = StubKeycloak()
    sign_ins: list[tuple[str, dict[str, str]]] = [
        (BASE, ADMIN),
        ("http://other-keycloak.test", ADMIN),
        (BASE, {"username": "admin", "password": "another-pw"}),
        (BASE, {"username": "ops", "password": "admin-pw"}),
        (BASE, {**ADMIN, "auth_realm": "sso"}),
        (BASE, {"client_id": "admin-cli", "client_secret": "admin-pw"}),
        (BASE, {"client_id": "admin-cli", "client_secret": "another-secret"}),
    ]
    for _ in range(2):
        for base, credentials in sign_ins:
            provider_call(stub, base, **credentials)
    assert len(stub.grants) == len(sign_ins)  # one each, reused the second time round
    assert stub.calls == [f"token-{n}" for n in range(1, len(sign_ins) + 1)] * 2
    assert [(grant["host"], grant["path"], grant["grant_type"]) for grant in stub.grants] == [
        ("keycloak.test", "/realms/master/protocol/openid-connect/token", "password"),
        ("other-keycloak.test", "/realms/master/protocol/openid-connect/token", "password"),
        ("keycloak.test", "/realms/master/protocol/openid-connect/token", "password"),
        ("keycloak.test", "/realms/master/protocol/openid-connect/token", "password"),
        ("keycloak.test", "/realms/sso/protocol/openid-connect/token", "password"),
        ("keycloak.test", "/realms/master/protocol/openid-connect/token", "client_credentials"),
        ("keycloak.test", "/realms/master/protocol/openid-connect/token", "client_credentials"),
    ]
    # Neither the store's keys nor its tokens show a secret or a token, and nothing was logged.
    shown = repr(admin_tokens._tokens) + caplog.text
    for value in ("admin-pw", "another-pw", "another-secret", "token-", "refresh-"):
        assert value not in shown
