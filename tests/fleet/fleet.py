"""A throwaway fleet for tests: a git repository holding the real program and generated stack files,
its local state folder, and `ssoprov` run in it as a user would (a subprocess)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pulumi import automation as auto

from ssoprov.fleet.engine import LOCAL_STATE_DIR
from ssoprov.workspace import Engine

REPO = Path(__file__).resolve().parents[2]
OIDC_SECRET_KEY = "ssoprov:oidcClientSecret"


@dataclass(frozen=True)
class SealedSecret:
    """A passphrase salt and a secret encrypted under it. Stack files that carry both share one key,
    so generated generic-OIDC stacks hold their client secret as `pulumi config set --secret` would
    have stored it, without a CLI call per stack (the CLI keeps a salt it finds in the file)."""

    passphrase: str
    encryption_salt: str
    secure_value: str


def seal_secret(workdir: Path, passphrase: str, value: str) -> SealedSecret:
    """Have the real CLI encrypt `value` once, in a throwaway stack."""
    project = workdir / "project"
    (project / "stacks").mkdir(parents=True)
    (project / "Pulumi.yaml").write_text("name: seal\nruntime: python\nstackConfigDir: stacks\n")
    env = {
        **os.environ,
        "PULUMI_BACKEND_URL": (workdir / "state").as_uri(),
        "PULUMI_CONFIG_PASSPHRASE": passphrase,
        "PULUMI_HOME": str(workdir / "home"),
        "PULUMI_SKIP_UPDATE_CHECK": "true",
    }
    (workdir / "state").mkdir()
    for args in (
        ["stack", "init", "seal", "--secrets-provider", "passphrase"],
        ["config", "set", "--secret", OIDC_SECRET_KEY, value, "--stack", "seal"],
    ):
        subprocess.run(
            ["pulumi", "--non-interactive", *args], cwd=project, env=env, check=True, capture_output=True
        )
    document = yaml.safe_load((project / "stacks" / "Pulumi.seal.yaml").read_text())
    return SealedSecret(passphrase, document["encryptionsalt"], document["config"][OIDC_SECRET_KEY]["secure"])


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    seconds: float = 0.0

    def json_report(self, path: Path) -> dict[str, Any]:
        return json.loads(path.read_text())


@dataclass
class FleetProject:
    root: Path
    sealed: SealedSecret
    env: dict[str, str] = field(default_factory=dict)
    """Environment for the CLI and provider processes (sandbox endpoints and credentials)."""

    @classmethod
    def create(cls, root: Path, sealed: SealedSecret, env: dict[str, str]) -> FleetProject:
        (root / "stacks").mkdir(parents=True)
        for name in ("Pulumi.yaml", "__main__.py"):
            shutil.copy(REPO / name, root / name)
        (root / ".gitignore").write_text(f"{LOCAL_STATE_DIR}/\n")
        project = cls(root, sealed, env)
        project.git("init", "-q", "-b", "main")
        project.git("add", "-A")
        project.git("commit", "-q", "-m", "project")
        return project

    @property
    def stack_dir(self) -> Path:
        return self.root / "stacks"

    def write_stack(self, name: str, organization: dict[str, Any]) -> Path:
        """stacks/Pulumi.<name>.yaml; generic-OIDC organizations with a client secret (not secretless
        ones) get the sealed client secret."""
        document: dict[str, Any] = {"config": {"ssoprov:organization": organization}}
        secretless = organization.get("clientAuthentication", {}).get("method") == "privateKeyJwt"
        if organization["identityProvider"]["kind"] == "oidc" and not secretless:
            document = {
                "encryptionsalt": self.sealed.encryption_salt,
                "config": {**document["config"], OIDC_SECRET_KEY: {"secure": self.sealed.secure_value}},
            }
        path = self.stack_dir / f"Pulumi.{name}.yaml"
        path.write_text(yaml.safe_dump(document, sort_keys=False))
        return path

    def git(self, *args: str) -> str:
        done = subprocess.run(
            ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
            cwd=self.root,
            check=True,
            capture_output=True,
            text=True,
        )
        return done.stdout

    def process_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("PULUMI_BACKEND_URL", "SSOPROV_AS_OF")}
        return {
            **env,
            "PULUMI_CONFIG_PASSPHRASE": self.sealed.passphrase,
            "PULUMI_HOME": str(self.root.parent / f"{self.root.name}-pulumi-home"),
            # The program's `import ssoprov` and the providers resolve to this checkout.
            "PYTHONPATH": str(REPO),
            **self.env,
        }

    def ssoprov(self, *args: str, timeout: float = 600, env: Mapping[str, str] | None = None) -> Run:
        """`ssoprov ARGS` in the project folder, as a separate process (stdout is not a terminal),
        with `env` added to its environment."""
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "ssoprov.cli", *args],
            cwd=self.root,
            env={**self.process_env(), **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        run = Run(done.returncode, done.stdout, done.stderr, time.monotonic() - started)
        if os.environ.get("SSOPROV_TEST_TIMINGS"):
            print(f"ssoprov {' '.join(args)}: exit {run.code} in {run.seconds:.1f}s", file=sys.stderr)
        return run

    def pulumi(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        """The plain `pulumi` CLI in the project, as a user types it, on the backend `ssoprov` uses
        here, with `env` added to its environment."""
        state = self.root / LOCAL_STATE_DIR
        state.mkdir(exist_ok=True)
        return subprocess.run(
            ["pulumi", "--non-interactive", *args],
            cwd=self.root,
            env={**self.process_env(), "PULUMI_BACKEND_URL": state.as_uri(), **env},
            capture_output=True,
            text=True,
            timeout=300,
        )

    def leave_dead_lock(self, stack: str) -> None:
        """The lock a `pulumi up` on another machine leaves in the file backend when it is killed."""
        lock = self.root / LOCAL_STATE_DIR / ".pulumi" / "locks" / "organization" / "ssoprov" / stack
        lock.mkdir(parents=True, exist_ok=True)
        holder = {"pid": 4242, "username": "runner", "hostname": "ci-7", "timestamp": "2026-11-23T10:00:00Z"}
        (lock / "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0.json").write_text(json.dumps(holder))

    def engine(self) -> Engine:
        """The engine ssoprov uses by default here, for direct Automation API checks."""
        env = self.process_env()
        return Engine(
            project_dir=self.root,
            backend_url=(self.root / LOCAL_STATE_DIR).as_uri(),
            env={key: env[key] for key in ("PULUMI_CONFIG_PASSPHRASE", "PYTHONPATH", *self.env)},
            pulumi_home=Path(env["PULUMI_HOME"]),
        )

    def stack(self, name: str) -> auto.Stack:
        return self.engine().stack(name)
