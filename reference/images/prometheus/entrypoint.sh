#!/bin/sh
# Basic auth for Prometheus' own HTTP API/UI: a bcrypt web config from ADMIN_USER/ADMIN_PASSWORD, and the
# password as a file for scraping Alertmanager and itself. Then runs prometheus as its own user.
set -eu
mkdir -p /run/prometheus
umask 027
if [ -z "${ADMIN_PASSWORD:-}" ]; then
  echo "entrypoint: ADMIN_PASSWORD is not set; Prometheus would be open to anyone. Set it in .env.production." >&2
  exit 1
fi
hash=$(printf '%s\n' "$ADMIN_PASSWORD" | htpasswd -niB "${ADMIN_USER:-admin}" | cut -d: -f2-)
printf 'basic_auth_users:\n  %s: %s\n' "${ADMIN_USER:-admin}" "$hash" > /run/prometheus/web.yml
printf '%s' "$ADMIN_PASSWORD" > /run/prometheus/admin_password
chown -R prometheus:prometheus /run/prometheus /prometheus
unset ADMIN_PASSWORD
exec setpriv --reuid=prometheus --regid=prometheus --init-groups "$@"
