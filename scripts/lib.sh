# Shared functions for scripts/setup and the Go tool builds it runs (scripts/install-k6.sh, scripts/install-actionlint.sh).
# Each function either succeeds or calls die() with what to do.
# What to install, start, link or build is decided by scripts/setup-plan.ts (plan_setup sets the PLAN_* variables);
# these functions carry it out.

# Every line names the script that says it: [setup], or the SAY_TAG a sourcing script sets (go_tool sets it).
say() { printf '[%s] %s\n' "${SAY_TAG:-setup}" "$*"; }
die() { printf '[%s] ERROR: %s\n' "${SAY_TAG:-setup}" "$*" >&2; exit 1; }

step() {
  local name="$1"; shift
  local t0; t0=$(date +%s)
  say "-> $name"
  "$@"
  say "   $name: done in $(( $(date +%s) - t0 ))s"
}

# The plan needs Node.js (it is TypeScript, run with tsx from the npm packages); everything else it decides.
check_host() {
  command -v node >/dev/null 2>&1 || die "Node.js is not installed. Install Node.js 20 or newer."
  local major; major=$(node -p 'process.versions.node.split(".")[0]')
  [ "$major" -ge 20 ] || die "Node.js $(node --version) is too old; rag-gate needs Node.js 20 or newer."
  command -v npm >/dev/null 2>&1 || die "npm is not installed (it comes with Node.js; Debian's nodejs package needs the npm package beside it)."
  local free_kb; free_kb=$(df -Pk "$ROOT" | awk 'NR==2 {print $4}')
  [ "$free_kb" -ge $((5 * 1024 * 1024)) ] || die "only $((free_kb / 1024)) MB free under $ROOT; the images and the stack need at least 5 GB. Free some space (docker system prune, old reports) and re-run."
  say "   node $(node --version), $(nproc) cores, $((free_kb / 1024 / 1024)) GB free"
}

install_npm_packages() {
  local stamp="node_modules/.rag-gate-lock-hash" want
  want=$(sha256sum package-lock.json | cut -c1-16)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then say "   node_modules up to date"; return; fi
  # --ignore-scripts: no dependency needs its install script here, and some (the Observatory's CA-bundle
  # and libpq packages) try to download files or build native code that this kind of machine cannot.
  npm ci --no-audit --no-fund --loglevel=error --ignore-scripts || die "npm ci failed: check access to the npm registry"
  echo "$want" > "$stamp"
}

# One line per decision (engine, compose, browser, tools, k6, ...), then the PLAN_* variables for the steps below.
plan_setup() {
  local plan_file rc=0
  plan_file=$(mktemp)
  node_modules/.bin/tsx scripts/setup-plan.ts --prefix '[setup]    ' --shell "$plan_file" "${PLAN_ARGS[@]}" || rc=$?
  [ -s "$plan_file" ] || { rm -f "$plan_file"; die "scripts/setup-plan.ts failed (exit $rc; see above)"; }
  # shellcheck source=/dev/null
  . "$plan_file"
  rm -f "$plan_file"
  [ "$PLAN_OK" = 1 ] || die "this machine lacks what the lines above name, and the set-up cannot provide it here; each line says how to provide it."
}

planned_build() { [[ " $PLAN_BUILD " == *" $1 "* ]]; }

install_distro_packages() {
  if [ -z "$PLAN_PACKAGES" ]; then
    if [ "${RAG_SETUP_SKIP_DEBIAN:-0}" = 1 ]; then say "   skipped (RAG_SETUP_SKIP_DEBIAN=1)"; else say "   all present"; fi
    return
  fi
  local missing
  read -r -a missing <<<"$PLAN_PACKAGES"
  say "   installing: ${missing[*]}${PLAN_SUDO:+ (with sudo)}"
  $PLAN_SUDO apt-get update -qq || die "apt-get update failed: check the network and /etc/apt/sources.list"
  $PLAN_SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/rag-gate-apt.log 2>&1 \
    || { tail -20 /tmp/rag-gate-apt.log >&2; die "apt-get install ${missing[*]} failed (log: /tmp/rag-gate-apt.log)"; }
}

start_docker_engine() {
  if docker info >/dev/null 2>&1; then say "   engine already running: $(docker version -f '{{.Server.Version}}')"; return; fi
  if [ -z "$PLAN_ENGINE" ]; then say "   not starting one (the plan says why)"; return; fi
  command -v dockerd >/dev/null 2>&1 || [ -x /usr/sbin/dockerd ] || die "no dockerd on this machine: install the docker.io package (apt-get install docker.io)."
  if [ "$PLAN_ENGINE" = systemd ]; then
    $PLAN_SUDO systemctl start docker || true
  fi
  if ! $PLAN_SUDO docker info >/dev/null 2>&1; then
    say "   no init system to start it: starting dockerd in the background (log: /var/log/rag-gate-dockerd.log)"
    if [ -z "$PLAN_SUDO" ]; then
      nohup dockerd >/var/log/rag-gate-dockerd.log 2>&1 &
    else
      sudo sh -c 'nohup dockerd >/var/log/rag-gate-dockerd.log 2>&1 &'
    fi
  fi
  local i
  for i in $(seq 1 60); do $PLAN_SUDO docker info >/dev/null 2>&1 && break; sleep 1; done
  $PLAN_SUDO docker info >/dev/null 2>&1 || { tail -20 /var/log/rag-gate-dockerd.log >&2 2>/dev/null; die "the Docker engine did not start within 60 s (see the lines above and /var/log/rag-gate-dockerd.log). Common causes: no cgroup or overlay support in this kernel, iptables missing, another dockerd holding /var/run/docker.pid."; }
  say "   engine running: $($PLAN_SUDO docker version -f '{{.Server.Version}}')"
}

# The suite runs Compose as `docker-compose` (Testcontainers' standalone mode, the rollback drill); the v2 plugin's
# binary runs standalone under that name.
link_compose() {
  $PLAN_SUDO ln -sfn "$PLAN_COMPOSE_LINK" /usr/local/bin/docker-compose || die "could not link /usr/local/bin/docker-compose to $PLAN_COMPOSE_LINK"
  local v; v=$(/usr/local/bin/docker-compose version --short 2>/dev/null) || die "/usr/local/bin/docker-compose (-> $PLAN_COMPOSE_LINK) does not run"
  say "   /usr/local/bin/docker-compose -> $PLAN_COMPOSE_LINK ($v)"
}

install_playwright_chromium() {
  local args=(install)
  [ "$PLAN_PLAYWRIGHT_CHROMIUM" = with-deps ] && args+=(--with-deps)
  node_modules/.bin/playwright "${args[@]}" chromium || die "npx playwright ${args[*]} chromium failed: check access to Playwright's CDN (or install a Chromium at /usr/bin/chromium)"
}

build_base_image() {
  node_modules/.bin/tsx scripts/build-images.ts --base-only || die "building the base image failed (see above)"
}

build_reference_images() {
  node_modules/.bin/tsx scripts/build-images.ts || die "building the reference images failed (see above)"
}

# ---- Go tools: a pinned tool built from source into .tools/bin with `go install` (only the Go module proxy is needed)

# go_tool NAME PIN VERSION_ARG FORCE_VAR: the tool the functions below build. NAME is the binary (.tools/bin/NAME) and
# the script's tag (install-NAME); `NAME VERSION_ARG` prints its version; FORCE_VAR=1 in the environment rebuilds it.
go_tool() {
  TOOL="$1" TOOL_VERSION="$2" TOOL_VERSION_ARG="$3" TOOL_FORCE="$4"
  TOOL_BIN_DIR="$ROOT/.tools/bin"
  SAY_TAG="install-$TOOL"
}

# The version .tools/bin/$TOOL reports (vX.Y.Z); nothing when it is missing or says none.
go_tool_version() {
  [ -x "$TOOL_BIN_DIR/$TOOL" ] && "$TOOL_BIN_DIR/$TOOL" "$TOOL_VERSION_ARG" 2>/dev/null | head -1 | grep -oE 'v[0-9]+\.[0-9]+\.[0-9]+' | head -1
}

# True, and says so, when .tools/bin/$TOOL already reports the pin and no rebuild is asked for: the build is skipped.
go_tool_built() {
  [ "${!TOOL_FORCE:-0}" != 1 ] && [ "$(go_tool_version || true)" = "$TOOL_VERSION" ] || return 1
  say "$TOOL $TOOL_VERSION already built at ${TOOL_BIN_DIR#"$ROOT"/}/$TOOL ($TOOL_FORCE=1 rebuilds)"
}

# go_tool_build PACKAGE WHAT DURATION FAILURE_HINT: `go install PACKAGE@$TOOL_VERSION` into .tools/bin under nice, said
# as "building WHAT into .tools/bin (DURATION on 2 cores ...)"; a failed build dies with FAILURE_HINT after "(see above)".
# The binary must then report the pin. TOOL_BUILD_SECONDS: how long it took.
go_tool_build() {
  local package="$1" what="$2" duration="$3" failure_hint="$4" t0 got
  mkdir -p "$TOOL_BIN_DIR"
  say "building $what into ${TOOL_BIN_DIR#"$ROOT"/} ($duration on 2 cores; runs under nice)"
  t0=$(date +%s)
  # CGO off: a static binary that does not depend on the host's libc; -trimpath keeps paths out of it.
  # `go install module@version` records the version in the binary's build info, which its version command prints.
  if ! GOBIN="$TOOL_BIN_DIR" CGO_ENABLED=0 nice -n 10 go install -trimpath -ldflags='-s -w' "$package@$TOOL_VERSION"; then
    die "go install $package@$TOOL_VERSION failed after $(( $(date +%s) - t0 ))s (see above)$failure_hint"
  fi
  got=$(go_tool_version || true)
  [ "$got" = "$TOOL_VERSION" ] || die "built ${TOOL_BIN_DIR#"$ROOT"/}/$TOOL but it reports '${got:-nothing}' instead of $TOOL_VERSION"
  TOOL_BUILD_SECONDS=$(( $(date +%s) - t0 ))
}
