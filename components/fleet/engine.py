"""The backend and secrets provider a fleet run shares, and which of its stacks the backend holds.

`--backend` and `--secrets-provider` are handed to the Pulumi CLI unchanged, so any backend it
supports works (`file://`, Pulumi Cloud `https://api.pulumi.com`, `s3://`, `azblob://`, `gs://`)
and any secrets provider (`passphrase`, `awskms://`, `azurekeyvault://`, `gcpkms://`). Without
`--backend`, PULUMI_BACKEND_URL is used, else a `.pulumi-state/` folder in the project root.
Credentials (cloud, Okta, broker, PULUMI_CONFIG_PASSPHRASE) come from the environment, which every
CLI process inherits; none of them is ever a command-line argument.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from ssoprov.fleet.project import Project
from ssoprov.workspace import Engine

LOCAL_STATE_DIR = ".pulumi-state"
"""The default file backend, inside the project root (and ignored by git)."""


def backend_url(project: Project, given: str | None) -> str:
    if given:
        return given
    from_env = os.environ.get("PULUMI_BACKEND_URL")
    if from_env:
        return from_env
    folder = project.root / LOCAL_STATE_DIR
    folder.mkdir(exist_ok=True)
    return folder.as_uri()


def fleet_engine(
    project: Project,
    backend: str | None = None,
    secrets_provider: str = "passphrase",
    env: Mapping[str, str] | None = None,
    pulumi_home: Path | None = None,
) -> Engine:
    return Engine(
        project_dir=project.root,
        backend_url=backend_url(project, backend),
        secrets_provider=secrets_provider,
        env=dict(env or {}),
        pulumi_home=pulumi_home,
    )


def with_env(engine: Engine, **extra: str) -> Engine:
    """The same engine with more environment for its CLI and provider processes (one stack's run)."""
    return dataclasses.replace(engine, env={**engine.env, **extra})


def display_url(url: str) -> str:
    """The backend URL without any user name or password, for reports and logs."""
    parts = urlsplit(url)
    if parts.username or parts.password:
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
        return urlunsplit(parts._replace(netloc=netloc))
    return url
