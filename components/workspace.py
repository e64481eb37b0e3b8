"""Open organization stacks on the real Pulumi CLI through the Automation API.

Used by the fleet commands, the demo and the tests alike, so all of them run the same engine
with the same settings: any backend URL (a local `file://` folder, Pulumi Cloud, `s3://`,
`azblob://`), any secrets provider, no update checks and no plugin downloads.
"""

from __future__ import annotations

import functools
import os
import signal
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pulumi import automation as auto

OFFLINE_ENV = {
    "PULUMI_SKIP_UPDATE_CHECK": "true",
    "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
    "PIP_DISABLE_PIP_VERSION_CHECK": "1",
}


def let_language_hosts_stop() -> None:
    """Undo an inherited "ignore SIGINT", so that the `pulumi` processes started from here stop
    their language hosts at once.

    A shell starts a background job with SIGINT ignored (`cmd &` in a script, nohup, some CI
    runners), and an ignored signal stays ignored across exec, down to the language host. The CLI
    stops a language host with SIGINT and kills it only 5 s later, so every `pulumi` command then
    waits 5 s for a host that ignores the signal (measured: a no-op preview of a one-resource
    program, 0.9 s in a foreground shell, 5.7 s as a background job). Python allows this only in
    the main thread: the entry points call it first.
    """
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@functools.cache
def pulumi_command() -> auto.PulumiCommand:
    """The `pulumi` on PATH, its version checked once per process. Each workspace the Automation
    API makes without one checks it again, by running `pulumi version`: once per stack and
    operation, about 0.35 s of CPU each."""
    return auto.PulumiCommand()


@dataclass(frozen=True)
class Engine:
    """Where stacks live and how their secrets are encrypted."""

    project_dir: Path
    backend_url: str
    secrets_provider: str = "passphrase"
    env: Mapping[str, str] = field(default_factory=dict)
    """Extra environment for the CLI and the provider processes it starts (credentials, endpoints)."""
    pulumi_home: Path | None = None

    def environment(self) -> dict[str, str]:
        return {**OFFLINE_ENV, "PULUMI_BACKEND_URL": self.backend_url, **self.env}

    def stack(self, name: str) -> auto.Stack:
        """Select the stack, creating it in the backend on first use."""
        options = auto.LocalWorkspaceOptions(
            pulumi_command=pulumi_command(),
            work_dir=str(self.project_dir),
            pulumi_home=str(self.pulumi_home) if self.pulumi_home else None,
            env_vars=self.environment(),
            secrets_provider=self.secrets_provider,
        )
        return auto.create_or_select_stack(name, work_dir=str(self.project_dir), opts=options)


def local_engine(project_dir: Path, state_dir: Path, env: Mapping[str, str] | None = None) -> Engine:
    """An engine on a local file backend; the passphrase comes from PULUMI_CONFIG_PASSPHRASE(_FILE)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    merged = dict(env or {})
    for variable in ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE"):
        if variable in os.environ and variable not in merged:
            merged[variable] = os.environ[variable]
    return Engine(project_dir=project_dir, backend_url=state_dir.resolve().as_uri(), env=merged)
