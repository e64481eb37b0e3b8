"""One `pulumi` command on one stack, its engine events handed on as they happen, and nothing more.

The Automation API's `Stack` runs more CLI commands than the one it is asked for: `pulumi stack
select` whenever a `Stack` object is made, and after an `up` three more (`stack output` twice, for
the plain and the secret outputs, and `stack history`) to build its result. A fleet run needs none
of them: the engine's summary event holds the resource counts it reports, the outputs it never
reads, and `--stack` names the stack without selecting it. Each of those commands is a Go CLI
start (about 0.3 s of CPU), paid per stack and operation. So the fleet runs the command itself,
with the same `pulumi` (`ssoprov.workspace.pulumi_command`, which adds `--non-interactive` and
raises the Automation API's errors, such as `ConcurrentUpdateError`), and makes the stack with
`pulumi stack init --no-select` only when the backend does not have it yet.

No command here selects a stack: the user's selection (the project's workspace settings under
PULUMI_HOME, which a bare `pulumi up` acts on) stays as it was, so a fleet run never turns the
user's next `pulumi up` onto another customer's stack.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from pulumi import automation as auto
from pulumi.automation import events

from ssoprov.fleet.file_backend import backend_root, checkpoint_file
from ssoprov.fleet.project import Project
from ssoprov.workspace import Engine, pulumi_command

OnEvent = Callable[[events.EngineEvent], None]
NO_SUCH_STACK = "no stack named"
"""How the CLI says the backend has no stack of that name (`pulumi up --stack new` on a new stack)."""
POLL_SECONDS = 0.05
EVENT_LOG_ENV = {"PULUMI_DEBUG_COMMANDS": "true"}
"""The CLI takes `--event-log` only with this set (so does the Automation API, for the same flag)."""


def cli_env(engine: Engine) -> dict[str, str]:
    home = {"PULUMI_HOME": str(engine.pulumi_home)} if engine.pulumi_home else {}
    return {**engine.environment(), **home}


def process_env(engine: Engine) -> dict[str, str]:
    """The whole environment every `pulumi` of a fleet run starts with, and so its language host and
    providers: this process's, the engine's on top, and the CLI's folder first on PATH (what the
    Automation API's PulumiCommand.run makes of them)."""
    env = {**os.environ, **cli_env(engine)}
    command = pulumi_command().command
    if os.path.isabs(command):
        env["PATH"] = os.pathsep.join([os.path.dirname(command), env.get("PATH", "")])
    return env


def run_stack_command(engine: Engine, stack: str, args: Sequence[str], on_event: OnEvent) -> None:
    """Run `pulumi <args> --stack <stack>`, handing each engine event to `on_event` as the CLI
    writes it (the last one a run reaches is its summary). A stack the backend does not hold yet
    is made first, as the Automation API's `create_or_select_stack` does. A `file://` backend is
    asked by looking for the stack's checkpoint; others by the command's own "no stack" error (a
    CLI start, about 0.15 s of CPU, spent on every new stack)."""
    if _known_absent(engine, stack):
        _init(engine, stack)
        _run_with_events(engine, stack, args, on_event)
        return
    try:
        _run_with_events(engine, stack, args, on_event)
        return
    except auto.CommandError as error:
        if NO_SUCH_STACK not in str(error):
            raise
    _init(engine, stack)
    _run_with_events(engine, stack, args, on_event)


def _known_absent(engine: Engine, stack: str) -> bool:
    """Whether a `file://` backend surely lacks the stack (a qualified name `org/project/stack` is
    left to the CLI)."""
    root = None if "/" in stack else backend_root(engine.backend_url, engine.project_dir)
    name = Project.at(engine.project_dir).name if root else ""
    return bool(root and name) and checkpoint_file(root, name, stack) is None


def _init(engine: Engine, stack: str) -> None:
    init = ["stack", "init", stack, "--no-select", "--secrets-provider", engine.secrets_provider]
    pulumi_command().run(init, str(engine.project_dir), cli_env(engine))


def cancel(engine: Engine, stack: str) -> None:
    """`pulumi cancel`: release the stack's lock (the Automation API's `Stack.cancel` would select
    the stack first)."""
    pulumi_command().run(["cancel", "--yes", "--stack", stack], str(engine.project_dir), cli_env(engine))


def _run_with_events(engine: Engine, stack: str, args: Sequence[str], on_event: OnEvent) -> None:
    with tempfile.TemporaryDirectory(prefix="ssoprov-events-") as scratch:
        log_path = Path(scratch) / "events.jsonl"
        log_path.touch()
        finished = threading.Event()
        reader = threading.Thread(target=_follow, args=(log_path, on_event, finished), daemon=True)
        reader.start()
        command = [*args, "--stack", stack, "--event-log", str(log_path), "--color", "never"]
        try:
            pulumi_command().run(command, str(engine.project_dir), {**cli_env(engine), **EVENT_LOG_ENV})
        finally:
            finished.set()
            reader.join()


def _follow(log_path: Path, on_event: OnEvent, finished: threading.Event) -> None:
    """Hand on each complete line of the event log as it is written, until the command has ended
    and the log is read to its end."""
    with log_path.open(encoding="utf-8") as log:
        while not finished.wait(POLL_SECONDS):
            _hand_on_lines(log, on_event)
        _hand_on_lines(log, on_event)


def _hand_on_lines(log: TextIO, on_event: OnEvent) -> None:
    """Every complete line from the log's position on; a line still being written is left for the
    next call (the position goes back to its start)."""
    while True:
        start = log.tell()
        line = log.readline()
        if not line.endswith("\n"):
            log.seek(start)
            return
        on_event(events.EngineEvent.from_json(json.loads(line)))
