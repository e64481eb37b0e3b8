"""Run a real Keycloak in dev mode on 127.0.0.1 for tests and demos.

    with KeycloakServer() as keycloak:
        keycloak.url, keycloak.admin_username, keycloak.admin_password

Each run has its own home and data (see `runhome`), admin credentials generated for it,
a bounded heap, a fixed issuer (`http://127.0.0.1:<port>`), and a watchdog that stops the
server if the launching process dies without stopping it.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import socket
import subprocess
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import httpx

from sandbox.common import procgroup
from sandbox.keycloak.distribution import KEYCLOAK_VERSION, ensure_distribution
from sandbox.keycloak.java import JavaRuntime, find_java
from sandbox.keycloak.runhome import AUGMENTED_LOG_LINE, make_run_home, promote_augmentation

logger = logging.getLogger(__name__)

DEFAULT_HEAP = "512m"
"""-Xmx for Keycloak (its own default outside containers); the whole process stays near 0.5 GB."""
DEFAULT_STARTUP_TIMEOUT = 300.0
"""Seconds to wait for readiness; a first run re-augments and takes about a minute on 2 cores."""

_INHERITED_OUT = ("KC_", "QUARKUS_", "JAVA_OPTS", "JAVA_ADD_OPENS", "JAVA_LOCALE")
_INHERITED_OUT_EXACT = {"JAVA", "JAVA_HOME", "DEBUG", "DEBUG_PORT", "DEBUG_SUSPEND", "PRINT_ENV"}
"""Environment that kc.sh or Keycloak would read: set by us only, never inherited."""


class KeycloakStartError(RuntimeError):
    """Keycloak did not become ready; the message ends with the tail of its log."""


@dataclass(frozen=True)
class Prepared:
    dist: Path
    java: JavaRuntime


def prepare(*, allow_system_java: bool = True) -> Prepared:
    """Find (or install) Java and download and unpack the distribution; no server is started."""
    java = find_java(allow_system=allow_system_java)
    return Prepared(dist=ensure_distribution(java_home=java.home), java=java)


class KeycloakServer:
    """A Keycloak dev-mode server on 127.0.0.1 with a per-run home and admin account."""

    def __init__(
        self,
        *,
        port: int | None = None,
        heap: str = DEFAULT_HEAP,
        startup_timeout: float = DEFAULT_STARTUP_TIMEOUT,
        keep_home: bool = False,
        allow_system_java: bool = True,
    ) -> None:
        self.port = port or _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.admin_username = f"admin-{secrets.token_hex(3)}"
        self.admin_password = secrets.token_urlsafe(24)
        self.version = KEYCLOAK_VERSION
        self.heap = heap
        self.startup_timeout = startup_timeout
        self.keep_home = keep_home
        self.allow_system_java = allow_system_java
        self.home: Path | None = None
        self.java: JavaRuntime | None = None
        self.startup_seconds: float | None = None
        """Seconds from launching kc.sh to the master realm's discovery answering."""
        self.augmented = False
        """Whether this run re-augmented the server (a first run on this cache does)."""
        self._process: subprocess.Popen[bytes] | None = None
        self._watchdog: procgroup.Watchdog | None = None
        self._keep_log = False

    @property
    def log_path(self) -> Path:
        if self.home is None:
            raise RuntimeError("Keycloak has not been started")
        return self.home / "keycloak.log"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self) -> KeycloakServer:
        """Launch Keycloak and wait until it serves; raises KeycloakStartError with its log tail."""
        if self._process is not None:
            raise RuntimeError("this KeycloakServer was already started")
        if not _port_is_free(self.port):
            raise KeycloakStartError(f"port {self.port} on 127.0.0.1 is in use; pick another (or none)")
        prepared = prepare(allow_system_java=self.allow_system_java)
        self.java = prepared.java
        self.home = make_run_home(prepared.dist)
        started = time.monotonic()
        with open(self.log_path, "wb") as log:
            self._process = subprocess.Popen(
                [str(self.home / "bin" / "kc.sh"), "start-dev", *self._options()],
                cwd=self.home,
                env=self._environment(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._watchdog = procgroup.Watchdog(self._process.pid)
        try:
            self._wait_ready(started)
        except BaseException:
            self._keep_log = True  # the error names the log; leave it to be read
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - started
        self.augmented = AUGMENTED_LOG_LINE in self.log_path.read_text(errors="replace")
        if self.augmented:
            try:
                promote_augmentation(prepared.dist, self.home)
            except OSError as exc:  # another run promoting at the same moment: theirs will do
                logger.warning("keeping Keycloak's augmentation for later runs failed: %s", exc)
        return self

    def stop(self, *, grace: float = 30.0) -> None:
        """Stop the whole process group (SIGTERM, then SIGKILL after `grace` s); safe to repeat."""
        process, self._process = self._process, None
        if process is not None:
            procgroup.stop_group(process.pid, grace=grace)
            process.wait(timeout=10)
        if self._watchdog is not None:
            self._watchdog.dismiss()
            self._watchdog = None
        if self.home is not None and not (self.keep_home or self._keep_log):
            shutil.rmtree(self.home, ignore_errors=True)

    def is_running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def rss_bytes(self) -> int:
        """Resident memory of kc.sh and its java, summed (0 when not running)."""
        return procgroup.group_rss_bytes(self._process.pid) if self._process else 0

    def log_tail(self, lines: int = 40) -> str:
        try:
            with open(self.log_path, errors="replace") as log:
                return "".join(deque(log, maxlen=lines))
        except (OSError, RuntimeError):
            return "(no log)"

    def __enter__(self) -> KeycloakServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _options(self) -> list[str]:
        return [
            f"--http-port={self.port}",
            "--http-host=127.0.0.1",
            # A full URL pins the issuer to http://127.0.0.1:<port> whatever Host a client sends.
            f"--hostname={self.url}",
        ]

    def _environment(self) -> dict[str, str]:
        assert self.java is not None
        env = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(_INHERITED_OUT) and name not in _INHERITED_OUT_EXACT
        }
        env.update(
            JAVA_HOME=str(self.java.home),
            JAVA_OPTS_KC_HEAP=f"-Xms64m -Xmx{self.heap}",
            KC_BOOTSTRAP_ADMIN_USERNAME=self.admin_username,
            KC_BOOTSTRAP_ADMIN_PASSWORD=self.admin_password,
        )
        return env

    def _wait_ready(self, started: float) -> None:
        discovery = f"{self.url}/realms/master/.well-known/openid-configuration"
        expected_issuer = f"{self.url}/realms/master"
        token_url = f"{expected_issuer}/protocol/openid-connect/token"
        login = {
            "grant_type": "password",
            "client_id": "admin-cli",
            "username": self.admin_username,
            "password": self.admin_password,
        }
        deadline = started + self.startup_timeout
        last_problem = "no answer yet"
        with httpx.Client(timeout=5.0) as http:
            while True:
                assert self._process is not None
                if self._process.poll() is not None:
                    raise KeycloakStartError(
                        f"Keycloak {self.version} exited with code {self._process.returncode} before "
                        f"becoming ready on {self.url}. Log {self.log_path}, last lines:\n{self.log_tail()}"
                    )
                try:
                    response = http.get(discovery)
                    if response.status_code == 200 and response.json().get("issuer") == expected_issuer:
                        # Only this run's server knows this run's admin: not some other on the port.
                        token = http.post(token_url, data=login)
                        if token.status_code == 200:
                            return
                        response = token
                    last_problem = f"HTTP {response.status_code} from {response.url}"
                except (httpx.HTTPError, ValueError) as exc:
                    last_problem = f"{type(exc).__name__}: {exc}"
                if time.monotonic() > deadline:
                    raise KeycloakStartError(
                        f"Keycloak {self.version} was not ready on {self.url} after "
                        f"{self.startup_timeout:.0f}s ({last_problem}). Log {self.log_path}, "
                        f"last lines:\n{self.log_tail()}"
                    )
                time.sleep(0.5)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _port_is_free(port: int) -> bool:
    """True unless something listens on it (connections lingering in TIME_WAIT do not count)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True
