"""Throwaway Pulumi projects for tests: the real program (or a given one), one stack, a file backend."""

from __future__ import annotations

import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

import yaml
from pulumi import automation as auto

from ssoprov.fleet.client_secret import client_secret_in
from ssoprov.workspace import Engine, local_engine

REPO = Path(__file__).resolve().parents[2]


@dataclass
class StackProject:
    root: Path
    engine: Engine
    stack: auto.Stack
    passphrase: str

    @property
    def state_dir(self) -> Path:
        return self.root / "state"

    @property
    def stack_file(self) -> Path:
        return self.root / "project" / "stacks" / f"Pulumi.{self.stack.name}.yaml"

    def write_config(self, config: dict) -> None:
        """Replace the stack's config (keeping the encryption salt the CLI wrote)."""
        document = yaml.safe_load(self.stack_file.read_text()) or {}
        document["config"] = {
            **{k: v for k, v in document.get("config", {}).items() if isinstance(v, dict) and "secure" in v},
            **config,
        }
        self.stack_file.write_text(yaml.safe_dump(document, sort_keys=False))

    def client_secret(self) -> str:
        """The value of the stack's live client-secret resource, decrypted from its state (no stack
        output carries it: see components/organization.py)."""
        value = client_secret_in(self.stack.export_stack().deployment)
        assert value is not None, f"stack {self.stack.name} holds no client secret"
        return value

    def state_text(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in self.state_dir.rglob("*") if p.is_file())


def new_stack_project(
    root: Path, stack: str, config: dict, *, program_dir: Path | None = None, env: dict[str, str]
) -> StackProject:
    project = root / "project"
    (project / "stacks").mkdir(parents=True)
    source = program_dir or REPO
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(source / name, project / name)
    (project / "stacks" / f"Pulumi.{stack}.yaml").write_text(
        yaml.safe_dump({"config": config}, sort_keys=False)
    )
    passphrase = secrets.token_urlsafe(24)
    engine = local_engine(
        # PYTHONPATH lets programs and provider processes import test-only providers from `tests`.
        project,
        root / "state",
        env={"PULUMI_CONFIG_PASSPHRASE": passphrase, "PYTHONPATH": str(REPO), **env},
    )
    engine = Engine(**{**engine.__dict__, "pulumi_home": root / "pulumi-home"})
    return StackProject(root=root, engine=engine, stack=engine.stack(stack), passphrase=passphrase)
