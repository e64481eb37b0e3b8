"""Where the wall time and the CPU of one `pulumi up` and one no-op `pulumi preview` go.

For one Entra ID and one Okta organization (the overhead benchmark's shapes, the same latency on
every API call), the run's Python processes carry a probe (`benchmarks/probe/sitecustomize.py`):
it stamps each dynamic-provider call and each process's CPU, and Python's own import timing
(PYTHONPROFILEIMPORTTIME) is collected per process. The CPU of the whole run is what its processes
used (the CLI, the language host, the program, the provider), read from this process's
children's rusage; what the Python processes do not account for is the Go side: the CLI's engine
and the language host.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.overhead import IDENTITY_PROVIDERS, LATENCIES_SECONDS
from benchmarks.report import REPO, children_cpu
from benchmarks.wiring import Bench, bench, new_realm, run_pulumi

PROBE = Path(__file__).parent / "probe"
IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|\s+\d+ \|\s*(\S+)")
PROGRAM_MARK = "pulumi-language-python-exec"
TOP_PACKAGES = 6
LATENCY_SECONDS = LATENCIES_SECONDS[0]
"""The overhead benchmark's smallest latency, where the engine's own cost weighs most."""


@dataclass
class PythonProcess:
    """One Python process of the run, as its probe lines and its import timings describe it."""

    pid: int
    start: float = 0.0
    end: float = 0.0
    cpu: float = 0.0
    argv: list[str] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)
    imports: Counter[str] = field(default_factory=Counter)
    """Seconds each top-level package's own imports took (Python's `-X importtime` self time)."""

    @property
    def role(self) -> str:
        if self.calls:
            return "provider"
        return "program" if any(PROGRAM_MARK in arg for arg in self.argv) else "other"


@dataclass
class Run:
    """One timed CLI command: its wall interval, its processes' CPU, and the Python processes' traces."""

    started: float
    ended: float
    cpu: float
    processes: list[PythonProcess]
    api_calls: dict[str, int]

    def of_role(self, role: str) -> list[PythonProcess]:
        return [process for process in self.processes if process.role == role]


def read_processes(trace: Path) -> list[PythonProcess]:
    processes: dict[int, PythonProcess] = {}
    if trace.exists():
        for line in trace.read_text().splitlines():
            record = json.loads(line)
            process = processes.setdefault(record["pid"], PythonProcess(record["pid"]))
            if record["event"] == "call":
                process.calls.append(record)
                process.start = record["process_start"]
                process.end = max(process.end, record["end"])
                process.cpu = max(process.cpu, record["cpu"])
            else:
                process.start, process.end, process.cpu = record["start"], record["end"], record["cpu"]
                process.argv = record["argv"]
    for imports in trace.parent.glob(f"{trace.name}.*.imports"):
        pid = int(imports.name.removeprefix(f"{trace.name}.").removesuffix(".imports"))
        process = processes.setdefault(pid, PythonProcess(pid))
        for line in imports.read_text(errors="replace").splitlines():
            if match := IMPORT_LINE.match(line):
                process.imports[match[2].split(".")[0]] += int(match[1]) / 1e6
    return list(processes.values())


def traced(running: Bench, trace: Path, command: Callable[[], object]) -> Run:
    """Run one CLI command with the probe on, and gather what it left."""
    for old in trace.parent.glob(f"{trace.name}*"):
        old.unlink()
    running.take_calls()
    cpu_before, started = children_cpu(), time.time()
    command()
    ended, cpu = time.time(), children_cpu() - cpu_before
    calls = {service: len(made) for service, made in running.take_calls().items() if made}
    return Run(started, ended, cpu, read_processes(trace), calls)


def busy_seconds(intervals: Iterable[tuple[float, float]]) -> float:
    """The length of the union of the intervals: wall time during which at least one ran."""
    total, reach = 0.0, float("-inf")
    for start, end in sorted(intervals):
        if end > reach:
            total += end - max(start, reach)
            reach = end
    return total


def top_imports(processes: list[PythonProcess]) -> str:
    imports: Counter[str] = Counter()
    for process in processes:
        imports.update(process.imports)
    shown = ", ".join(f"{package} {seconds:.2f}" for package, seconds in imports.most_common(TOP_PACKAGES))
    return f"{sum(imports.values()):.2f} s ({shown})"


def print_run(title: str, run: Run, timeline: bool = False) -> None:
    wall = run.ended - run.started
    programs, providers = run.of_role("program"), run.of_role("provider")
    python_cpu = sum(process.cpu for process in run.processes)
    print(f"     {title}: {wall:.1f} s wall, {run.cpu:.2f} s CPU in its processes")
    if programs:
        program = programs[0]
        print(f"       wall  CLI start until the program runs        {program.start - run.started:6.2f} s")
        print(f"             program, start to exit                  {program.end - program.start:6.2f} s")
    for provider in providers:
        calls = Counter(call["method"] for call in provider.calls)
        first = min(call["start"] for call in provider.calls)
        intervals = [(call["start"], call["end"]) for call in provider.calls]
        print(f"             provider start (after the CLI's start)   {provider.start - run.started:6.2f} s")
        print(f"             provider start until its first call      {first - provider.start:6.2f} s")
        print(
            f"             provider busy in calls                   {busy_seconds(intervals):6.2f} s  "
            f"({', '.join(f'{n} {method}' for method, n in calls.most_common())})"
        )
    ends = [process.end for process in programs + providers]
    if ends:
        print(f"             after the last Python work until done     {run.ended - max(ends):6.2f} s")
    api = ", ".join(f"{service} {count}" for service, count in run.api_calls.items())
    print(f"             API calls: {api or 'none'} ({LATENCY_SECONDS * 1000:.0f} ms added to each)")
    print(f"       CPU   program                                  {sum(p.cpu for p in programs):6.2f} s")
    print(f"             provider                                 {sum(p.cpu for p in providers):6.2f} s")
    others = sum(process.cpu for process in run.of_role("other"))
    print(f"             other Python processes                   {others:6.2f} s")
    print(f"             CLI engine and language host (Go)        {run.cpu - python_cpu:6.2f} s")
    print(f"       imports, program   {top_imports(programs)}")
    print(f"       imports, provider  {top_imports(providers)}")
    if timeline:
        print_timeline(run)


def print_timeline(run: Run) -> None:
    """Each provider call but the checks, in order of start: when it began after the CLI's start and
    how long it took. Calls that overlap ran side by side; a gap is time no call was running."""
    made = [call for provider in run.of_role("provider") for call in provider.calls]
    calls = sorted((call for call in made if call["method"] != "check"), key=lambda call: call["start"])
    print("       provider calls   start   seconds")
    for call in calls:
        name = f"{call['resource'].strip('_').removesuffix('Provider')}.{call['method']}"
        print(f"         {name:<34} {call['start'] - run.started:6.2f}  {call['end'] - call['start']:6.2f}")


def measure(running: Bench, kind: str) -> None:
    realm = new_realm(running, f"breakdown-{kind}")
    trace = running.root / f"breakdown-{kind}.trace"
    probe_env = {
        "SSOPROV_BENCH_TRACE": str(trace),
        "PYTHONPROFILEIMPORTTIME": "1",
        "PYTHONPATH": os.pathsep.join((str(PROBE), str(REPO))),
    }
    project = running.project(kind, realm, f"breakdown{kind}", extra_env=probe_env)
    print(f"   {IDENTITY_PROVIDERS[kind].name}")
    up = traced(running, trace, lambda: run_pulumi(project, "up", "--yes", "--skip-preview"))
    print_run("pulumi up", up, timeline=True)
    print_run("no-op pulumi preview", traced(running, trace, lambda: run_pulumi(project, "preview")))
    project.stack.destroy()


def run() -> None:
    print(
        "== breakdown: where one `pulumi up` and one no-op `preview` spend wall time and CPU, "
        f"{LATENCY_SECONDS * 1000:.0f} ms added to every API call"
    )
    with bench(LATENCY_SECONDS) as running:
        for kind in IDENTITY_PROVIDERS:
            measure(running, kind)
