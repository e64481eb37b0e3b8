"""A user signing in through the broker again and again while the test changes things around it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

from sandbox.common.oidc_issuer import SANDBOX_USER_PASSWORD
from ssoprov.verify_login import LoginReport, verify_login


@contextmanager
def signing_in_with(attempt: Callable[[], LoginReport]) -> Iterator[list[LoginReport]]:
    """Run `attempt` (one whole sign-in) in a loop for as long as the block runs; yields the
    reports so far."""
    results: list[LoginReport] = []
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            results.append(attempt())

    signer = threading.Thread(target=loop)
    signer.start()
    try:
        yield results
    finally:
        stop.set()
        signer.join()


def signing_in(
    broker_url: str, realm: str, alias: str, login: str
) -> AbstractContextManager[list[LoginReport]]:
    """Sign `login` in through a Keycloak identity provider, in a loop, for as long as the block runs."""
    return signing_in_with(
        lambda: verify_login(broker_url, realm, alias, login=login, password=SANDBOX_USER_PASSWORD)
    )
