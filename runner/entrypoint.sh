#!/usr/bin/env bash
# The runner image's entrypoint: the release gate in live mode against a running deployment.
#   rag-gate --base-url URL [--deploy-dir DIR] [--ca-file FILE] [--env-file FILE] [--on-host] [--strict] [-- playwright args]
#   rag-gate --version
# The flags set the gate's own variables (RAG_BASE_URL, RAG_DEPLOY_DIR, RAG_CA_FILE, RAG_ENV_FILE,
# RAG_ON_DEPLOYMENT_HOST=1, RAG_STRICT); every other setting (RAG_<SERVICE>_URL, RAG_ALLOW_DESTRUCTIVE, …) is passed
# with `docker run -e`. Files and directories are paths inside the container: mount them
# (`-v /srv/rag-system:/deploy:ro --deploy-dir /deploy`). The container is not the deployment host: with --deploy-dir
# the deployment's files are checked, but the host lines (RAM, cores, OS, tool versions, services, ports) are not
# verified, with that reason. --on-host is for a container run deliberately with the host's view (`--pid host
# --network host`, the host's files where the checks look): the host lines then judge what the container sees.
# Reports go to /gate/reports (mount it); the exit code is the gate's.
set -euo pipefail
cd /gate
usage() {
  sed -n '3,12p' "$0" | sed 's/^# \{0,1\}//'
}
while [ $# -gt 0 ]; do
  case "$1" in
    --base-url) export RAG_BASE_URL="${2:?--base-url needs a URL}"; shift ;;
    --deploy-dir) export RAG_DEPLOY_DIR="${2:?--deploy-dir needs a directory}"; shift ;;
    --ca-file) export RAG_CA_FILE="${2:?--ca-file needs a file}"; shift ;;
    --env-file) export RAG_ENV_FILE="${2:?--env-file needs a file}"; shift ;;
    --on-host) export RAG_ON_DEPLOYMENT_HOST=1 ;;
    --strict) export RAG_STRICT=1 ;;
    --version)
      echo "rag-gate $(node -p 'require("./package.json").version') · Node $(node -v | tr -d v) · Playwright $(node -p 'require("@playwright/test/package.json").version') · $(chromium --version 2>/dev/null) · k6 $(.tools/bin/k6 version 2>/dev/null | awk 'NR==1{print $2}') · testssl.sh $(testssl --version 2>/dev/null | sed 's/\x1b\[[0-9;]*m//g' | awk '$1 == "testssl" {print $2; exit}') · promtool $(promtool --version 2>&1 | awk 'NR==1{print $3}')"
      exit 0 ;;
    -h|--help) usage; exit 0 ;;
    --) shift; break ;;
    *) echo "rag-gate: unknown argument $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done
if [ -z "${RAG_BASE_URL:-}" ]; then
  echo "rag-gate: the runner image checks a running deployment: give --base-url https://… (or -e RAG_BASE_URL)" >&2
  exit 2
fi
exec bash scripts/release-gate "$@"
