"""The Pulumi project on disk: its root (Pulumi.yaml), its stack folder and the stacks in it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from ssoprov.errors import UsageError
from ssoprov.spec.loading import stack_files

STACK_FILE_PREFIX = "Pulumi."
STACK_FILE_SUFFIX = ".yaml"


class ProjectError(UsageError):
    """The project or the stacks asked for cannot be found; a usage error (exit code 2)."""


@dataclass(frozen=True, order=True)
class StackRef:
    """One stack: its name in the backend and its file (stacks/Pulumi.<name>.yaml)."""

    name: str
    file: Path


@dataclass(frozen=True)
class Project:
    root: Path
    """The folder holding Pulumi.yaml."""
    stack_dir: Path
    """Where the stack files live (Pulumi.yaml `stackConfigDir`, else the root)."""
    name: str = ""
    """Pulumi.yaml `name`: a file backend keeps the project's stacks under it."""

    @classmethod
    def at(cls, root: Path) -> Project:
        root = root.resolve()
        settings_file = root / "Pulumi.yaml"
        try:
            settings = yaml.safe_load(settings_file.read_text()) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ProjectError(
                f"reading the Pulumi project {settings_file}: {exc}. "
                "Fix: run ssoprov in the repository, or pass --project-dir"
            ) from None
        settings = settings if isinstance(settings, dict) else {}
        stack_dir = settings.get("stackConfigDir")
        name = settings.get("name")
        return cls(
            root=root,
            stack_dir=root / stack_dir if stack_dir else root,
            name=name if isinstance(name, str) else "",
        )

    @classmethod
    def find(cls, start: Path) -> Project:
        """The nearest folder at or above `start` that holds a Pulumi.yaml."""
        start = start.resolve()
        for folder in (start, *start.parents):
            if (folder / "Pulumi.yaml").is_file():
                return cls.at(folder)
        raise ProjectError(
            f"finding the Pulumi project: no Pulumi.yaml in {start} or above. "
            "Fix: run ssoprov in the repository, or pass --project-dir"
        )

    def stacks(self) -> list[StackRef]:
        """Every stack with a file, by name."""
        return sorted(StackRef(stack_name(path), path) for path in stack_files(self.stack_dir))

    def stack_file(self, name: str) -> Path:
        return self.stack_dir / f"{STACK_FILE_PREFIX}{name}{STACK_FILE_SUFFIX}"

    def relative(self, path: Path) -> str:
        """A path as the user sees it in messages: relative to the project root when inside it."""
        try:
            return str(path.resolve().relative_to(self.root))
        except ValueError:
            return str(path)


def stack_name(path: Path) -> str:
    """Pulumi.<stack>.yaml -> <stack>."""
    return path.name.removeprefix(STACK_FILE_PREFIX).removesuffix(STACK_FILE_SUFFIX)
