"""A file backend that a killed `pulumi` left unreadable.

Pulumi's file backend (gocloud's fileblob) keeps each checkpoint `<stack>.json` with a metadata
file beside it, `<stack>.json.attrs`. Writing a checkpoint writes the new content to a temporary
file, then the metadata, then renames the temporary file over the checkpoint. A `pulumi` killed
in between (kill -9, an OOM kill, a lost runner) can leave the metadata file empty while the
checkpoint still holds the previous, whole state. From then on every `pulumi stack ls` answers
`error: EOF`, which stops every fleet command, and that stack's own commands answer `failed to
load checkpoint: EOF`. A missing metadata file is fine for fileblob, so deleting the empty one
makes the previous checkpoint readable again.
"""

from __future__ import annotations

import os
import pwd
from pathlib import Path
from urllib.parse import unquote, urlsplit

import yaml

METADATA_SUFFIX = ".json.attrs"
FILE_PREFIX = "file://"
CHECKPOINT_SUFFIXES = (".json.gz", ".json")
"""A checkpoint's file names, in the CLI's order of preference: gzipped when written with
PULUMI_SELF_MANAGED_STATE_GZIP=true (the plain file is then removed), else plain JSON."""


def backend_root(backend_url: str, cwd: Path) -> Path | None:
    """The folder of a `file://` backend as the Pulumi CLI started in `cwd` opens it; None for other
    backends.

    The CLI (pkg/backend/diy, massageBlobPath) takes the text after `file://` up to any `?options`,
    expands a leading `~` to the user's home folder (from the user database, as Go's os/user reads
    it, not $HOME), makes a relative path absolute against its working folder (`file://./state` and
    `file://state` are `state/` in the project folder ssoprov starts it in, not `/state`), and its
    blob library then reads the result as a URL path (`%20` is a space)."""
    if not backend_url.startswith(FILE_PREFIX):
        return None
    path = backend_url.removeprefix(FILE_PREFIX).split("?", 1)[0]
    if path.startswith("~"):
        path = os.path.join(_home(), path[2:])
    absolute = "/" + os.path.normpath(os.path.join(cwd, path)).lstrip("/")
    return Path(unquote(urlsplit(FILE_PREFIX + absolute).path))


def _home() -> str:
    try:
        return pwd.getpwuid(os.getuid()).pw_dir
    except KeyError:  # a user the database lacks: Go falls back to $HOME too
        return str(Path.home())


def checkpoint_file(root: Path, project: str, stack: str) -> Path | None:
    """A stack's checkpoint where the CLI looks for it, or None if absent: under its project in a
    backend laid out by project (`.pulumi/meta.yaml` version 1, Pulumi's layout since projects scope
    stacks), directly under `stacks/` in a backend made before that. Only one layout is read: a file
    in the other one is not the stack the CLI would run."""
    stacks = root / ".pulumi" / "stacks"
    folder = stacks / project if _project_scoped(root) else stacks
    for suffix in CHECKPOINT_SUFFIXES:
        if (folder / f"{stack}{suffix}").is_file():
            return folder / f"{stack}{suffix}"
    return None


def _project_scoped(root: Path) -> bool:
    """Whether the backend keeps stacks by project, as the CLI decides it (pkg/backend/diy/meta.go):
    `.pulumi/meta.yaml` says so by its version; without one, a backend holding stacks of the old
    layout keeps that layout, and a new one is laid out by project."""
    try:
        meta = yaml.safe_load((root / ".pulumi" / "meta.yaml").read_text())
    except FileNotFoundError:
        stacks = root / ".pulumi" / "stacks"
        old = stacks.is_dir() and any(
            found.is_file() and found.name.endswith(CHECKPOINT_SUFFIXES) for found in stacks.iterdir()
        )
        return not old
    except (OSError, yaml.YAMLError):
        return True
    version = meta.get("version") if isinstance(meta, dict) else None
    return isinstance(version, int) and version >= 1


def empty_metadata_files(backend_url: str, cwd: Path) -> list[Path]:
    """The empty checkpoint metadata files of a `file://` backend; none for other backends."""
    root = backend_root(backend_url, cwd)
    stacks = root / ".pulumi" / "stacks" if root else None
    if stacks is None or not stacks.is_dir():
        return []
    return sorted(found for found in stacks.rglob(f"*{METADATA_SUFFIX}") if found.stat().st_size == 0)


def damage_note(backend_url: str, cwd: Path) -> str:
    """What to do about the empty metadata files of this backend, or "" when it has none."""
    empty = empty_metadata_files(backend_url, cwd)
    if not empty:
        return ""
    stacks = sorted({found.name.removesuffix(METADATA_SUFFIX) for found in empty})
    recover = " and ".join(f"`ssoprov recover --stack {stack}`" for stack in stacks)
    return (
        f"A `pulumi` killed while writing left {len(empty)} checkpoint metadata file(s) empty: "
        f"{', '.join(str(found) for found in empty)}. Fix: delete them (the checkpoints beside them "
        f"keep the last state written), then run {recover}"
    )
