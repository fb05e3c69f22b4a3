#!/usr/bin/env bash
# Host-side validation of a RAG System deployment directory with the real tools (Debian packages nginx,
# prometheus (promtool), prometheus-alertmanager (amtool), logrotate, jq or python3; docker-compose optional).
#
#   scripts/validate-configs.sh [deploy-dir] [-v] [--strict]
#
# Prints PASS/FAIL/SKIP per file and exits 1 when anything FAILed (with --strict also when a tool is missing).
# Nothing is written to the deploy directory: every check runs on a temporary copy in which the container
# paths (/etc/nginx/..., /run/prometheus/admin_password, ${ALERT_*} placeholders) are substituted.
set -uo pipefail

verbose=0; strict=0; dir=""
for a in "$@"; do
  case "$a" in
    -v|--verbose) verbose=1 ;;
    --strict) strict=1 ;;
    -h|--help|-*) echo "usage: $0 [deploy-dir] [-v] [--strict]" >&2; exit 2 ;;
    *) dir="$a" ;;
  esac
done
[ -n "$dir" ] || dir="$(cd "$(dirname "$0")/.." && pwd)"
[ -d "$dir" ] || { echo "validate: deploy directory '$dir' does not exist" >&2; exit 2; }
dir="$(cd "$dir" && pwd)"
scripts="$(cd "$(dirname "$0")" && pwd)"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fails=0; skips=0; passes=0

# report <status> <file> <what> <output-file>
report() {
  local st="$1" f="$2" what="$3" out="${4:-}"
  printf '%-4s %-62s %s\n' "$st" "${f#$dir/}" "$what"
  case "$st" in FAIL) fails=$((fails+1));; SKIP) skips=$((skips+1));; PASS) passes=$((passes+1));; esac
  if [ -n "$out" ] && [ -s "$out" ] && { [ "$st" = FAIL ] || [ "$verbose" = 1 ]; }; then
    sed 's/^/       | /' "$out" | sed "s#$tmp#<tmp>#g" | head -40
  fi
}
# check <file> <what> <command...>: runs the command, PASS on exit 0
check() {
  local f="$1" what="$2"; shift 2
  local out="$tmp/out.$RANDOM"
  if "$@" >"$out" 2>&1; then report PASS "$f" "$what" "$out"; else report FAIL "$f" "$what" "$out"; fi
}
have() { command -v "$1" >/dev/null 2>&1; }

# ---------------------------------------------------------------- .env.production.template
required="SECRET_KEY API_SECRET_KEY JWT_SECRET REDIS_PASSWORD GRAFANA_PASSWORD OLLAMA_HOST OLLAMA_MODEL SSL_ENABLED LOG_LEVEL ADMIN_USER ADMIN_PASSWORD APP_VERSION ALERT_EMAIL_TO ALERT_WEBHOOK_URL"
env_template_ok() {
  local miss=""
  for k in $required; do grep -q "^$k=" "$1" || miss="$miss $k"; done
  [ -z "$miss" ] || { echo "missing variables:$miss"; return 1; }
  echo "all ${required// /, } present"
}
check "$dir/.env.production.template" "(variables from docs/stack.md)" env_template_ok "$dir/.env.production.template"

# ---------------------------------------------------------------- nginx
if have nginx; then
  n="$tmp/nginx"; mkdir -p "$n/logs" "$n/ssl"
  cp -r "$dir/nginx/." "$n/"
  if [ -s "$dir/ssl/chain.pem" ] && [ -s "$dir/ssl/server.key" ] && [ -r "$dir/ssl/server.key" ]; then
    cp "$dir/ssl/"*.crt "$dir/ssl/"*.pem "$dir/ssl/server.key" "$n/ssl/" 2>/dev/null
  else
    CERT_DAYS=2 bash "$scripts/generate-certs.sh" "$n" >/dev/null 2>&1   # throw-away certificate for the test
  fi
  : > "$n/htpasswd"
  mime=/etc/nginx/mime.types; [ -f "$mime" ] || { echo 'types { text/html html; }' > "$n/mime.types"; mime="$n/mime.types"; }
  find "$n" -type f \( -name '*.conf' -o -name '*.inc' \) -exec sed -i \
    -e "s#/etc/nginx/conf.d#$n/conf.d#g" -e "s#/etc/nginx/ssl#$n/ssl#g" -e "s#/etc/nginx/mime.types#$mime#g" \
    -e "s#/var/log/nginx#$n/logs#g" -e "s#/run/nginx/htpasswd#$n/htpasswd#g" -e "s#/run/nginx.pid#$n/nginx.pid#g" {} +
  check "$dir/nginx/nginx.conf" "(nginx -t, $(nginx -v 2>&1 | sed 's#.*/##'), with conf.d/)" nginx -t -q -c "$n/nginx.conf" -e "$n/logs/error.log"
else
  report SKIP "$dir/nginx/nginx.conf" "(nginx not installed: apt-get install nginx)"
fi

# ---------------------------------------------------------------- prometheus
p="$dir/monitoring/prometheus"
if have promtool; then
  pt="$tmp/prometheus"; mkdir -p "$pt"; cp -r "$p/." "$pt/"
  printf 'validate-placeholder' > "$tmp/admin_password"
  sed -i "s#/run/prometheus/admin_password#$tmp/admin_password#g" "$pt/prometheus.yml"
  check "$p/prometheus.yml" "(promtool check config)" promtool check config "$pt/prometheus.yml"
  for r in "$p"/rules/*.yml; do
    [ -e "$r" ] || { report FAIL "$p/rules/" "(no rule files)"; break; }
    check "$r" "(promtool check rules)" promtool check rules "$r"
  done
  for t in "$p"/tests/*.yml; do
    [ -e "$t" ] || { report FAIL "$p/tests/" "(no rule unit tests)"; break; }
    check "$t" "(promtool test rules)" promtool test rules "$t"
  done
  # the five alerts the checklist names must exist with severity + summary/description
  alerts_present() {
    local miss=""
    for a in HighMemoryUsage HighCPUUsage ServiceUnavailable HighQueryFailureRate DocumentProcessingFailures; do
      grep -q "alert: $a\$" "$p"/rules/*.yml || miss="$miss $a"
    done
    [ -z "$miss" ] || { echo "missing alerts:$miss"; return 1; }
    echo "all five checklist alerts defined"
  }
  check "$p/rules/" "(the checklist's five alerts)" alerts_present
else
  report SKIP "$p/prometheus.yml" "(promtool not installed: apt-get install prometheus)"
fi

# ---------------------------------------------------------------- alertmanager
a="$dir/monitoring/alertmanager/alertmanager.yml"
if have amtool; then
  email="ops@example.com"; hook="http://127.0.0.1:5001/rag-alerts"
  if [ -r "$dir/.env.production" ]; then
    v="$(sed -n 's/^ALERT_EMAIL_TO=//p' "$dir/.env.production")"; [ -n "$v" ] && email="$v"
    v="$(sed -n 's/^ALERT_WEBHOOK_URL=//p' "$dir/.env.production")"; [ -n "$v" ] && hook="$v"
  fi
  # same substitution as the image's entrypoint (envsubst of exactly these two variables)
  sed -e "s#\${ALERT_EMAIL_TO}#$email#g" -e "s#\${ALERT_WEBHOOK_URL}#$hook#g" "$a" > "$tmp/alertmanager.yml"
  check "$a" "(amtool check-config, placeholders substituted)" amtool check-config "$tmp/alertmanager.yml"
  both_receivers() {
    local r; r="$(amtool config routes test --config.file="$tmp/alertmanager.yml" alertname=ServiceUnavailable severity=critical 2>/dev/null)"
    echo "an alert goes to: $r"
    [[ "$r" == *email* && "$r" == *webhook* ]]
  }
  check "$a" "(every alert reaches email and webhook)" both_receivers
else
  report SKIP "$a" "(amtool not installed: apt-get install prometheus-alertmanager)"
fi

# ---------------------------------------------------------------- grafana
g="$dir/monitoring/grafana"
json_ok() {
  if have jq; then jq -e '.panels | length > 0' "$1" >/dev/null
  elif have python3; then python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["panels"]' "$1"
  else node -e 'const d=JSON.parse(require("fs").readFileSync(process.argv[1]));if(!d.panels.length)process.exit(1)' "$1"; fi
}
# Series the stack really exports (node-exporter, the backend per docs/stack.md, process_*, up, ALERTS).
known_series='^(up|ALERTS|node_memory_MemAvailable_bytes|node_memory_MemTotal_bytes|node_cpu_seconds_total|node_load(1|5|15)|node_filesystem_(avail|size)_bytes|node_disk_(read|written)_bytes_total|node_network_(receive|transmit)_bytes_total|http_requests_total|http_request_duration_seconds_bucket|rag_queries_total|rag_query_duration_seconds_bucket|rag_documents_processed_total|rag_document_processing_seconds_bucket|rag_documents|rag_websocket_connections|process_(resident_memory_bytes|cpu_seconds_total|open_fds|max_fds|virtual_memory_bytes|start_time_seconds))$'
dash_queries_ok() {
  local f="$1" rules="$tmp/dash-$RANDOM.yml" exprs
  if have jq; then exprs="$(jq -r '.. | objects | select(has("expr")) | .expr' "$f")"
  else exprs="$(python3 -c 'import json,sys
def w(o):
  if isinstance(o,dict):
    if "expr" in o: print(o["expr"])
    for v in o.values(): w(v)
  elif isinstance(o,list):
    for v in o: w(v)
w(json.load(open(sys.argv[1])))' "$f")"; fi
  [ -n "$exprs" ] || { echo "no queries"; return 1; }
  { echo "groups:"; echo "  - name: dashboard"; echo "    rules:"
    i=0; while IFS= read -r e; do i=$((i+1)); q="'"; printf "      - record: q%d\n        expr: '%s'\n" "$i" "${e//$q/$q$q}"; done <<<"$exprs"
  } > "$rules"
  have promtool && { promtool check rules "$rules" >/dev/null 2>"$tmp/pe" || { echo "PromQL does not parse:"; cat "$tmp/pe"; return 1; }; }
  local bad; bad="$(grep -oE '\b(node|http|rag|process)_[a-zA-Z0-9_]+' <<<"$exprs" | sort -u | grep -vE "$known_series" || true)"
  [ -z "$bad" ] || { echo "series the stack does not export: $bad"; return 1; }
  echo "$(wc -l <<<"$exprs") queries parse and use only exported series"
}
for f in "$g"/dashboards/*.json; do
  [ -e "$f" ] || { report FAIL "$g/dashboards/" "(no dashboards)"; break; }
  check "$f" "(valid JSON with panels)" json_ok "$f"
  check "$f" "(PromQL parses, known series)" dash_queries_ok "$f"
done
ds_ok() {
  grep -q 'uid: prometheus' "$1" && grep -q 'url: http://prometheus:9090' "$1" && grep -q 'basicAuthPassword: \$__env{ADMIN_PASSWORD}' "$1" \
    || { echo "expected uid prometheus, url http://prometheus:9090, basicAuthPassword \$__env{ADMIN_PASSWORD}"; return 1; }
  if have python3 && python3 -c 'import yaml' 2>/dev/null; then python3 -c 'import yaml,sys; yaml.safe_load(open(sys.argv[1]))' "$1"; fi
}
check "$g/provisioning/datasources/prometheus.yml" "(datasource fields)" ds_ok "$g/provisioning/datasources/prometheus.yml"
check "$g/provisioning/dashboards/dashboards.yml" "(provider path)" grep -q 'path: /var/lib/grafana/dashboards' "$g/provisioning/dashboards/dashboards.yml"

# ---------------------------------------------------------------- logrotate
l="$dir/logrotate/rag-system"
if have logrotate; then
  sed "s#/opt/rag-system#$dir#g" "$l" > "$tmp/logrotate.conf"
  lr_ok() { logrotate -d -s "$tmp/logrotate.state" "$tmp/logrotate.conf" >"$tmp/lr.out" 2>&1; local rc=$?; cat "$tmp/lr.out"; [ $rc = 0 ] && ! grep -qiE '^error|unknown option|bad .* option' "$tmp/lr.out"; }
  check "$l" "(logrotate -d)" lr_ok
else
  report SKIP "$l" "(logrotate not installed)"
fi

# ---------------------------------------------------------------- docker-compose (optional)
for c in "$dir"/docker-compose.production.yml "$dir"/docker-compose.monitoring.yml; do
  [ -f "$c" ] || { report FAIL "$c" "(missing)"; continue; }
  if have docker-compose; then
    d="$tmp/compose"; mkdir -p "$d"; cp "$c" "$d/"
    [ -f "$dir/.env.production" ] && cp "$dir/.env.production" "$d/" || cp "$dir/.env.production.template" "$d/.env.production"
    check "$c" "(docker-compose config -q)" docker-compose --project-directory "$d" -f "$d/$(basename "$c")" config -q
  else
    report SKIP "$c" "(docker-compose not installed)"
  fi
done

echo "---- $passes passed, $fails failed, $skips skipped"
[ "$fails" = 0 ] || exit 1
[ "$strict" = 0 ] || [ "$skips" = 0 ] || exit 1
exit 0
