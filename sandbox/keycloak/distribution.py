"""The Keycloak server distribution: fetched from Maven Central with Maven, unpacked once into the cache.

Maven is the registry's ordinary client: `-C` makes it fail when the artifact does not match
the .sha1 published beside it, and its local repository (~/.m2) keeps the archive, so
re-creating a deleted cache entry needs no download. The unpacked tree is trusted only with
its marker file (see `sandbox.common.cache`).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from sandbox.common.cache import cache_root, install_once

KEYCLOAK_VERSION = "26.7.3"
"""The one place the Keycloak version is pinned (org.keycloak:keycloak-quarkus-dist on Maven Central)."""

ARTIFACT = f"org.keycloak:keycloak-quarkus-dist:{KEYCLOAK_VERSION}:tar.gz"
DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"
"""Pinned so `mvn` does not pick whatever plugin version its metadata says today."""


class DistributionError(RuntimeError):
    """The distribution could not be downloaded or unpacked."""


def version_dir(version: str = KEYCLOAK_VERSION) -> Path:
    """`<cache>/keycloak/<version>`: holds `dist/` (the unpacked server) and the marker."""
    return cache_root() / "keycloak" / version


def ensure_distribution(*, java_home: Path | None = None) -> Path:
    """The unpacked distribution's root (with bin/kc.sh), downloading and unpacking it if needed.

    `java_home` is given to Maven only if the environment has no Java of its own.
    """
    root = install_once(version_dir(), lambda staging: _download_and_unpack(staging, java_home))
    return root / "dist"


def _download_and_unpack(staging: Path, java_home: Path | None) -> dict[str, str]:
    with tempfile.TemporaryDirectory(prefix="download-", dir=staging) as download_dir:
        archive = _maven_copy(Path(download_dir), java_home)
        sha1 = _sha1(archive)
        unpacked = staging / "unpacking"
        with tarfile.open(archive) as tar:
            tar.extractall(unpacked, filter="data")
    top = unpacked / f"keycloak-{KEYCLOAK_VERSION}"
    if not (top / "bin" / "kc.sh").is_file():
        raise DistributionError(f"{ARTIFACT} did not unpack to keycloak-{KEYCLOAK_VERSION}/bin/kc.sh")
    top.rename(staging / "dist")
    shutil.rmtree(unpacked)
    return {"artifact": ARTIFACT, "sha1": sha1}


def _maven_copy(output_dir: Path, java_home: Path | None) -> Path:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise DistributionError(
            f"Maven (`mvn`) is needed to fetch {ARTIFACT} from Maven Central: install it "
            "(Debian: apt-get install maven) and run `python -m sandbox.keycloak prepare` again"
        )
    env = dict(os.environ)
    if java_home is not None and not env.get("JAVA_HOME") and shutil.which("java") is None:
        env["JAVA_HOME"] = str(java_home)
    command = [
        mvn, "--batch-mode", "--quiet", "--strict-checksums", f"{DEPENDENCY_PLUGIN}:copy",
        f"-Dartifact={ARTIFACT}", f"-DoutputDirectory={output_dir}",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=output_dir)
    archive = output_dir / f"keycloak-quarkus-dist-{KEYCLOAK_VERSION}.tar.gz"
    if result.returncode != 0 or not archive.is_file():
        output = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr).strip()[-3000:]
        raise DistributionError(
            f"downloading {ARTIFACT} with Maven failed (exit {result.returncode}): {output}"
        )
    return archive


def _sha1(path: Path) -> str:
    digest = hashlib.sha1()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
