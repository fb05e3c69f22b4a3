#!/bin/sh
# Writes the redis configuration (password from REDIS_PASSWORD, never on the command line) and starts redis.
set -eu
mkdir -p /run/redis
umask 077
if [ -z "${REDIS_PASSWORD:-}" ]; then
  echo "entrypoint: REDIS_PASSWORD is not set; refusing to start an unauthenticated Redis (set REDIS_ALLOW_NO_PASSWORD=1 to override)" >&2
  [ "${REDIS_ALLOW_NO_PASSWORD:-0}" = 1 ] || exit 1
fi
{
  echo "bind 0.0.0.0"
  echo "port 6379"
  echo "dir /data"
  echo "appendonly yes"
  echo "save 60 1"
  echo "protected-mode ${REDIS_PASSWORD:+yes}${REDIS_PASSWORD:-no}" | sed 's/yes.*/yes/'
  [ -n "${REDIS_PASSWORD:-}" ] && echo "requirepass ${REDIS_PASSWORD}"
  echo "rename-command FLUSHALL \"\""
  echo "rename-command CONFIG \"\""
} > /run/redis/redis.conf
printf '%s' "${REDIS_PASSWORD:-}" > /run/redis/password
chown -R redis:redis /run/redis /data
unset REDIS_PASSWORD
exec setpriv --reuid=redis --regid=redis --init-groups redis-server /run/redis/redis.conf
