#!/bin/sh
# Starts as root only to hand the bind-mounted writable directories (APP_WRITABLE_DIRS) to the app user,
# then drops to that user for good.
set -eu
if [ "$(id -u)" = 0 ]; then
  for d in ${APP_WRITABLE_DIRS:-}; do mkdir -p "$d" && chown -R app:app "$d"; done
  exec setpriv --reuid=app --regid=app --init-groups /usr/bin/tini -- "$@"
fi
exec /usr/bin/tini -- "$@"
