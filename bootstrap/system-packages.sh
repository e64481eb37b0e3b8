#!/usr/bin/env bash
# Debian packages the tests need beyond the bootstrap's Python and Go: Chromium, which renders
# `ssoprov report --html` headless in tests/fleet/test_html_report.py. Installed once with apt
# (as root, or through sudo); a machine that already has it skips this.
set -euo pipefail

command -v chromium >/dev/null 2>&1 && exit 0
echo "system-packages: installing chromium from Debian's packages (once)" >&2
if [ "$(id -u)" -eq 0 ]; then as_root=(); else as_root=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -q >&2
"${as_root[@]}" apt-get install -y -q --no-install-recommends chromium >&2
