"""Loaded into every Python process of a benchmarked `pulumi` run: the program, the dynamic provider.

Python imports `sitecustomize` at start-up from the path; `benchmarks/breakdown.py` puts this
folder first on the run's PYTHONPATH and names a trace file in SSOPROV_BENCH_TRACE. Each process
then appends JSON lines to it:

- `call`: one dynamic-provider method (check, diff, create, read, update, delete) with its class,
  start and end (epoch seconds), and the process's CPU so far: the provider process is killed by
  the engine at the end of the run, so its last `call` line carries its CPU;
- `exit`: at a normal exit (the program), its command line, start, end and CPU.

With PYTHONPROFILEIMPORTTIME set, Python reports each import's own time on stderr; this process's
stderr goes to `<trace>.<pid>.imports` so the benchmark can add them up per package.
Nothing here changes what the process does.
"""

from __future__ import annotations

import atexit
import importlib.abc
import importlib.machinery
import json
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

PROVIDER_METHODS = ("check", "diff", "create", "read", "update", "delete")
_write_lock = threading.Lock()


def _process_start() -> float:
    """When this process started (epoch seconds), the interpreter's own start-up included: its age
    from /proc (start and uptime both count clock ticks since boot) taken from the wall clock now.
    (Boot time plus start ticks would not do: /proc's `btime` is whole seconds; here it was 0.95 s
    away from the wall clock.)"""
    with open("/proc/self/stat") as stat:
        started_ticks = int(stat.read().rsplit(")", 1)[1].split()[19])
    with open("/proc/uptime") as uptime:
        up_seconds = float(uptime.read().split()[0])
    return time.time() - (up_seconds - started_ticks / os.sysconf("SC_CLK_TCK"))


def _cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def _append(trace: str, record: dict[str, Any]) -> None:
    line = json.dumps({"pid": os.getpid(), **record}) + "\n"
    with _write_lock, open(trace, "a") as out:
        out.write(line)


def _timed(trace: str, owner: str, name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.time()
        try:
            return method(*args, **kwargs)
        finally:
            _append(
                trace,
                {
                    "event": "call",
                    "method": name,
                    "resource": owner,
                    "start": started,
                    "end": time.time(),
                    "cpu": _cpu_seconds(),
                    "process_start": PROCESS_START,
                },
            )

    return timed


class _ProviderHook(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Once `pulumi.dynamic.dynamic` is imported, every ResourceProvider subclass defined after it
    gets its methods timed (the classes come from our modules, imported when the engine's request
    is unpickled)."""

    target = "pulumi.dynamic.dynamic"

    def __init__(self, trace: str) -> None:
        self._trace = trace
        self._loader: Any = None

    def find_spec(self, name: str, path: Any, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        if name != self.target:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return None
        self._loader, spec.loader = spec.loader, self
        return spec

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> Any:
        return self._loader.create_module(spec)

    def exec_module(self, module: Any) -> None:
        self._loader.exec_module(module)
        trace = self._trace

        def wrap_methods(cls: type) -> None:
            for name in PROVIDER_METHODS:
                if name in cls.__dict__:
                    setattr(cls, name, _timed(trace, cls.__name__, name, cls.__dict__[name]))

        module.ResourceProvider.__init_subclass__ = classmethod(wrap_methods)


def _install(trace: str) -> None:
    if os.environ.get("PYTHONPROFILEIMPORTTIME"):
        imports = os.open(f"{trace}.{os.getpid()}.imports", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        os.dup2(imports, 2)
        os.close(imports)
    sys.meta_path.insert(0, _ProviderHook(trace))
    atexit.register(
        lambda: _append(
            trace,
            {
                "event": "exit",
                "argv": sys.orig_argv[:4],
                "start": PROCESS_START,
                "end": time.time(),
                "cpu": _cpu_seconds(),
            },
        )
    )


PROCESS_START = _process_start()
if os.environ.get("SSOPROV_BENCH_TRACE"):
    _install(os.environ["SSOPROV_BENCH_TRACE"])
