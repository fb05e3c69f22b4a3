#!/bin/sh
# Alertmanager does not expand environment variables: substitute ${ALERT_WEBHOOK_URL} and ${ALERT_EMAIL_TO}
# into a private copy of the mounted config, write a bcrypt web config for basic auth, then start it.
set -eu
mkdir -p /run/alertmanager
umask 027
if [ -z "${ADMIN_PASSWORD:-}" ]; then
  echo "entrypoint: ADMIN_PASSWORD is not set; Alertmanager would be open to anyone. Set it in .env.production." >&2
  exit 1
fi
envsubst '${ALERT_WEBHOOK_URL} ${ALERT_EMAIL_TO}' < /etc/alertmanager/alertmanager.yml > /run/alertmanager/alertmanager.yml
hash=$(printf '%s\n' "$ADMIN_PASSWORD" | htpasswd -niB "${ADMIN_USER:-admin}" | cut -d: -f2-)
printf 'basic_auth_users:\n  %s: %s\n' "${ADMIN_USER:-admin}" "$hash" > /run/alertmanager/web.yml
printf '%s' "$ADMIN_PASSWORD" > /run/alertmanager/admin_password
chown -R prometheus:prometheus /run/alertmanager /alertmanager
unset ADMIN_PASSWORD
exec setpriv --reuid=prometheus --regid=prometheus --init-groups "$@"
