#!/usr/bin/env bash
# Prepare everything the demo and the tests need, reusing caches outside the repo.
#
#   bootstrap/bootstrap.sh            -> prints `export ...` lines for the caller to eval
#
# 1. Python: a virtualenv at .venv with ssoprov and the stand-ins (sandbox/, a distribution of its own)
#    installed in editable mode (re-installed when either pyproject.toml changes).
# 2. Pulumi: a `pulumi` on PATH at the pinned version is used as is; otherwise the CLI and our Python
#    language host are built from Go modules into ${SSOPROV_CACHE}/pulumi/<version>-<source hash>/bin,
#    together with the SDK's program runner and dynamic-provider launcher scripts.
# Progress goes to stderr; only the exports go to stdout.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${SSOPROV_CACHE:-$HOME/.cache/ssoprov}
say() { printf 'bootstrap: %s\n' "$*" >&2; }

pulumi_version=$(sed -n 's/.*"pulumi==\([0-9.]*\)".*/\1/p' "$root/pyproject.toml")
[ -n "$pulumi_version" ] || { say "pyproject.toml must pin pulumi==X.Y.Z"; exit 1; }

ensure_venv() {
    local venv="$root/.venv" stamp_file="$root/.venv/.ssoprov-installed"
    local stamp
    stamp=$(cat "$root/pyproject.toml" "$root/sandbox/pyproject.toml" | sha256sum | cut -c1-16)
    if [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$stamp" ]; then
        return
    fi
    say "installing Python dependencies into .venv"
    # A venv whose creation was interrupted has python but no pip: make it afresh.
    [ -x "$venv/bin/pip" ] || python3 -m venv --clear "$venv"
    PIP_DISABLE_PIP_VERSION_CHECK=1 "$venv/bin/pip" install --quiet -e "$root/sandbox" -e "$root[test]" >&2
    echo "$stamp" > "$stamp_file"
}

pulumi_on_path_fits() {
    command -v pulumi >/dev/null 2>&1 && command -v pulumi-language-python >/dev/null 2>&1 \
        && [ "$(pulumi version 2>/dev/null)" = "v$pulumi_version" ]
}

build_pulumi() {
    local module="$root/bootstrap/pulumi-cli"
    local source_hash bin
    source_hash=$(cat "$module/go.mod" "$module/go.sum" "$module"/cmd/*/*.go | sha256sum | cut -c1-12)
    bin="$cache/pulumi/v$pulumi_version-$source_hash/bin"
    if [ -x "$bin/pulumi" ] && [ -f "$bin/.complete" ]; then
        echo "$bin"
        return
    fi
    say "building the Pulumi CLI v$pulumi_version and the Python language host from Go modules (a few minutes, once)"
    rm -rf "$bin" && mkdir -p "$bin"
    local ldflags="-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$pulumi_version"
    (
        cd "$module"
        export CGO_ENABLED=0 GOFLAGS=-mod=mod
        go build -trimpath -ldflags "$ldflags" -o "$bin/" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
        go build -trimpath -ldflags "$ldflags" -o "$bin/" ./cmd/pulumi-language-python
        sdk_dir=$(go list -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)
        install -m 0755 "$sdk_dir/python/cmd/pulumi-language-python-exec" "$bin/"
        install -m 0755 "$sdk_dir/python/dist/pulumi-resource-pulumi-python" "$bin/"
    ) >&2
    touch "$bin/.complete"
    echo "$bin"
}

ensure_venv
if pulumi_on_path_fits; then
    pulumi_bin=$(dirname "$(command -v pulumi)")
    say "using pulumi v$pulumi_version from $pulumi_bin"
else
    pulumi_bin=$(build_pulumi)
fi

cat <<EXPORTS
export PATH="$pulumi_bin:$root/.venv/bin:\$PATH"
export SSOPROV_PULUMI_BIN="$pulumi_bin"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PIP_DISABLE_PIP_VERSION_CHECK=1
EXPORTS
