"""README's "Trying it by hand" block, run as written against `make sandbox` (python -m demo.playground).

The real Pulumi CLI, the sandbox on the demo's fixed ports and a real Keycloak: what a newcomer
types in a second shell must create the organization, sign a user in, list its secret and
destroy it; Ctrl-C must stop the sandbox and remove its scratch folder; nothing secret from the
environment file may reach either terminal.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PLACEHOLDER = "/tmp/ssoprov-sandbox-XXXX"
SECRET_VARIABLES = ("OKTA_API_TOKEN", "WORKOS_API_KEY", "KEYCLOAK_ADMIN_PASSWORD", "PULUMI_CONFIG_PASSPHRASE")
UNATTENDED = {"pulumi up": "pulumi up --yes", "pulumi destroy": "pulumi destroy --yes"}
"""A person answers pulumi's confirmation prompt; the test passes --yes instead."""


def readme_block() -> list[str]:
    text = (REPO / "README.md").read_text()
    section = text.split("### Trying it by hand", 1)[1]
    block = section.split("```bash\n", 1)[1].split("```", 1)[0]
    return [line.split("#", 1)[0].strip() for line in block.splitlines() if line.strip()]


class Playground:
    def __init__(self, process: subprocess.Popen[str], scratch: Path, output: list[str]) -> None:
        self.process = process
        self.scratch = scratch
        self.output = output

    def stop(self) -> int:
        self.process.send_signal(signal.SIGINT)
        code = self.process.wait(timeout=120)
        assert self.process.stdout is not None
        self.output.append(self.process.stdout.read())
        return code


@pytest.fixture
def playground() -> Iterator[Playground]:
    process = subprocess.Popen(
        [sys.executable, "-m", "demo.playground"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    output: list[str] = []
    deadline = time.monotonic() + 300
    scratch = None
    while scratch is None and time.monotonic() < deadline and process.poll() is None:
        line = process.stdout.readline()
        output.append(line)
        if match := re.search(r"source (\S+)/sandbox\.env", line):
            scratch = Path(match[1])
    try:
        assert scratch is not None, f"make sandbox did not become ready:\n{''.join(output)}"
        yield Playground(process, scratch, output)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_the_readme_block_runs_by_hand_against_make_sandbox(playground: Playground) -> None:
    commands = [line.replace(PLACEHOLDER, str(playground.scratch)) for line in readme_block()]
    script = "set -e\n" + "\n".join(UNATTENDED.get(command, command) for command in commands)
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PULUMI_")}

    shell = subprocess.run(
        ["bash", "-c", script], env=environment, capture_output=True, text=True, timeout=600
    )

    typed = shell.stdout + shell.stderr
    assert shell.returncode == 0, typed
    created = re.search(r"\+ (\d+) created", typed)
    assert created, typed
    assert re.search(r"alice@contoso\.example: signed in; realm roles: admin, .*developer, member", typed)
    assert re.search(
        r"acme-entra +acme-entra +entra +\d{4}-\d{2}-\d{2} +\d+ +\d{4}-\d{2}-\d{2} +not-due", typed
    )
    assert f"- {created[1]} deleted" in typed
    exports = (playground.scratch / "sandbox.env").read_text()
    assert (playground.scratch / "sandbox.env").stat().st_mode & 0o077 == 0

    assert playground.stop() == 0
    assert not playground.scratch.exists()
    secrets = [
        match[2]
        for match in re.finditer(r"export (\w+)='?([^'\n]+)", exports)
        if match[1] in SECRET_VARIABLES
    ]
    printed = typed + "".join(playground.output)
    assert [value for value in secrets if value in printed] == []
