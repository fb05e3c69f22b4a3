#!/usr/bin/env bash
# Build a pinned actionlint into <repo>/.tools/bin/actionlint with the Go toolchain, as scripts/install-k6.sh
# builds k6 (only the Go module proxy is needed). selftest/actions.test.ts lints .github/workflows/*.yml and the
# README's workflow example (against action.yml) with it.
#
# Pin: github.com/rhysd/actionlint v1.7.12 (its go.mod asks for go >= 1.25; any Go >= 1.21 fetches that toolchain
# itself, GOTOOLCHAIN=auto). Env: ACTIONLINT_VERSION (override the pin), ACTIONLINT_FORCE=1 (rebuild even if present).
# Idempotent: skips the build when .tools/bin/actionlint already reports the pinned version.
set -Eeuo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MODULE="github.com/rhysd/actionlint"
ACTIONLINT_VERSION="${ACTIONLINT_VERSION:-v1.7.12}"
BIN_DIR="$ROOT/.tools/bin"
BIN="$BIN_DIR/actionlint"

say() { printf '[install-actionlint] %s\n' "$*"; }
die() { printf '[install-actionlint] ERROR: %s\n' "$*" >&2; exit 1; }

installed_version() { [ -x "$BIN" ] && "$BIN" -version 2>/dev/null | head -1 | grep -oE 'v[0-9]+\.[0-9]+\.[0-9]+' | head -1; }

if [ "${ACTIONLINT_FORCE:-0}" != 1 ] && [ "$(installed_version || true)" = "$ACTIONLINT_VERSION" ]; then
  say "actionlint $ACTIONLINT_VERSION already built at ${BIN#"$ROOT"/} (ACTIONLINT_FORCE=1 rebuilds)"
  exit 0
fi

command -v go >/dev/null 2>&1 || die "Go is not installed (actionlint is built from source with the Go toolchain).
  Install Go >= 1.21 (https://go.dev/dl), or put an actionlint binary ($ACTIONLINT_VERSION) at .tools/bin/actionlint."

mkdir -p "$BIN_DIR"
say "building $MODULE@$ACTIONLINT_VERSION with $(go env GOVERSION) into ${BIN_DIR#"$ROOT"/} (under a minute on 2 cores; runs under nice)"
t0=$(date +%s)
# `go install module@version` records the version in the binary's build info, which `actionlint -version` prints.
if ! GOBIN="$BIN_DIR" CGO_ENABLED=0 nice -n 10 go install -trimpath -ldflags='-s -w' "$MODULE/cmd/actionlint@$ACTIONLINT_VERSION"; then
  die "go install $MODULE/cmd/actionlint@$ACTIONLINT_VERSION failed after $(( $(date +%s) - t0 ))s (see above); check access to $(go env GOPROXY)."
fi
got=$(installed_version || true)
[ "$got" = "$ACTIONLINT_VERSION" ] || die "built ${BIN#"$ROOT"/} but it reports '${got:-nothing}' instead of $ACTIONLINT_VERSION"
say "built actionlint $got in $(( $(date +%s) - t0 ))s"
