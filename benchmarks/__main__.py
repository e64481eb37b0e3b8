"""`python -m benchmarks [name ...]`: run the named benchmarks (all when none is named)."""

from __future__ import annotations

import argparse
import importlib

from benchmarks.report import machine_line
from ssoprov.workspace import let_language_hosts_stop

BENCHMARKS = {
    "calls": "benchmarks.calls",
    "overhead": "benchmarks.overhead",
    "breakdown": "benchmarks.breakdown",
    "startup": "benchmarks.startup",
    "fleet": "benchmarks.fleet",
}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "names", nargs="*", choices=[[], *BENCHMARKS], metavar="name", help=", ".join(BENCHMARKS)
    )
    names = parser.parse_args().names or list(BENCHMARKS)
    let_language_hosts_stop()
    print(machine_line())
    for name in names:
        importlib.import_module(BENCHMARKS[name]).run()
    print(machine_line())


if __name__ == "__main__":
    main()
