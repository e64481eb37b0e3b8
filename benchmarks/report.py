"""What every benchmark prints alongside its numbers: where it ran and how busy the machine was."""

from __future__ import annotations

import os
import platform
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def machine_line() -> str:
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    return f"machine: {os.cpu_count()} CPUs, load average {load}, Python {platform.python_version()}"
