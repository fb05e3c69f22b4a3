#!/usr/bin/env bash
# Backs up the RAG System deployment: documents, vector database, Redis and configuration.
#
#   scripts/backup.sh [deploy-dir] [--archive]
#
# Writes <deploy-dir>/backups/backup-<UTC timestamp>/ (or, with --archive, backup-<ts>.tar.gz):
#   data/documents/  data/chroma/  data/redis/        copies of the bind-mounted data
#   config/          docker-compose.*.yml, .env.production.template, nginx/, monitoring/,
#                    ssl/{ca.crt,server.crt,chain.pem} (public certificates only)
#   secrets.tar.enc  ONLY when BACKUP_PASSPHRASE_FILE is set: .env.production and ssl/*.key, encrypted with
#                    AES-256 (openssl enc -pbkdf2). Without it secrets are NOT backed up (they can be
#                    regenerated with generate-env.sh / generate-certs.sh; keep the passphrase elsewhere).
#   manifest.json    {created, version, file_count, bytes, ...}
#   MANIFEST.sha256  sha256sum of every other file (restore.sh verifies it before touching anything)
# Permissions: backups/ and every backup directory 700, every file 600, whatever the umask.
# For a consistent copy stop writers first (docker-compose -f docker-compose.production.yml stop
# rag-backend chroma) or accept a crash-consistent copy; this deployment's Redis container (found by its
# compose working_dir label) is asked to SAVE first when it runs.
set -euo pipefail

die() { echo "backup: $*" >&2; exit 1; }
usage() { echo "usage: $0 [deploy-dir] [--archive]" >&2; exit 2; }

archive=0; dir=""
for a in "$@"; do
  case "$a" in
    --archive) archive=1 ;;
    -h|--help|-*) usage ;;
    *) [ -z "$dir" ] || usage; dir="$a" ;;
  esac
done
[ -n "$dir" ] || dir="$(cd "$(dirname "$0")/.." && pwd)"
[ -d "$dir" ] || die "deploy directory '$dir' does not exist"
dir="$(cd "$dir" && pwd)"

umask 077
now="$(date -u +%s)"
ts="$(date -u -d "@$now" +%Y%m%dT%H%M%SZ)"
created="$(date -u -d "@$now" +%Y-%m-%dT%H:%M:%SZ)"
mkdir -p "$dir/backups"
chmod 700 "$dir/backups"
name="backup-$ts"
dest="$dir/backups/$name"
[ ! -e "$dest" ] && [ ! -e "$dest.tar.gz" ] || die "'$dest' already exists"
partial="$dir/backups/.$name.partial"
trap 'rm -rf "$partial"' EXIT
mkdir -p "$partial"

# Redis: flush its dataset to data/redis before copying (best effort; needs docker and a running container).
if [ "${BACKUP_SKIP_REDIS_SAVE:-0}" != 1 ] && command -v docker >/dev/null 2>&1; then
  # Only the Redis of THIS deployment (compose records the project directory as a label).
  rc="$(docker ps -q --filter label=com.docker.compose.service=redis \
          --filter "label=com.docker.compose.project.working_dir=$dir" 2>/dev/null | head -1 || true)"
  if [ -n "$rc" ]; then
    if docker exec "$rc" sh -c 'REDISCLI_AUTH="$(cat /run/redis/password)" redis-cli SAVE' >/dev/null 2>&1; then
      echo "backup: redis SAVE done in container $rc"
    else
      echo "backup: warning: could not run redis SAVE in $rc; copying data/redis as it is" >&2
    fi
  fi
fi

# --- data ---
for d in documents chroma redis; do
  mkdir -p "$partial/data/$d"
  if [ -d "$dir/data/$d" ]; then
    # -a keeps owners (the containers' users) and times; .gitkeep placeholders are not data.
    (cd "$dir/data/$d" && find . -mindepth 1 -maxdepth 1 ! -name .gitkeep -exec cp -a {} "$partial/data/$d/" \;)
  else
    echo "backup: warning: $dir/data/$d does not exist; backing up an empty directory" >&2
  fi
done

# --- configuration (no secrets) ---
mkdir -p "$partial/config/ssl"
for f in docker-compose.production.yml docker-compose.monitoring.yml .env.production.template; do
  [ -f "$dir/$f" ] && cp -a "$dir/$f" "$partial/config/"
done
for d in nginx monitoring logrotate scripts; do
  [ -d "$dir/$d" ] && cp -a "$dir/$d" "$partial/config/"
done
for f in ca.crt server.crt chain.pem; do
  [ -f "$dir/ssl/$f" ] && cp -a "$dir/ssl/$f" "$partial/config/ssl/"
done

# --- secrets: only encrypted, only when asked ---
secrets="excluded"
if [ -n "${BACKUP_PASSPHRASE_FILE:-}" ]; then
  [ -r "$BACKUP_PASSPHRASE_FILE" ] || die "BACKUP_PASSPHRASE_FILE '$BACKUP_PASSPHRASE_FILE' is not readable"
  list=()
  [ -f "$dir/.env.production" ] && list+=(".env.production")
  for k in server.key ca.key; do [ -f "$dir/ssl/$k" ] && list+=("ssl/$k"); done
  if [ ${#list[@]} -gt 0 ]; then
    tar -C "$dir" -cf - "${list[@]}" \
      | openssl enc -aes-256-cbc -pbkdf2 -iter 200000 -salt -pass "file:$BACKUP_PASSPHRASE_FILE" \
          -out "$partial/secrets.tar.enc"
    secrets="encrypted (secrets.tar.enc: ${list[*]})"
  fi
fi

# --- permissions, manifest.json, MANIFEST.sha256 ---
find "$partial" -type d -exec chmod 700 {} +
find "$partial" -type f -exec chmod 600 {} +

count="$(find "$partial" -type f | wc -l)"
bytes="$(find "$partial" -type f -printf '%s\n' | awk '{s+=$1} END {print s+0}')"
version="$(grep -s '^APP_VERSION=' "$dir/.env.production" "$dir/.env.production.template" | head -1 | cut -d= -f2- || true)"
cat > "$partial/manifest.json" <<JSON
{
  "name": "$name",
  "created": "$created",
  "version": "${version:-1.0.0}",
  "host": "$(hostname)",
  "file_count": $count,
  "bytes": $bytes,
  "contents": ["data/documents", "data/chroma", "data/redis", "config"],
  "secrets": "$secrets",
  "checksums": "MANIFEST.sha256"
}
JSON
chmod 600 "$partial/manifest.json"
sums="$(cd "$partial" && find . -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 -r sha256sum --)"
printf '%s\n' "$sums" > "$partial/MANIFEST.sha256"
chmod 600 "$partial/MANIFEST.sha256"

if [ "$archive" = 1 ]; then
  mv "$partial" "$dir/backups/$name"
  trap 'rm -rf "$dir/backups/$name"' EXIT
  tar -C "$dir/backups" -czf "$dest.tar.gz.partial" "$name"
  chmod 600 "$dest.tar.gz.partial"
  mv "$dest.tar.gz.partial" "$dest.tar.gz"
  rm -rf "$dir/backups/$name"
  trap - EXIT
  out="$dest.tar.gz"
else
  mv "$partial" "$dest"
  trap - EXIT
  out="$dest"
fi
echo "backup: wrote $out ($count files + MANIFEST.sha256, $bytes bytes; secrets: $secrets)"
