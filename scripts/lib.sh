# Shared functions for scripts/setup. Each function either succeeds or calls die() with what to do.
say() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

step() {
  local name="$1"; shift
  local t0; t0=$(date +%s)
  say "-> $name"
  "$@"
  say "   $name: done in $(( $(date +%s) - t0 ))s"
}

DEBIAN_PACKAGES=(docker.io docker-compose mmdebstrap chromium apache2-utils wrk openssl iptables ca-certificates curl git wget testssl.sh logrotate)

check_host() {
  [ "$(id -u)" = 0 ] || die "scripts/setup must run as root (it installs Debian packages and starts the Docker engine). Re-run with sudo, or install ${DEBIAN_PACKAGES[*]} yourself and start dockerd."
  command -v apt-get >/dev/null 2>&1 || die "this is not a Debian-like system (no apt-get). Install Docker, docker-compose, mmdebstrap and Chromium by hand, then run with RAG_SETUP_SKIP_DEBIAN=1."
  command -v node >/dev/null 2>&1 || die "Node.js is not installed. Install Node.js 20 or newer."
  local major; major=$(node -p 'process.versions.node.split(".")[0]')
  [ "$major" -ge 20 ] || die "Node.js $(node --version) is too old; rag-gate needs Node.js 20 or newer."
  local free_kb; free_kb=$(df -Pk "$ROOT" | awk 'NR==2 {print $4}')
  [ "$free_kb" -ge $((5 * 1024 * 1024)) ] || die "only $((free_kb / 1024)) MB free under $ROOT; the images and the stack need at least 5 GB. Free some space (docker system prune, old reports) and re-run."
  say "   node $(node --version), $(nproc) cores, $((free_kb / 1024 / 1024)) GB free"
}

install_debian_packages() {
  [ "${RAG_SETUP_SKIP_DEBIAN:-0}" = 1 ] && { say "   skipped (RAG_SETUP_SKIP_DEBIAN=1)"; return; }
  local missing=()
  for p in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then say "   all present"; return; fi
  say "   installing: ${missing[*]}"
  apt-get update -qq || die "apt-get update failed: check the network and /etc/apt/sources.list"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/rag-gate-apt.log 2>&1 \
    || { tail -20 /tmp/rag-gate-apt.log >&2; die "apt-get install ${missing[*]} failed (log: /tmp/rag-gate-apt.log)"; }
}

start_docker_engine() {
  if docker info >/dev/null 2>&1; then say "   engine already running: $(docker version -f '{{.Server.Version}}')"; return; fi
  command -v dockerd >/dev/null 2>&1 || die "no dockerd on this machine: install the docker.io package (apt-get install docker.io)."
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    systemctl start docker || true
  elif command -v service >/dev/null 2>&1 && [ -x /etc/init.d/docker ] && [ -d /run/systemd/system ]; then
    service docker start || true
  fi
  if ! docker info >/dev/null 2>&1; then
    say "   no init system to start it: starting dockerd in the background (log: /var/log/rag-gate-dockerd.log)"
    nohup dockerd >/var/log/rag-gate-dockerd.log 2>&1 &
  fi
  local i
  for i in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { tail -20 /var/log/rag-gate-dockerd.log >&2 2>/dev/null; die "the Docker engine did not start within 60 s (see the lines above and /var/log/rag-gate-dockerd.log). Common causes: no cgroup or overlay support in this kernel, iptables missing, another dockerd holding /var/run/docker.pid."; }
  say "   engine running: $(docker version -f '{{.Server.Version}}')"
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

build_base_image() {
  node_modules/.bin/tsx scripts/build-images.ts --base-only || die "building the base image failed (see above)"
}

build_reference_images() {
  node_modules/.bin/tsx scripts/build-images.ts || die "building the reference images failed (see above)"
}
