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
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
MODULE="github.com/rhysd/actionlint"
ACTIONLINT_VERSION="${ACTIONLINT_VERSION:-v1.7.12}"
go_tool actionlint "$ACTIONLINT_VERSION" -version ACTIONLINT_FORCE

go_tool_built && exit 0

command -v go >/dev/null 2>&1 || die "Go is not installed (actionlint is built from source with the Go toolchain).
  Install Go >= 1.21 (https://go.dev/dl), or put an actionlint binary ($ACTIONLINT_VERSION) at .tools/bin/actionlint."

go_tool_build "$MODULE/cmd/actionlint" "$MODULE@$ACTIONLINT_VERSION with $(go env GOVERSION)" 'under a minute' \
  "; check access to $(go env GOPROXY)."
say "built actionlint $ACTIONLINT_VERSION in ${TOOL_BUILD_SECONDS}s"
