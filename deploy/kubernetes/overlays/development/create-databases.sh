#!/bin/sh
# PostgreSQL init script (docker-compose mounts it in /docker-entrypoint-initdb.d): create one
# database per service, named in POSTGRES_MULTIPLE_DATABASES (comma-separated). The official
# image runs it once, when the data volume is first initialised.
set -eu
for db in $(echo "${POSTGRES_MULTIPLE_DATABASES:-}" | tr ',' ' '); do
  echo "creating database $db"
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -c "CREATE DATABASE \"$db\" OWNER \"$POSTGRES_USER\";"
done
