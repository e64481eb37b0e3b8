"""Fleet scaling over 10/50/200 organizations: waits for the fleet tool (`ssoprov up --parallel`)."""

from __future__ import annotations

import subprocess

from benchmarks.report import REPO


def run() -> None:
    print("== fleet")
    landed = subprocess.run(
        ["git", "log", "--oneline", "-1", "--", "components/fleet"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    if not landed:
        print(
            "   not measured: the fleet tool (components/fleet, `ssoprov up --parallel`) is not committed yet"
        )
        return
    print(f"   the fleet tool landed ({landed}); a benchmark against it is still to be written")
