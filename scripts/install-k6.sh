#!/usr/bin/env bash
# Build a pinned k6 into <repo>/.tools/bin/k6 with the Go toolchain (no GitHub release download needed:
# only the Go module proxy). k6 >= 0.57 runs the TypeScript scripts in load/ natively.
#
# Pin: go.k6.io/k6 v1.8.1. k6 v1.x keeps the module path go.k6.io/k6 (no /v2 suffix; a major-version
# suffix only starts at v2): `go list -m -versions go.k6.io/k6` lists v1.8.1, go.k6.io/k6/v2 does not exist.
# Env: K6_VERSION (override the pin), K6_FORCE=1 (rebuild even if present), GOPROXY/GOFLAGS as usual.
# Idempotent: skips the build when .tools/bin/k6 already reports the pinned version.
set -Eeuo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
K6_MODULE="go.k6.io/k6"
K6_VERSION="${K6_VERSION:-v1.8.1}"
go_tool k6 "$K6_VERSION" version K6_FORCE

go_tool_built && exit 0

command -v go >/dev/null 2>&1 || die "Go is not installed (k6 is built from source with the Go toolchain).
  k6 $K6_VERSION needs Go >= 1.25; any Go >= 1.21 on PATH fetches that toolchain itself through the module
  proxy (GOTOOLCHAIN=auto). Debian 12's golang package (1.19) is too old: use https://go.dev/dl.
  Or put a k6 binary (>= v0.57) at .tools/bin/k6 yourself; RAG_SETUP_SKIP_K6=1 skips this step."

go_ver=$(go env GOVERSION 2>/dev/null || go version)
say "using $go_ver, GOPROXY=$(go env GOPROXY)"

# Resolve the pinned version through the module proxy first: a fast, clear failure instead of a long build
# that dies half-way.
if ! resolve_out=$(go list -m -json "$K6_MODULE@$K6_VERSION" 2>&1); then
  printf '%s\n' "$resolve_out" >&2
  die "cannot resolve $K6_MODULE@$K6_VERSION through the Go module proxy ($(go env GOPROXY)).
  Check network access to the proxy (or set GOPROXY to a reachable mirror / GOFLAGS=-mod=mod with a filled
  module cache). Versions the proxy knows: $(go list -m -versions "$K6_MODULE" 2>/dev/null | cut -d' ' -f2- || echo unknown)"
fi
need_go=$(printf '%s' "$resolve_out" | sed -n 's/.*"GoVersion": "\([^"]*\)".*/\1/p')
[ -n "$need_go" ] && say "$K6_MODULE@$K6_VERSION needs go >= $need_go"

go_tool_build "$K6_MODULE" "$K6_MODULE@$K6_VERSION" 'a few minutes' ". If a module could not be
  downloaded, check access to $(go env GOPROXY); if the compiler complained about the Go version, install go >= ${need_go:-1.23}."
say "built k6 $K6_VERSION in ${TOOL_BUILD_SECONDS}s: $("$TOOL_BIN_DIR/k6" version | head -1)"
