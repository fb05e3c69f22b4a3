#!/usr/bin/env bash
# Restores a backup written by backup.sh – after verifying every checksum.
#
#   scripts/restore.sh <backup-dir | backup.tar.gz> [deploy-dir] [--verify-only] [--with-config]
#
# 1. Verifies the backup: MANIFEST.sha256 and manifest.json present, every listed file present with the
#    right SHA-256, no unlisted files, file_count as recorded. Any problem: a message naming the file,
#    exit 1, and nothing is written.
# 2. --verify-only stops here (writes nothing, not even a temporary file in the deploy directory).
# 3. Otherwise replaces data/documents, data/chroma and data/redis in the deploy directory with the
#    backup's copies (the previous contents are moved to data/.pre-restore-<ts>/ – delete it once happy),
#    and with --with-config also restores nginx/, monitoring/, the compose files and the public
#    certificates. Secrets (secrets.tar.enc) are restored only with BACKUP_PASSPHRASE_FILE set.
# 4. Re-checks the restored files against the manifest.
# Stop the stack first: docker-compose -f docker-compose.production.yml stop; ... -f docker-compose.monitoring.yml stop redis
set -euo pipefail

die() { echo "restore: $*" >&2; exit 1; }
usage() { echo "usage: $0 <backup-dir|backup.tar.gz> [deploy-dir] [--verify-only] [--with-config]" >&2; exit 2; }

verify_only=0; with_config=0; backup=""; dir=""
for a in "$@"; do
  case "$a" in
    --verify-only) verify_only=1 ;;
    --with-config) with_config=1 ;;
    -h|--help|-*) usage ;;
    *) if [ -z "$backup" ]; then backup="$a"; elif [ -z "$dir" ]; then dir="$a"; else usage; fi ;;
  esac
done
[ -n "$backup" ] || usage
[ -n "$dir" ] || dir="$(cd "$(dirname "$0")/.." && pwd)"
[ -e "$backup" ] || die "backup '$backup' does not exist"

umask 077
work=""
cleanup() { [ -n "$work" ] && rm -rf "$work"; return 0; }
trap cleanup EXIT

# A .tar.gz is unpacked into a private temporary directory (outside the deploy directory).
if [ -f "$backup" ]; then
  case "$backup" in *.tar.gz|*.tgz) ;; *) die "'$backup' is neither a backup directory nor a .tar.gz";; esac
  work="$(mktemp -d)"
  tar -xzf "$backup" -C "$work" 2>/dev/null || die "REFUSED: '$backup' is not a readable gzip tar archive (corrupted or truncated)"
  src="$(find "$work" -mindepth 1 -maxdepth 1 -type d | head -1)"
  [ -n "$src" ] || die "REFUSED: '$backup' contains no backup directory"
else
  src="$(cd "$backup" && pwd)"
fi

# ---------- 1. verify ----------
refuse() { echo "restore: REFUSED: backup '$backup' is corrupted or incomplete: $*" >&2; echo "restore: nothing was restored." >&2; exit 1; }
[ -f "$src/MANIFEST.sha256" ] || refuse "MANIFEST.sha256 is missing"
[ -s "$src/MANIFEST.sha256" ] || refuse "MANIFEST.sha256 is empty"
[ -f "$src/manifest.json" ] || refuse "manifest.json is missing"
grep -qx 'manifest.json' <(sed -E 's/^[0-9a-f]{64}  //' "$src/MANIFEST.sha256") \
  || refuse "manifest.json is not covered by MANIFEST.sha256"

bad=0
while IFS= read -r line; do
  [[ "$line" =~ ^([0-9a-f]{64})\ \ (.+)$ ]] || { echo "restore: malformed MANIFEST.sha256 line: $line" >&2; bad=1; continue; }
  sum="${BASH_REMATCH[1]}"; f="${BASH_REMATCH[2]}"
  case "$f" in /*|../*|*/../*) echo "restore: unsafe path in MANIFEST.sha256: $f" >&2; bad=1; continue ;; esac
  if [ ! -f "$src/$f" ]; then
    echo "restore: MISSING  $f" >&2; bad=1
  elif [ "$(sha256sum -- "$src/$f" | cut -d' ' -f1)" != "$sum" ]; then
    echo "restore: CHECKSUM MISMATCH  $f" >&2; bad=1
  fi
done < "$src/MANIFEST.sha256"
# Files that are in the backup but not in the manifest were added after the fact.
while IFS= read -r -d '' f; do
  grep -qxF -- "$f" <(sed -E 's/^[0-9a-f]{64}  //' "$src/MANIFEST.sha256") || { echo "restore: UNLISTED FILE  $f" >&2; bad=1; }
done < <(cd "$src" && find . -type f ! -name MANIFEST.sha256 -printf '%P\0')
[ "$bad" = 0 ] || refuse "see the file(s) named above"

listed="$(wc -l < "$src/MANIFEST.sha256")"
recorded="$(sed -nE 's/^[[:space:]]*"file_count":[[:space:]]*([0-9]+).*/\1/p' "$src/manifest.json")"
[ -n "$recorded" ] || refuse "manifest.json has no file_count"
# file_count counts the backed-up files; MANIFEST.sha256 also covers manifest.json itself.
[ "$recorded" = "$((listed - 1))" ] || refuse "manifest.json records $recorded files but MANIFEST.sha256 lists $((listed - 1)) (+ manifest.json)"
for d in data/documents data/chroma data/redis; do
  [ -d "$src/$d" ] || refuse "$d/ is missing"
done
echo "restore: backup verified: $listed files, all checksums match ($(sed -nE 's/.*"created": *"([^"]+)".*/\1/p' "$src/manifest.json"))"

if [ "$verify_only" = 1 ]; then
  echo "restore: --verify-only: nothing written"
  exit 0
fi

# ---------- 2. restore ----------
[ -d "$dir" ] || die "deploy directory '$dir' does not exist"
dir="$(cd "$dir" && pwd)"
if command -v docker >/dev/null 2>&1; then
  running="$(docker ps --filter "label=com.docker.compose.project.working_dir=$dir" --format '{{.Label "com.docker.compose.service"}}' 2>/dev/null | grep -xE 'rag-backend|chroma|redis' | tr '\n' ' ' || true)"
  [ -z "$running" ] || echo "restore: warning: still running: $running– restart them after the restore so they pick up the data" >&2
fi
ts="$(date -u +%Y%m%dT%H%M%SZ)"
aside="$dir/data/.pre-restore-$ts"
for d in documents chroma redis; do
  mkdir -p "$dir/data/$d" "$aside/$d"
  (cd "$dir/data/$d" && find . -mindepth 1 -maxdepth 1 ! -name .gitkeep -exec mv {} "$aside/$d/" \;)
  (cd "$src/data/$d" && find . -mindepth 1 -maxdepth 1 -exec cp -a {} "$dir/data/$d/" \;)
done
chmod 700 "$aside"
echo "restore: data restored; previous contents kept in $aside"

if [ "$with_config" = 1 ]; then
  for f in docker-compose.production.yml docker-compose.monitoring.yml .env.production.template; do
    [ -f "$src/config/$f" ] && install -m 644 "$src/config/$f" "$dir/$f"
  done
  for d in nginx monitoring logrotate; do
    [ -d "$src/config/$d" ] && { mkdir -p "$dir/$d"; cp -r "$src/config/$d/." "$dir/$d/"; chmod -R u=rwX,go=rX "$dir/$d"; }
  done
  mkdir -p "$dir/ssl"
  for f in ca.crt server.crt chain.pem; do
    [ -f "$src/config/ssl/$f" ] && install -m 644 "$src/config/ssl/$f" "$dir/ssl/$f"
  done
  echo "restore: configuration restored (nginx/, monitoring/, compose files, public certificates)"
fi

if [ -f "$src/secrets.tar.enc" ]; then
  if [ -n "${BACKUP_PASSPHRASE_FILE:-}" ]; then
    openssl enc -d -aes-256-cbc -pbkdf2 -iter 200000 -pass "file:$BACKUP_PASSPHRASE_FILE" -in "$src/secrets.tar.enc" \
      | tar -C "$dir" -xf - || die "could not decrypt secrets.tar.enc (wrong passphrase?)"
    chmod 600 "$dir/.env.production" "$dir"/ssl/*.key 2>/dev/null || true
    echo "restore: secrets restored (.env.production, private keys)"
  else
    echo "restore: secrets.tar.enc not restored (set BACKUP_PASSPHRASE_FILE to decrypt it)"
  fi
fi

# ---------- 3. re-check what was written ----------
bad=0
while IFS= read -r line; do
  sum="${line:0:64}"; f="${line:66}"
  case "$f" in
    data/*) t="$dir/$f" ;;
    config/*) [ "$with_config" = 1 ] || continue; t="$dir/${f#config/}" ;;
    *) continue ;;
  esac
  case "$f" in config/scripts/*) continue ;; esac
  [ -f "$t" ] && [ "$(sha256sum -- "$t" | cut -d' ' -f1)" = "$sum" ] || { echo "restore: after restore $t does not match the backup" >&2; bad=1; }
done < "$src/MANIFEST.sha256"
[ "$bad" = 0 ] || die "restored files differ from the backup (disk full? concurrent writer?)"
echo "restore: done; restored files match MANIFEST.sha256. Start the stack again."
