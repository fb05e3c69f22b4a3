#!/usr/bin/env bash
# `npm run load`: runs the k6 scripts of load/ against any target, outside the Playwright gate.
#
#   BASE_URL=https://rag.example.com API_KEY=... [CA_FILE=ssl/ca.crt] [HEALTH_URL=http://rag.example.com/health] \
#     npm run load [-- health-basic uploads queries]
#   npm run load -- --instances 2 [health-basic …]   the same load split over 2 k6 instances (execution segments),
#                                                     judged over their merged samples (scripts/load-split.ts)
#
# BASE_URL     the public entry point (Nginx). Required.
# API_KEY      the deployment's API_SECRET_KEY; needed by uploads and queries (which plants a seed document to
#              ask about: it never measures an empty system). Never printed.
# CA_FILE      PEM of a private CA that signed the server certificate: passed to k6 as SSL_CERT_FILE (Go reads
#              extra roots from it), so TLS verification stays on.
# HEALTH_URL   the `ab` line's URL (default BASE_URL/health).
# AUTH_SCHEME, AUTH_HEADER, AUTH_USER, UPLOAD_PATH, UPLOAD_FIELD, QUERY_PATH, QUESTION_FIELD, DOCUMENTS_PATH
#              the deployment profile's auth and API shape (load/lib.ts); default the contract's. With
#              AUTH_SCHEME=none, uploads and queries run without API_KEY.
# SUMMARY_DIR  where each script writes <script>.json (default reports/k6).
# Exit code: 0 only when every script passed its thresholds.
set -Euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
K6="${K6:-$ROOT/.tools/bin/k6}"
[ -x "$K6" ] || { echo "[load] no k6 at $K6: run bash scripts/install-k6.sh (or bash scripts/setup)" >&2; exit 2; }
[ -n "${BASE_URL:-}" ] || { echo "[load] BASE_URL is not set: the public URL of the deployment, e.g. BASE_URL=https://127.0.0.1:8443" >&2; exit 2; }
export SUMMARY_DIR="${SUMMARY_DIR:-$ROOT/reports/k6}"
mkdir -p "$SUMMARY_DIR"
[ -n "${CA_FILE:-}" ] && export SSL_CERT_FILE="$CA_FILE"

instances=1
scripts=()
while [ $# -gt 0 ]; do
  case "$1" in
    --instances) instances="${2:-}"; shift 2 ;;
    --instances=*) instances="${1#*=}"; shift ;;
    *) scripts+=("$1"); shift ;;
  esac
done
[[ "$instances" =~ ^[1-9][0-9]*$ ]] || { echo "[load] --instances takes a whole number of 1 or more, not \"$instances\"" >&2; exit 2; }
[ ${#scripts[@]} -gt 0 ] || scripts=(health-basic uploads queries)
if [ -z "${API_KEY:-}" ] && [ "${AUTH_SCHEME:-api-key}" != none ]; then
  echo "[load] API_KEY is not set: skipping uploads and queries (they upload documents, which needs the deployment's API_SECRET_KEY)" >&2
  kept=()
  for s in "${scripts[@]}"; do [ "$s" = uploads ] || [ "$s" = queries ] || kept+=("$s"); done
  scripts=("${kept[@]}")
fi

if [ "$instances" -gt 1 ] && [ ${#scripts[@]} -gt 0 ]; then
  cd "$ROOT" && exec npx --no-install tsx scripts/load-split.ts --summary-dir "$SUMMARY_DIR" --instances "$instances" "${scripts[@]}"
fi

failed=()
for s in "${scripts[@]}"; do
  [ -n "$s" ] || continue
  echo "[load] k6 run load/$s.ts"
  # BASE_URL, API_KEY, HEALTH_URL, SUMMARY_DIR reach the script through the environment (__ENV), not argv.
  if "$K6" run --quiet "$ROOT/load/$s.ts"; then echo "[load] $s: passed"; else rc=$?; echo "[load] $s: FAILED (k6 exit $rc)"; failed+=("$s"); fi
done
echo "[load] summaries in ${SUMMARY_DIR#"$ROOT"/}"
[ ${#failed[@]} -eq 0 ] || { echo "[load] failed: ${failed[*]}"; exit 1; }
