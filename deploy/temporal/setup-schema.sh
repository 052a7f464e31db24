#!/bin/sh
# One-shot (docker-compose service `temporal-schema`, image temporalio/admin-tools): creates Temporal's two
# PostgreSQL databases on the first start and migrates their schemas to the version this admin-tools image ships
# on every start, so upgrading the pinned Temporal version upgrades the schema before the new server starts.
# Idempotent: `create` fails harmlessly on an existing database, `setup-schema -v 0.0` leaves a newer schema
# alone, `update-schema` applies only the missing versions.
#
# temporal-sql-tool reads the connection from SQL_PLUGIN, SQL_HOST, SQL_PORT, SQL_USER and SQL_PASSWORD.
set -eu

: "${SQL_PLUGIN:=postgres12}"
: "${SQL_HOST:?SQL_HOST must name the PostgreSQL host}"
: "${SQL_PORT:=5432}"
: "${SQL_USER:?SQL_USER must be set}"
: "${SQL_PASSWORD:?SQL_PASSWORD must be set}"
: "${TEMPORAL_DATABASE:=temporal}"
: "${TEMPORAL_VISIBILITY_DATABASE:=temporal_visibility}"
: "${TEMPORAL_SCHEMA_DIR:=/etc/temporal/schema/postgresql/v12}"
: "${SETUP_WAIT_SECONDS:=120}"
export SQL_PLUGIN SQL_HOST SQL_PORT SQL_USER SQL_PASSWORD

# nc in the admin-tools image; pg_isready where PostgreSQL's client is installed instead (the native stack).
reachable() {
  if command -v nc >/dev/null 2>&1; then nc -z "$SQL_HOST" "$SQL_PORT"; else pg_isready -q -h "$SQL_HOST" -p "$SQL_PORT"; fi
}

echo "temporal-schema: waiting for PostgreSQL at ${SQL_HOST}:${SQL_PORT}"
started=$(date +%s)
until reachable >/dev/null 2>&1; do
  if [ $(($(date +%s) - started)) -ge "$SETUP_WAIT_SECONDS" ]; then
    echo "temporal-schema: PostgreSQL at ${SQL_HOST}:${SQL_PORT} not reachable after ${SETUP_WAIT_SECONDS} s" >&2
    exit 1
  fi
  sleep 1
done

migrate() {
  db=$1
  dir=$2
  if temporal-sql-tool --db "$db" create; then
    echo "temporal-schema: created database $db"
  else
    echo "temporal-schema: database $db not created (it exists already, or the next step says why)"
  fi
  temporal-sql-tool --db "$db" setup-schema -v 0.0
  temporal-sql-tool --db "$db" update-schema -d "$dir"
  echo "temporal-schema: $db is at the schema version in $dir"
}

migrate "$TEMPORAL_DATABASE" "$TEMPORAL_SCHEMA_DIR/temporal/versioned"
migrate "$TEMPORAL_VISIBILITY_DATABASE" "$TEMPORAL_SCHEMA_DIR/visibility/versioned"
echo "temporal-schema: done"
