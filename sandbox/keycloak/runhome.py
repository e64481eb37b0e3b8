"""A per-run Keycloak home: its own data/ and conf/, the cached distribution's jars shared.

Keycloak writes to its home: `data/` (the dev-file H2 database, transaction logs, tmp) and,
when its build options change (the first `start-dev` of a fresh distribution does), it
re-augments into `lib/quarkus/`. So every run gets a small home of its own in the system
temp dir: real copies of `bin/kc.sh`, `conf/`, `lib/quarkus/` and the other small files,
and symlinks to the read-only bulk (`lib/lib/`, 168 MB of jars; `bin/client/`). Runs share
no state and the cache is never written by a running server.

The first run re-augments (about 30 s on 2 cores); its `lib/quarkus/` is then promoted into
`<cache>/keycloak/<version>/quarkus-dev/` and later homes start from that copy, skipping it.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from sandbox.common.cache import replace_dir

AUGMENTED_LOG_LINE = "Quarkus augmentation completed"
"""What Keycloak logs when it (re-)augmented into lib/quarkus on start-up."""

_SHARED = {Path("lib/lib"), Path("bin/client")}
"""Read-only and large: symlinked, not copied."""


def augmented_dir(dist: Path) -> Path:
    """Where the dev-mode augmentation of the distribution at `dist` is kept."""
    return dist.parent / "quarkus-dev"


def make_run_home(dist: Path) -> Path:
    """A fresh home for one run; the caller removes it when done."""
    home = Path(tempfile.mkdtemp(prefix="ssoprov-keycloak-"))
    _populate(dist, home, Path("."))
    augmented = augmented_dir(dist)
    if (augmented / "quarkus-application.dat").is_file():
        shutil.rmtree(home / "lib" / "quarkus")
        try:
            shutil.copytree(augmented, home / "lib" / "quarkus")
        except OSError:  # being replaced by another run right now: start from the pristine one
            shutil.rmtree(home / "lib" / "quarkus", ignore_errors=True)
            shutil.copytree(dist / "lib" / "quarkus", home / "lib" / "quarkus")
    return home


def promote_augmentation(dist: Path, home: Path) -> None:
    """Keep `home`'s freshly augmented lib/quarkus for the next runs."""
    replace_dir(home / "lib" / "quarkus", augmented_dir(dist))


def _populate(dist: Path, home: Path, relative: Path) -> None:
    for entry in sorted((dist / relative).iterdir()):
        inner = relative / entry.name
        if inner in _SHARED:
            (home / inner).symlink_to(entry.resolve(), target_is_directory=True)
        elif entry.is_dir() and any(shared.is_relative_to(inner) for shared in _SHARED):
            (home / inner).mkdir()
            _populate(dist, home, inner)
        elif entry.is_dir():
            shutil.copytree(entry, home / inner, symlinks=True)
        else:
            shutil.copy2(entry, home / inner)
