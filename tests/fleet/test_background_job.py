"""ssoprov started as a background job (SIGINT ignored, as a shell starts `cmd &` or nohup) does not
hand the ignore down to the `pulumi` processes it starts, whose language hosts would otherwise
outlive each command by the CLI's 5 s grace period."""

from __future__ import annotations

import signal
import subprocess
import sys

from tests.support.projects import REPO

SIGINT_BIT = 1 << (signal.SIGINT - 1)

CHILD = """
import subprocess, sys
{prepare}
status = subprocess.run(["grep", "^SigIgn:", "/proc/self/status"], capture_output=True, text=True).stdout
print(int(status.split()[1], 16))
"""


def ignored_signals_of_a_grandchild(prepare: str) -> int:
    """SigIgn of a process started by a Python process that itself started with SIGINT ignored."""
    result = subprocess.run(
        [sys.executable, "-c", CHILD.format(prepare=prepare)],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    return int(result.stdout)


def test_a_background_job_s_children_ignore_sigint_without_the_fix() -> None:
    assert ignored_signals_of_a_grandchild("") & SIGINT_BIT


def test_the_processes_ssoprov_starts_take_sigint_again() -> None:
    prepare = "from ssoprov.workspace import let_language_hosts_stop\nlet_language_hosts_stop()"
    assert not ignored_signals_of_a_grandchild(prepare) & SIGINT_BIT
