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

from pathlib import Path
from urllib.parse import unquote, urlsplit

METADATA_SUFFIX = ".json.attrs"


def backend_root(backend_url: str) -> Path | None:
    """The folder of a `file://` backend (`file://~` is the home folder); None for other backends."""
    parts = urlsplit(backend_url)
    if parts.scheme != "file":
        return None
    path = unquote(parts.path)
    return Path.home() / path.lstrip("/") if parts.netloc == "~" else Path(path)


def checkpoint_file(root: Path, project: str, stack: str) -> Path | None:
    """A stack's checkpoint in a file backend: under its project (Pulumi's layout since projects
    scope stacks) or, in a backend made before that, directly under `stacks/`; None if absent."""
    stacks = root / ".pulumi" / "stacks"
    for candidate in (stacks / project / f"{stack}.json", stacks / f"{stack}.json"):
        if candidate.is_file():
            return candidate
    return None


def empty_metadata_files(backend_url: str) -> list[Path]:
    """The empty checkpoint metadata files of a `file://` backend; none for other backends."""
    root = backend_root(backend_url)
    stacks = root / ".pulumi" / "stacks" if root else None
    if stacks is None or not stacks.is_dir():
        return []
    return sorted(found for found in stacks.rglob(f"*{METADATA_SUFFIX}") if found.stat().st_size == 0)


def damage_note(backend_url: str) -> str:
    """What to do about the empty metadata files of this backend, or "" when it has none."""
    empty = empty_metadata_files(backend_url)
    if not empty:
        return ""
    stacks = sorted({found.name.removesuffix(METADATA_SUFFIX) for found in empty})
    recover = " and ".join(f"`ssoprov recover --stack {stack}`" for stack in stacks)
    return (
        f"A `pulumi` killed while writing left {len(empty)} checkpoint metadata file(s) empty: "
        f"{', '.join(str(found) for found in empty)}. Fix: delete them (the checkpoints beside them "
        f"keep the last state written), then run {recover}"
    )
