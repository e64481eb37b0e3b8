"""What a stack's plan is a function of besides its state and the date, as digests.

The program's part is the same for every stack of a run: Pulumi.yaml, __main__.py, the ssoprov
package's files, the Pulumi CLI's version, the variables the program reads into inputs, and the
python environment the program and its dynamic providers run in (the interpreter's version,
every installed distribution's version). It exists only when that environment is the one this
process runs in, so that what is digested is what Pulumi would run. The stack's part: its stack
file as the engine reads it and, for a generic OIDC organization, the discovery document the
program fetches. components/fleet/settled.py keeps these digests beside the state after a run
whose plan was empty.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.metadata
import json
import os
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

import ssoprov
from ssoprov.entra.component import LOGIN_URL_ENV
from ssoprov.oidc import DiscoveryError, fetch_discovery_document
from ssoprov.spec.engine_yaml import EngineYamlError, read_engine_yaml
from ssoprov.spec.models import OrganizationSpec

OWN_PROGRAM = [ast.dump(node) for node in ast.parse("from ssoprov.program import main\nmain()\n").body]
"""The statements of ssoprov's own __main__.py."""
SECRETS_SETTINGS = ("encryptionsalt", "secretsprovider", "encryptedkey")
"""Stack-file keys that say how the config's secrets are encrypted (Pulumi writes them itself)."""
PYTHON_COMMAND = "PULUMI_PYTHON_CMD"
PROGRAM_ENV = (LOGIN_URL_ENV,)
"""Variables the program reads into resource inputs (the Entra sign-in host, a stand-in's in the
sandbox, makes the discovery URL the broker is given). Credentials are read by the providers only,
never into an input, and are not digested."""


def program_digest(project_root: Path, cli_version: str, env: Mapping[str, str]) -> str | None:
    """The program as the engine would run it, with `env` as every `pulumi` of the run gets it.

    None when what the program reads or runs on cannot be told from here: a program of the
    project's own (examples/team-program: it may read anything), or a python other than this
    process's (a project virtualenv elsewhere, uv or poetry, another python3 first on PATH)."""
    entry = project_root / "__main__.py"
    try:
        settings = yaml.safe_load((project_root / "Pulumi.yaml").read_bytes())
        tree = ast.parse(entry.read_bytes())
    except (OSError, SyntaxError, ValueError, yaml.YAMLError):
        return None
    if not isinstance(settings, dict) or not _runs_ssoprov_program(settings, tree):
        return None
    if not _starts_this_python(settings, project_root, env):
        return None
    digest = hashlib.sha256(f"pulumi {cli_version}\0python {sys.version}\0".encode())
    digest.update(_canonical({name: env.get(name) for name in PROGRAM_ENV}))
    for path in (project_root / "Pulumi.yaml", entry):
        digest.update(path.read_bytes() + b"\0")
    package = Path(ssoprov.__file__).resolve().parent
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes() + b"\0")
    for name, version in _distributions():
        digest.update(f"{name}=={version}\0".encode())
    return digest.hexdigest()


def _runs_ssoprov_program(settings: Mapping[str, Any], tree: ast.Module) -> bool:
    """Whether the project's program is ssoprov's own: Pulumi.yaml names no other `main`, and
    __main__.py, docstring and comments aside, only imports `ssoprov.program.main` and calls it."""
    if settings.get("main") not in (None, ".", "./"):
        return False
    body = [
        node
        for node in tree.body
        if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))
    ]
    return [ast.dump(node) for node in body] == OWN_PROGRAM


def _starts_this_python(settings: Mapping[str, Any], project_root: Path, env: Mapping[str, str]) -> bool:
    """Whether the python the language host starts for the program, and the dynamic-provider
    launcher for the providers, is the one this process runs on (whose packages are digested).

    Pulumi's python toolchain (sdk/python/toolchain) runs `<virtualenv>/bin/python` when Pulumi.yaml
    names a virtualenv, else PULUMI_PYTHON_CMD or `python3` as found on the CLI's PATH. The uv and
    poetry toolchains find their environment by asking those tools: not settled. So is a type
    checker (runtime option `typechecker`), whose verdict on the program is not digested."""
    runtime = settings.get("runtime")
    options = runtime.get("options") if isinstance(runtime, dict) else None
    options = options or {}
    if not isinstance(options, dict) or set(options) - {"virtualenv", "toolchain"}:
        return False
    if options.get("toolchain", "pip") != "pip":
        return False
    virtualenv = options.get("virtualenv")
    if virtualenv:
        python = project_root / str(virtualenv) / "bin" / "python"
    else:
        command = env.get(PYTHON_COMMAND) or "python3"
        # Go's exec.LookPath takes a name with a slash as a path (from the CLI's folder).
        found = command if "/" in command else shutil.which(command, path=env.get("PATH", os.defpath))
        if found is None:
            return False
        python = project_root / found
    here = Path(sys.executable)
    return python.is_file() and (python.resolve(), python.parent.resolve()) == (
        here.resolve(),
        here.parent.resolve(),
    )


def _distributions() -> list[tuple[str, str]]:
    """Every distribution installed for this python: any of them may be imported by the program,
    its SDKs or the providers, so a change to any makes every stack run once."""
    found = importlib.metadata.distributions()
    return sorted({(str(distribution.metadata["Name"]), distribution.version) for distribution in found})


@dataclass(frozen=True)
class StackInputs:
    """A stack's part of what its plan is a function of, with the program's, as digests."""

    digest: str
    """Of everything: what a settled record holds."""
    config_digest: str
    """Of everything but the secrets settings."""
    secrets: Mapping[str, Any]
    """The stack file's secrets settings (SECRETS_SETTINGS), as written."""

    def unchanged_since(self, before: StackInputs) -> bool:
        """Whether a run that started with `before` saw these inputs: the same, but for the secrets
        settings Pulumi writes into a stack file that has none (`stack init`, a stack's first run).
        Any other change, even one undone later, means the run may have read something else."""
        if self.digest == before.digest:
            return True
        return not before.secrets and self.config_digest == before.config_digest


def stack_inputs(program: str | None, stack_file: Path, spec: OrganizationSpec | None) -> StackInputs | None:
    """The stack's inputs, or None when its plan depends on something that cannot be digested (an
    ESC environment, a discovery endpoint that does not answer, a stack file the engine refuses:
    a real run reports it)."""
    if program is None or spec is None:
        return None
    try:
        document = read_engine_yaml(stack_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, EngineYamlError):
        return None
    if document.problems or not isinstance(document.value, dict) or "environment" in document.value:
        return None
    secrets = {key: value for key, value in document.value.items() if key in SECRETS_SETTINGS}
    config = {key: value for key, value in document.value.items() if key not in SECRETS_SETTINGS}
    digest = hashlib.sha256(f"{program}\0".encode() + _canonical(config))
    idp = spec.identity_provider
    if idp.kind == "oidc":
        try:
            digest.update(_canonical(fetch_discovery_document(idp.discovery_url)))
        except DiscoveryError:
            return None
    config_digest = digest.hexdigest()
    digest.update(_canonical(secrets))
    return StackInputs(digest.hexdigest(), config_digest, secrets)


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True).encode() + b"\0"
