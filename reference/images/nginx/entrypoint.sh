#!/bin/sh
# Writes the basic-auth file for the admin routes from ADMIN_USER/ADMIN_PASSWORD (bcrypt), then starts nginx.
set -eu
mkdir -p /run/nginx
if [ -n "${ADMIN_PASSWORD:-}" ]; then
  htpasswd -iBc /run/nginx/htpasswd "${ADMIN_USER:-admin}" >/dev/null 2>&1 <<PW
${ADMIN_PASSWORD}
PW
else
  echo "entrypoint: ADMIN_PASSWORD is not set: admin routes will refuse everyone" >&2
  : > /run/nginx/htpasswd
fi
chown root:www-data /run/nginx/htpasswd && chmod 640 /run/nginx/htpasswd
unset ADMIN_PASSWORD
exec "$@"
