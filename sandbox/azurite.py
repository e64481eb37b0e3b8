"""Microsoft's Azure Storage emulator (Azurite, from npm) as the `azblob://` state backend.

The example pipelines keep Pulumi state in Azure Blob Storage; Azurite serves the same Blob
REST API on loopback, so fleet runs can share one real `azblob://` backend (Pulumi's own
gocloud driver, its lock files, its checkpoints) as CI shards do. npm installs it once into the
cache outside the repo, keyed by version (`python -m sandbox.azurite prepare`); each server gets
a fresh data folder, its own process group and a watchdog, like Keycloak.

The account and key are Azurite's documented development credentials, the same on every
machine: they open nothing but the emulator.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

import httpx
from azure.storage.blob import BlobServiceClient

from sandbox.common import procgroup
from sandbox.common.cache import cache_root, install_once

AZURITE_VERSION = "3.37.0"
ACCOUNT = "devstoreaccount1"
ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
"""Azurite's well-known development key (Microsoft publishes it in Azurite's README)."""


def prepare() -> Path:
    """The `azurite-blob` launcher, installed from npm into the cache if it is not there yet."""
    target = cache_root() / "azurite" / AZURITE_VERSION

    def build(staging: Path) -> dict[str, str]:
        quiet = ["--no-audit", "--no-fund", "--omit=dev", "--loglevel=error"]
        subprocess.run(
            ["npm", "install", "--prefix", str(staging), *quiet, f"azurite@{AZURITE_VERSION}"],
            check=True,
            stdout=sys.stderr,
        )
        return {"azurite": AZURITE_VERSION}

    return install_once(target, build) / "node_modules" / ".bin" / "azurite-blob"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class AzuriteServer:
    """`with AzuriteServer() as azurite:` a Blob endpoint on loopback with `container` created."""

    def __init__(self, container: str = "pulumi-state", startup_timeout: float = 60.0) -> None:
        self.container = container
        self.startup_timeout = startup_timeout
        self.port = 0
        self._data: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._watchdog: procgroup.Watchdog | None = None

    @property
    def blob_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/{ACCOUNT}"

    @property
    def backend_url(self) -> str:
        """The Pulumi backend URL: gocloud's azblob driver pointed at the emulator."""
        return f"azblob://{self.container}?domain=127.0.0.1:{self.port}&protocol=http&localemu=true"

    def env(self) -> dict[str, str]:
        """What the Pulumi CLI reads for an azblob:// backend."""
        return {"AZURE_STORAGE_ACCOUNT": ACCOUNT, "AZURE_STORAGE_KEY": ACCOUNT_KEY}

    def start(self) -> AzuriteServer:
        launcher = prepare()
        self.port = _free_port()
        self._data = Path(tempfile.mkdtemp(prefix="ssoprov-azurite-"))
        self._process = subprocess.Popen(
            [
                *(str(launcher), "--blobHost", "127.0.0.1", "--blobPort", str(self.port)),
                *("--location", str(self._data), "--silent", "--skipApiVersionCheck"),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self._watchdog = procgroup.Watchdog(self._process.pid)
        try:
            self._wait_ready()
            self._create_container()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        assert self._process is not None
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"Azurite exited with code {self._process.returncode} before serving")
            try:
                httpx.get(f"{self.blob_endpoint}?comp=list", timeout=2)  # 403 unsigned: it serves
                return
            except httpx.TransportError:
                time.sleep(0.2)
        raise RuntimeError(f"Azurite did not serve on 127.0.0.1:{self.port} in {self.startup_timeout:.0f}s")

    def _service(self) -> BlobServiceClient:
        return BlobServiceClient(
            self.blob_endpoint, credential={"account_name": ACCOUNT, "account_key": ACCOUNT_KEY}
        )

    def _create_container(self) -> None:
        self._service().create_container(self.container)

    def blob_names(self) -> list[str]:
        """Every blob in the state container (stack checkpoints, history, locks)."""
        return [blob.name for blob in self._service().get_container_client(self.container).list_blobs()]

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            procgroup.stop_group(process.pid, grace=10)
            process.wait(timeout=10)
        if self._watchdog is not None:
            self._watchdog.dismiss()
            self._watchdog = None
        if self._data is not None:
            shutil.rmtree(self._data, ignore_errors=True)
            self._data = None

    def __enter__(self) -> AzuriteServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


if __name__ == "__main__":
    if sys.argv[1:] != ["prepare"]:
        sys.exit("usage: python -m sandbox.azurite prepare")
    print(f"azurite {AZURITE_VERSION}: {prepare()}")
