"""Wall time of `pulumi up` for one Okta organization against a plain script doing the minimal calls.

Every stand-in call and every Keycloak call is answered LATENCY_SECONDS late (an ASGI wrapper
around the stand-ins, a delaying proxy in front of Keycloak). The plain script
(`benchmarks/direct.py`) uses the same clients and runs in its own interpreter, as `pulumi up`
does; both onboard a fresh organization into a fresh realm. Runs alternate, RUNS of each.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

from benchmarks import direct
from benchmarks.report import REPO
from benchmarks.wiring import Bench, bench, new_realm
from tests.integration.organizations import okta_organization

LATENCY_SECONDS = 0.1
RUNS = 3


def time_pulumi_up(running: Bench, run: int) -> tuple[float, int]:
    realm = new_realm(running, f"overhead-pulumi-{run}")
    project = running.project("okta", realm, f"pulumi{run}")
    running.take_calls()
    started = time.monotonic()
    project.stack.up(show_secrets=False)
    seconds = time.monotonic() - started
    calls = running.take_calls()
    project.stack.destroy()
    return seconds, len(calls["Okta"]) + len(calls["Keycloak"])


def time_direct(running: Bench, run: int) -> tuple[float, int]:
    realm = new_realm(running, f"overhead-direct-{run}")
    organization = okta_organization(running.sandbox, realm, f"direct{run}")
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
    calls = running.take_calls()
    return seconds, len(calls["Okta"]) + len(calls["Keycloak"])


def run() -> None:
    print(
        f"== overhead: one Okta organization created, {LATENCY_SECONDS * 1000:.0f} ms added to every API call"
    )
    pulumi_runs, direct_runs = [], []
    with bench(LATENCY_SECONDS) as running:
        for number in range(RUNS):
            pulumi_runs.append(time_pulumi_up(running, number))
            direct_runs.append(time_direct(running, number))
    for label, runs in (("pulumi up", pulumi_runs), ("plain script", direct_runs)):
        times = ", ".join(f"{seconds:.1f}s" for seconds, _ in runs)
        median = statistics.median(s for s, _ in runs)
        print(f"   {label:<13} median {median:5.1f}s  ({times}); calls {runs[0][1]}")
    ratio = statistics.median(s for s, _ in pulumi_runs) / statistics.median(s for s, _ in direct_runs)
    print(f"   ratio pulumi up / plain script: x{ratio:.1f}")
