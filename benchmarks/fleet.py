"""Fleet scaling: wall time, CPU and peak memory of `ssoprov` over 10, 50 and 200 organizations.

Each size gets a fresh fleet in a throwaway git project: organizations generated as tests/fleet
generates them (Entra, Okta and generic OIDC in turn, each with a Keycloak connection), in a
realm of their own on the sandbox's real Keycloak, state on a local file backend. `ssoprov` runs
in it as a user runs it (its own process): the first `up` (everything created), a no-op
`preview`, a no-op `up` (both answered from the settled records the first `up` left, no Pulumi
started: components/fleet/settled.py), then the same two with `--full` (a Pulumi CLI per stack, as
when a record cannot answer). The stacks are then destroyed through the Automation API and the
realm deleted. On the smallest fleet the no-op `preview --full` is repeated at each --parallel of
a sweep. Before the first fleet, an unmeasured up and destroy of six organizations warms
Keycloak's JVM up (`warm_up`).

Printed per run: wall time and CPU time (of ssoprov and the processes it started and reaped),
per organization too; peak RSS and PSS summed over ssoprov's process tree (benchmarks/
fleet_memory.py); the most processes and Pulumi CLIs in it at once; API calls to Graph, Okta and
Keycloak; the load average when the run ended. Then every size against the smallest as the
baseline, and memory against --parallel.

    python -m benchmarks fleet                     # 10, 50, 200 organizations, --parallel 4
    SSOPROV_BENCH_FLEET_SIZES=10 python -m benchmarks fleet
    python -m benchmarks.fleet --sizes 10,50 --parallel 4 --sweep 1,2,4,8
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from pulumi import automation as auto

from benchmarks.fleet_memory import PeakMemory, TreeSample
from benchmarks.report import children_cpu, machine_line
from benchmarks.wiring import Bench, bench, new_realm
from sandbox.keycloak import KEYCLOAK_VERSION
from ssoprov.brokers.keycloak.client import from_environment
from ssoprov.cli import build_parser
from ssoprov.errors import NotFoundError
from ssoprov.fleet.report import format_table
from tests.fleet.fleet import FleetProject, SealedSecret, seal_secret
from tests.fleet.test_fleet_sandbox import organization

SIZES_VARIABLE = "SSOPROV_BENCH_FLEET_SIZES"
PARALLEL_VARIABLE = "SSOPROV_BENCH_FLEET_PARALLEL"
SWEEP_VARIABLE = "SSOPROV_BENCH_FLEET_SWEEP"
DEFAULT_SIZES = "10,50,200"
DEFAULT_SWEEP = "1,2,4,8"
WARM_UP_SIZE = 6
"""Organizations of the unmeasured fleet that warms Keycloak up (two of each kind)."""
TOOL_PARALLEL: int = build_parser().parse_args(["up"]).parallel
"""ssoprov's own --parallel default."""
KINDS = ("entra", "okta", "oidc")
CHANGE_KEYS = ("created", "updated", "replaced", "deleted", "unchanged")
SERVICES = ("Graph", "Okta", "Keycloak")
RUNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("up, first", ("up",)),
    ("preview, no-op", ("preview",)),
    ("up, no-op", ("up",)),
    ("preview --full, no-op", ("preview", "--full")),
    ("up --full, no-op", ("up", "--full")),
)
"""The no-op runs as a user runs them (settled stacks answered without Pulumi), then with --full:
Pulumi started for every stack, what each no-op costs when the shortcut cannot answer."""
SWEEP_RUN = ("preview, no-op --full (sweep)", ("preview", "--full"))
MIB = 1024 * 1024


@dataclass(frozen=True)
class Settings:
    """What to measure; sizes and sweep in ascending order, without repeats."""

    sizes: tuple[int, ...]
    parallel: int
    sweep: tuple[int, ...]
    """--parallel values for the no-op preview --full of the smallest fleet; empty: no sweep."""


@dataclass
class Measured:
    label: str
    size: int
    parallel: int
    wall: float
    cpu: float
    succeeded: int
    changes: dict[str, int]
    peak: TreeSample | None = None
    """None where nothing was sampled (the destroy runs in this process)."""
    calls: dict[str, int] = field(default_factory=dict)
    load: float = 0.0
    problems: list[str] = field(default_factory=list)


def numbers(text: str, what: str) -> tuple[int, ...]:
    """`10,50,200` -> (10, 50, 200)."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not all(part.isdigit() and int(part) >= 1 for part in parts):
        raise SystemExit(f"{what} {text!r}: give whole numbers of at least 1, comma separated, e.g. 10,50")
    return tuple(int(part) for part in parts)


def settings_from(environ: Mapping[str, str]) -> Settings:
    sizes = numbers(environ.get(SIZES_VARIABLE, DEFAULT_SIZES), SIZES_VARIABLE)
    parallel = numbers(environ.get(PARALLEL_VARIABLE, str(TOOL_PARALLEL)), PARALLEL_VARIABLE)
    if not sizes or len(parallel) != 1:
        raise SystemExit(
            f"give at least one fleet size ({SIZES_VARIABLE}) and one --parallel ({PARALLEL_VARIABLE})"
        )
    sweep = numbers(environ.get(SWEEP_VARIABLE, DEFAULT_SWEEP), SWEEP_VARIABLE)
    return Settings(tuple(sorted(set(sizes))), parallel[0], tuple(sorted(set(sweep))))


def stack_names(size: int) -> list[str]:
    """org001-entra, org002-okta, org003-oidc, org004-entra, ..."""
    return [f"org{index:03d}-{KINDS[(index - 1) % len(KINDS)]}" for index in range(1, size + 1)]


def new_fleet(
    running: Bench, sealed: SealedSecret, size: int, name: str = "fleet"
) -> tuple[FleetProject, str]:
    realm = new_realm(running, f"{name}-{size}")
    project = FleetProject.create(running.root / f"{name}-{size}", sealed, running.sandbox.engine_env())
    for name in stack_names(size):
        spec = organization(running.sandbox, name)
        # Through the counting proxy, as the other benchmarks do, into this fleet's realm.
        spec["broker"] |= {"url": running.keycloak_url, "realm": realm}
        project.write_stack(name, spec)
    return project, realm


def wait(process: subprocess.Popen[bytes], timeout: float) -> int:
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGINT)  # ssoprov lets the stacks in flight finish, then exits
        process.wait(timeout=600)
        raise


def tail_of(error: str) -> str:
    """The end of an error on one line: a traceback's last words name what went wrong."""
    return " ".join(error.split())[-200:]


def run_ssoprov(
    running: Bench, project: FleetProject, label: str, command: Sequence[str], size: int, parallel: int
) -> Measured:
    """`ssoprov COMMAND --parallel N` in the fleet's project, its process tree sampled while it runs."""
    slug = re.sub(r"\W+", "-", label).strip("-") + f"-p{parallel}"
    logs = project.root.parent / f"{project.root.name}-runs"
    logs.mkdir(exist_ok=True)
    report = logs / f"{slug}.json"
    argv = [sys.executable, "-m", "ssoprov.cli", *command, "--parallel", str(parallel)]
    argv += ["--progress", "plain", "--json-report", str(report)]
    print(f"fleet: {label} over {size} organizations, --parallel {parallel} ...", file=sys.stderr, flush=True)
    with (logs / f"{slug}.out").open("wb") as out, (logs / f"{slug}.err").open("wb") as err:
        running.take_calls()
        cpu = children_cpu()
        started = time.monotonic()
        process = subprocess.Popen(argv, cwd=project.root, env=project.process_env(), stdout=out, stderr=err)
        with PeakMemory(process.pid) as peak:
            code = wait(process, timeout=300 + 30 * size)
        wall = time.monotonic() - started
    cpu = children_cpu() - cpu
    calls = {service: len(logged) for service, logged in running.take_calls().items()}
    if not report.exists():
        tail = (logs / f"{slug}.err").read_text(errors="replace").strip().splitlines()[-5:]
        problems = [f"ssoprov exited {code} without a report: " + " | ".join(tail)]
        return Measured(
            label, size, parallel, wall, cpu, 0, {}, peak.highest, calls, os.getloadavg()[0], problems
        )
    document = json.loads(report.read_text())
    totals = document["totals"]
    problems = [
        f"{entry['stack']} {entry['status']}: {tail_of(' '.join(entry['errors'][:1]))}"
        for entry in document["stacks"]
        if entry["status"] != "succeeded"
    ]
    return Measured(
        label,
        size,
        parallel,
        wall,
        cpu,
        totals.get("succeeded", 0),
        {key: totals[key] for key in CHANGE_KEYS},
        peak.highest,
        calls,
        os.getloadavg()[0],
        problems,
    )


def destroy(project: FleetProject, size: int, parallel: int) -> Measured:
    """Every stack of the fleet destroyed through the Automation API, `parallel` at a time."""

    def one(name: str) -> tuple[int, str]:
        try:
            result = project.stack(name).destroy(color="never")
        except auto.CommandError as exc:
            return 0, f"{name}: {tail_of(str(exc))}"
        return (result.summary.resource_changes or {}).get("delete", 0), ""

    print(f"fleet: destroying {size} stacks, {parallel} at a time ...", file=sys.stderr, flush=True)
    cpu = children_cpu()
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="destroy") as pool:
        done = list(pool.map(one, stack_names(size)))
    wall = time.monotonic() - started
    problems = [problem for _, problem in done if problem]
    deleted = sum(count for count, _ in done)
    return Measured(
        "destroy (Automation API)",
        size,
        parallel,
        wall,
        children_cpu() - cpu,
        size - len(problems),
        {"deleted": deleted},
        load=os.getloadavg()[0],
        problems=problems,
    )


def warm_up(running: Bench, sealed: SealedSecret, parallel: int) -> None:
    """An up and a destroy of a small fleet, unmeasured, before the measured ones.

    Keycloak starts with the benchmark, and its JVM compiles its hot paths during the first runs
    that call it, on the same cores as ssoprov: the first `up` measured against a cold Keycloak
    used up to a third more CPU than the same `up` a minute later (and varied run to run)."""
    project, realm = new_fleet(running, sealed, WARM_UP_SIZE, name="warm-up")
    run_ssoprov(running, project, "warm-up (not measured): up", ("up",), WARM_UP_SIZE, parallel)
    destroy(project, WARM_UP_SIZE, parallel)
    identity_providers(running, realm, WARM_UP_SIZE, delete_realm=True)


def identity_providers(running: Bench, realm: str, size: int, *, delete_realm: bool = False) -> int:
    """How many of the fleet's connections the realm holds, read one by one (Keycloak's list of
    identity providers stops at its first page, 100); with `delete_realm`, the realm is deleted after."""

    async def count() -> int:
        async with from_environment(running.sandbox.keycloak_url, running.sandbox.engine_env()) as admin:
            found = 0
            for alias in stack_names(size):
                try:
                    await admin.get_identity_provider(realm, alias)
                except NotFoundError:
                    continue
                found += 1
            if delete_realm:
                await admin.delete_realm(realm)
            return found

    return asyncio.run(count())


def mib(value: int) -> str:
    return f"{value / MIB:,.0f} MiB"


def changes_text(changes: Mapping[str, int]) -> str:
    return ", ".join(f"{count} {key}" for key, count in changes.items() if count) or "none"


def run_table(runs: Sequence[Measured]) -> str:
    headers = (
        "run",
        "parallel",
        "ok",
        "resources",
        "wall",
        "s/org",
        "CPU",
        "CPU/org",
        "peak RSS",
        "peak PSS",
        "procs",
        "CLIs",
        "calls G/O/K",
        "load",
    )
    rows = []
    for run in runs:
        peak = run.peak
        rows.append(
            [
                run.label,
                run.parallel,
                f"{run.succeeded}/{run.size}",
                changes_text(run.changes),
                f"{run.wall:.1f}s",
                f"{run.wall / run.size:.2f}",
                f"{run.cpu:.0f}s",
                f"{run.cpu / run.size:.2f}",
                mib(peak.rss_bytes) if peak else "-",
                mib(peak.pss_bytes) if peak else "-",
                peak.processes if peak else "-",
                peak.engines if peak else "-",
                "/".join(str(run.calls[service]) for service in SERVICES) if run.calls else "-",
                f"{run.load:.1f}",
            ]
        )
    return format_table(headers, rows, right=range(1, 14))


def growth_table(runs: Sequence[Measured]) -> str:
    """Each run at each size against the same run at the smallest size."""
    headers = (
        "run",
        "orgs",
        "wall",
        "x wall",
        "s/org",
        "x s/org",
        "CPU/org",
        "x CPU/org",
        "peak RSS",
        "x RSS",
        "peak PSS",
        "x PSS",
    )
    rows = []
    for label, _ in RUNS:
        same = sorted((run for run in runs if run.label == label), key=lambda run: run.size)
        base = same[0]
        assert base.peak is not None
        for run in same:
            assert run.peak is not None
            rows.append(
                [
                    label,
                    run.size,
                    f"{run.wall:.1f}s",
                    f"x{run.wall / base.wall:.2f}",
                    f"{run.wall / run.size:.2f}",
                    f"x{(run.wall / run.size) / (base.wall / base.size):.2f}",
                    f"{run.cpu / run.size:.2f}",
                    f"x{(run.cpu / run.size) / (base.cpu / base.size):.2f}",
                    mib(run.peak.rss_bytes),
                    f"x{run.peak.rss_bytes / base.peak.rss_bytes:.2f}",
                    mib(run.peak.pss_bytes),
                    f"x{run.peak.pss_bytes / base.peak.pss_bytes:.2f}",
                ]
            )
    return format_table(headers, rows, right=range(1, 12))


def sweep_table(runs: Sequence[Measured]) -> str:
    """The same no-op preview --full at each --parallel; memory added per extra stack in flight."""
    headers = (
        "parallel",
        "wall",
        "x wall",
        "CPU",
        "peak RSS",
        "peak PSS",
        "procs",
        "CLIs",
        "PSS per +1 parallel",
    )
    rows = []
    previous: Measured | None = None
    for run in runs:
        assert run.peak is not None
        step = "-"
        if previous is not None and previous.peak is not None:
            added = (run.peak.pss_bytes - previous.peak.pss_bytes) / (run.parallel - previous.parallel)
            step = f"{added / MIB:+,.0f} MiB"
        rows.append(
            [
                run.parallel,
                f"{run.wall:.1f}s",
                f"x{run.wall / runs[0].wall:.2f}",
                f"{run.cpu:.0f}s",
                mib(run.peak.rss_bytes),
                mib(run.peak.pss_bytes),
                run.peak.processes,
                run.peak.engines,
                step,
            ]
        )
        previous = run
    return format_table(headers, rows, right=range(9))


def indent(text: str) -> str:
    return "\n".join(f"   {line}" for line in text.splitlines())


def print_problems(runs: Sequence[Measured]) -> None:
    for run in runs:
        if run.problems:
            print(f"   {run.label} (parallel {run.parallel}): {len(run.problems)} problem(s), first ones:")
            for problem in run.problems[:5]:
                print(f"     {problem}")


def measure(settings: Settings) -> None:
    sizes = ", ".join(map(str, settings.sizes))
    print(
        f"== fleet: ssoprov over {sizes} organizations (Entra, Okta, generic OIDC in turn -> Keycloak "
        f"{KEYCLOAK_VERSION}), --parallel {settings.parallel} (ssoprov's default: {TOOL_PARALLEL})"
    )
    print(
        "   wall and CPU seconds of ssoprov and every process it starts; peak RSS / PSS summed over that "
        "process tree (sampled every 0.2 s); procs / CLIs: most processes / Pulumi CLIs in it at once; "
        "calls: API calls to the Graph / Okta stand-ins and Keycloak (through a counting proxy); load: "
        "1-minute load average at the end"
    )
    main_runs: list[Measured] = []
    sweep_runs: list[Measured] = []
    smallest = min(settings.sizes)
    with bench() as running:
        # One passphrase and one sealed client secret for the generic OIDC stacks of every fleet.
        sealed = seal_secret(running.root / "seal", secrets.token_urlsafe(18), secrets.token_urlsafe(18))
        warm_up(running, sealed, settings.parallel)
        for size in settings.sizes:
            project, realm = new_fleet(running, sealed, size)
            runs = [
                run_ssoprov(running, project, label, command, size, settings.parallel)
                for label, command in RUNS
            ]
            main_runs += runs
            if size == smallest:
                sweep_runs = [
                    run_ssoprov(running, project, *SWEEP_RUN, size, parallel) for parallel in settings.sweep
                ]
            providers = identity_providers(running, realm, size)
            assert running.sandbox.keycloak is not None
            keycloak_rss = running.sandbox.keycloak.rss_bytes()
            removed = destroy(project, size, settings.parallel)
            left = identity_providers(running, realm, size, delete_realm=True)
            print(f"-- {size} organizations ({machine_line()})")
            print(indent(run_table([*runs, removed])))
            print_problems([*runs, removed])
            print(
                f"   Keycloak (not in the tree): {providers} of {size} connections in realm {realm} after "
                f"the runs, RSS {mib(keycloak_rss)}; after destroy {left} left, realm deleted"
            )
    if len(settings.sizes) > 1:
        print(f"-- growth against {smallest} organizations (same run, same --parallel {settings.parallel})")
        print(indent(growth_table(main_runs)))
    if sweep_runs:
        print(f"-- memory against --parallel: no-op preview --full of {smallest} organizations")
        print(indent(sweep_table(sweep_runs)))
        print_problems(sweep_runs)


def run() -> None:
    measure(settings_from(os.environ))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fleet", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", help=f"fleet sizes (default ${SIZES_VARIABLE}, else {DEFAULT_SIZES})")
    parser.add_argument(
        "--parallel", help=f"ssoprov --parallel (default ${PARALLEL_VARIABLE}, else {TOOL_PARALLEL})"
    )
    parser.add_argument(
        "--sweep",
        help=f"--parallel values for the memory sweep, '' for none (default ${SWEEP_VARIABLE}, "
        f"else {DEFAULT_SWEEP})",
    )
    args = parser.parse_args()
    given = {
        variable: value
        for variable, value in (
            (SIZES_VARIABLE, args.sizes),
            (PARALLEL_VARIABLE, args.parallel),
            (SWEEP_VARIABLE, args.sweep),
        )
        if value is not None
    }
    print(machine_line())
    measure(settings_from({**os.environ, **given}))
    print(machine_line())


if __name__ == "__main__":
    main()
