#!/usr/bin/env bash
# Creates a local CA and a server certificate for Nginx in <deploy-dir>/ssl/.
#
#   scripts/generate-certs.sh [deploy-dir] [--force]
#
#   ssl/ca.crt      local CA certificate (ECDSA P-256, 10 years) – give this to clients/the gate to trust
#   ssl/ca.key      its private key (mode 600)
#   ssl/server.crt  server certificate, SAN DNS:localhost, IP:127.0.0.1, DNS:nginx (+ CERT_EXTRA_SAN)
#   ssl/server.key  its private key (mode 600)
#   ssl/chain.pem   server.crt followed by ca.crt (what Nginx serves)
#
# Environment: CERT_DAYS (server certificate validity, default 397 – the maximum browsers accept),
#              CERT_CN (default localhost), CERT_EXTRA_SAN (e.g. "DNS:rag.example.com,IP:10.0.0.5").
# Idempotent: when a server certificate already exists it is left alone (exit 0) unless --force.
# With --force the existing CA is reused (clients keep trusting it); remove ssl/ca.* to replace the CA too.
set -euo pipefail

usage() { echo "usage: $0 [deploy-dir] [--force]" >&2; exit 2; }
die() { echo "generate-certs: $*" >&2; exit 1; }

force=0; dir=""
for a in "$@"; do
  case "$a" in
    --force) force=1 ;;
    -h|--help|-*) usage ;;
    *) [ -z "$dir" ] || usage; dir="$a" ;;
  esac
done
[ -n "$dir" ] || dir="$(cd "$(dirname "$0")/.." && pwd)"
[ -d "$dir" ] || die "deploy directory '$dir' does not exist"
command -v openssl >/dev/null || die "openssl is not installed (apt-get install openssl)"

days="${CERT_DAYS:-397}"
[[ "$days" =~ ^[0-9]+$ ]] && [ "$days" -ge 1 ] || die "CERT_DAYS must be a positive number of days, got '$days'"
cn="${CERT_CN:-localhost}"
san="DNS:localhost,IP:127.0.0.1,DNS:nginx${CERT_EXTRA_SAN:+,$CERT_EXTRA_SAN}"

ssl="$dir/ssl"
mkdir -p "$ssl"
if [ -s "$ssl/server.crt" ] && [ -s "$ssl/server.key" ] && [ "$force" != 1 ]; then
  echo "generate-certs: $ssl/server.crt already exists (expires $(openssl x509 -in "$ssl/server.crt" -noout -enddate | cut -d= -f2)); keeping it. Use --force to re-issue."
  exit 0
fi

umask 077
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if [ -s "$ssl/ca.crt" ] && [ -s "$ssl/ca.key" ]; then
  echo "generate-certs: reusing the existing CA $ssl/ca.crt"
  cp "$ssl/ca.crt" "$work/ca.crt"; cp "$ssl/ca.key" "$work/ca.key"
else
  openssl req -x509 -new -nodes -sha256 -days 3650 \
    -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
    -keyout "$work/ca.key" -out "$work/ca.crt" \
    -subj "/O=RAG System/CN=RAG System Local CA" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectKeyIdentifier=hash" 2>/dev/null
fi

openssl req -new -nodes -sha256 \
  -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
  -keyout "$work/server.key" -out "$work/server.csr" \
  -subj "/O=RAG System/CN=$cn" 2>/dev/null

cat > "$work/ext.cnf" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=$san
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid,issuer
EXT
openssl x509 -req -sha256 -days "$days" \
  -in "$work/server.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" \
  -set_serial "0x$(openssl rand -hex 16)" -extfile "$work/ext.cnf" \
  -out "$work/server.crt" 2>/dev/null

openssl verify -CAfile "$work/ca.crt" "$work/server.crt" >/dev/null \
  || die "the new server certificate does not verify against the CA"
cat "$work/server.crt" "$work/ca.crt" > "$work/chain.pem"

for f in ca.crt ca.key server.crt server.key chain.pem; do
  install -m 600 "$work/$f" "$ssl/$f.new"
  mv -f "$ssl/$f.new" "$ssl/$f"
done
chmod 644 "$ssl/ca.crt" "$ssl/server.crt" "$ssl/chain.pem"
chmod 600 "$ssl/ca.key" "$ssl/server.key"

echo "generate-certs: wrote $ssl/{ca.crt,ca.key,server.crt,server.key,chain.pem}"
echo "  subject:  $(openssl x509 -in "$ssl/server.crt" -noout -subject | sed 's/^subject=//')"
echo "  SAN:      $san"
echo "  expires:  $(openssl x509 -in "$ssl/server.crt" -noout -enddate | cut -d= -f2) ($days days)"
