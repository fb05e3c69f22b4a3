#!/usr/bin/env bash
# Writes <deploy-dir>/.env.production from .env.production.template with fresh random secrets.
#
#   scripts/generate-env.sh [deploy-dir] [--force]
#
# - SECRET_KEY, API_SECRET_KEY, JWT_SECRET: 64 random alphanumeric characters (from /dev/urandom)
# - REDIS_PASSWORD, GRAFANA_PASSWORD, ADMIN_PASSWORD: 32 random alphanumeric characters
# - OLLAMA_HOST=http://ollama:11434, SSL_ENABLED=true, LOG_LEVEL=INFO, ADMIN_USER=admin
# - ALERT_EMAIL_TO / ALERT_WEBHOOK_URL: taken from the environment when set, else local placeholders
# The file is created with mode 600 and no value is ever printed. An existing file is kept unless --force.
set -euo pipefail

usage() { echo "usage: $0 [deploy-dir] [--force]" >&2; exit 2; }
die() { echo "generate-env: $*" >&2; exit 1; }

force=0; dir=""
for a in "$@"; do
  case "$a" in
    --force) force=1 ;;
    -h|--help) usage ;;
    -*) usage ;;
    *) [ -z "$dir" ] || usage; dir="$a" ;;
  esac
done
[ -n "$dir" ] || dir="$(cd "$(dirname "$0")/.." && pwd)"
[ -d "$dir" ] || die "deploy directory '$dir' does not exist"

template="$dir/.env.production.template"
out="$dir/.env.production"
[ -f "$template" ] || die "template '$template' not found"
if [ -e "$out" ] && [ "$force" != 1 ]; then
  die "'$out' already exists; refusing to overwrite it (its secrets are in use). Re-run with --force to replace it."
fi

# n random characters from [A-Za-z0-9], read from /dev/urandom without SIGPIPE races.
rand_alnum() {
  local n="$1" s=""
  while [ "${#s}" -lt "$n" ]; do
    s+=$(head -c 512 /dev/urandom | LC_ALL=C tr -dc 'A-Za-z0-9')
  done
  printf '%s' "${s:0:$n}"
}

umask 077
tmp="$(mktemp "$dir/.env.production.XXXXXX")"
trap 'rm -f "$tmp"' EXIT

# Values are handed to awk through the environment (never on a command line, where `ps` would show them).
GEN_SECRET_KEY="$(rand_alnum 64)" \
GEN_API_SECRET_KEY="$(rand_alnum 64)" \
GEN_JWT_SECRET="$(rand_alnum 64)" \
GEN_REDIS_PASSWORD="$(rand_alnum 32)" \
GEN_GRAFANA_PASSWORD="$(rand_alnum 32)" \
GEN_ADMIN_PASSWORD="$(rand_alnum 32)" \
GEN_ADMIN_USER="admin" \
GEN_OLLAMA_HOST="http://ollama:11434" \
GEN_SSL_ENABLED="true" \
GEN_LOG_LEVEL="INFO" \
GEN_ALERT_EMAIL_TO="${ALERT_EMAIL_TO:-ops@rag-system.local}" \
GEN_ALERT_WEBHOOK_URL="${ALERT_WEBHOOK_URL:-http://127.0.0.1:5001/rag-alerts}" \
awk '
  /^[[:space:]]*#/ || !/=/ { print; next }
  {
    key = substr($0, 1, index($0, "=") - 1)
    gsub(/[[:space:]]/, "", key)
    if (("GEN_" key) in ENVIRON) { print key "=" ENVIRON["GEN_" key]; seen[key] = 1 } else print
  }
' "$template" > "$tmp"

if grep -q '^[^#]*=.*CHANGE_ME' "$tmp"; then
  die "template has variables this script does not know how to fill: $(grep '^[^#]*=.*CHANGE_ME' "$tmp" | cut -d= -f1 | tr '\n' ' ')"
fi
for k in SECRET_KEY API_SECRET_KEY JWT_SECRET REDIS_PASSWORD GRAFANA_PASSWORD ADMIN_USER ADMIN_PASSWORD \
         OLLAMA_HOST OLLAMA_MODEL SSL_ENABLED LOG_LEVEL APP_VERSION ALERT_EMAIL_TO ALERT_WEBHOOK_URL; do
  grep -q "^$k=." "$tmp" || die "template lacks $k; restore .env.production.template from git"
done

chmod 600 "$tmp"
mv -f "$tmp" "$out"
trap - EXIT
echo "generate-env: wrote $out (mode 600, $(grep -c '^[A-Z_]*=' "$out") variables; values not shown)"
