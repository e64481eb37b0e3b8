"""What every benchmark prints alongside its numbers: where it ran and how busy the machine was."""

from __future__ import annotations

import os
import platform
import resource
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def machine_line() -> str:
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    return f"machine: {os.cpu_count()} CPUs, load average {load}, Python {platform.python_version()}"


def children_cpu() -> float:
    """CPU seconds of this process's reaped children and the descendants they reaped."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
