"""Wall time of `pulumi up` for one organization per identity provider against a plain script
doing the minimal calls.

Entra ID: app registration, client secret, enterprise app (service principal), 2 group and
1 user assignments; Okta: app, 3 group assignments, groups claim; each with a Keycloak broker
(the realm roles, the identity provider, 3 mappers). Every stand-in call and every Keycloak call
is answered late by each of LATENCIES_SECONDS in turn (an ASGI wrapper around the stand-ins, a
delaying proxy in front of Keycloak): the larger the latency, the more the calls that overlap
count and the less the fixed cost of starting the engine does. The plain script
(`benchmarks/direct.py`) uses the same clients and runs in its own interpreter, as `pulumi up`
does; both onboard a fresh organization into a fresh realm.
Runs alternate, RUNS of each per identity provider.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from benchmarks import direct
from benchmarks.report import REPO
from benchmarks.wiring import Bench, bench, new_realm, run_pulumi
from sandbox.environment import LocalSandbox
from tests.integration.organizations import entra_organization, okta_organization

LATENCIES_SECONDS = (0.1, 0.3)
RUNS = 3


@dataclass(frozen=True)
class IdentityProvider:
    name: str
    service: str
    """Its API's name in `Bench.take_calls`."""
    organization: Callable[[LocalSandbox, str, str], dict[str, Any]]
    """(sandbox, realm, name) -> the spec of one organization with a Keycloak broker."""


IDENTITY_PROVIDERS = {
    "entra": IdentityProvider("Entra ID", "Graph", entra_organization),
    "okta": IdentityProvider("Okta", "Okta", okta_organization),
}


def calls_made(running: Bench, kind: str) -> int:
    """Calls to the IdP and to Keycloak since the last take."""
    calls = running.take_calls()
    return len(calls[IDENTITY_PROVIDERS[kind].service]) + len(calls["Keycloak"])


def time_pulumi_up(running: Bench, kind: str, run: int) -> tuple[float, int]:
    realm = new_realm(running, f"overhead-{kind}-pulumi-{run}")
    project = running.project(kind, realm, f"pulumi{kind}{run}")
    running.take_calls()
    started = time.monotonic()
    run_pulumi(project, "up", "--yes", "--skip-preview")
    seconds = time.monotonic() - started
    calls = calls_made(running, kind)
    project.stack.destroy()
    return seconds, calls


def time_direct(running: Bench, kind: str, run: int) -> tuple[float, int]:
    realm = new_realm(running, f"overhead-{kind}-direct-{run}")
    organization = IDENTITY_PROVIDERS[kind].organization(running.sandbox, realm, f"direct{kind}{run}")
    organization["broker"]["url"] = running.keycloak_url
    env = {
        **os.environ,
        **running.sandbox.engine_env(),
        direct.SETTINGS_VARIABLE: direct.settings(organization),
        "PYTHONPATH": str(REPO),
    }
    running.take_calls()
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "benchmarks.direct"], cwd=REPO, env=env, check=True, timeout=300)
    seconds = time.monotonic() - started
    return seconds, calls_made(running, kind)


def measure(running: Bench, kind: str) -> None:
    pulumi_runs, direct_runs = [], []
    for number in range(RUNS):
        pulumi_runs.append(time_pulumi_up(running, kind, number))
        direct_runs.append(time_direct(running, kind, number))
    print(f"   {IDENTITY_PROVIDERS[kind].name}")
    for label, runs in (("pulumi up", pulumi_runs), ("plain script", direct_runs)):
        times = ", ".join(f"{seconds:.1f}s" for seconds, _ in runs)
        median = statistics.median(s for s, _ in runs)
        print(f"     {label:<13} median {median:5.1f}s  ({times}); calls {runs[0][1]}")
    ratio = statistics.median(s for s, _ in pulumi_runs) / statistics.median(s for s, _ in direct_runs)
    print(f"     ratio pulumi up / plain script: x{ratio:.1f}")


def run() -> None:
    for latency in LATENCIES_SECONDS:
        print(
            "== overhead: one organization created per identity provider, "
            f"{latency * 1000:.0f} ms added to every API call"
        )
        with bench(latency) as running:
            for kind in IDENTITY_PROVIDERS:
                measure(running, kind)
