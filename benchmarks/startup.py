"""Import time of the program and of the provider-side modules, against a bare `import pulumi`.

Each module is imported in a fresh interpreter (the way the language host and each dynamic
provider process start), several times; the median is printed with its ratio to `import pulumi`.
"""

from __future__ import annotations

import statistics
import subprocess
import sys

from benchmarks.report import REPO

MODULES = {
    "pulumi (baseline)": "pulumi",
    "program: ssoprov.program": "ssoprov.program",
    "program: ssoprov.organization": "ssoprov.organization",
    "provider: ssoprov.entra.graph_client": "ssoprov.entra.graph_client",
    "provider: ssoprov.okta.okta_client": "ssoprov.okta.okta_client",
    "provider: ssoprov.brokers.keycloak.client": "ssoprov.brokers.keycloak.client",
    "provider: okta SDK (deferred until first Okta call)": "okta.client",
}
RUNS = 5


def import_seconds(module: str) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    return float(done.stdout.strip())


def run() -> None:
    print(f"== start-up: import time in a fresh interpreter, median of {RUNS} runs")
    medians = {
        label: statistics.median(import_seconds(m) for _ in range(RUNS)) for label, m in MODULES.items()
    }
    baseline = medians["pulumi (baseline)"]
    for label, seconds in medians.items():
        print(f"   {label:<58} {seconds * 1000:8.0f} ms   x{seconds / baseline:5.2f} of import pulumi")
