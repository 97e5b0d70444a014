#!/bin/bash
# The db-replica service of docker-compose.yml, in the postgres image: on an empty data
# directory, copy the primary with pg_basebackup (-R: start as a standby streaming from it),
# retrying while the primary is still starting; then run PostgreSQL as the postgres user.
set -euo pipefail
primary="${PRIMARY_HOST:-db}"
if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA"
  chown postgres:postgres "$PGDATA"
  chmod 700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups bash "$0" "$@"
fi
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  export PGPASSWORD="$REPLICATION_PASSWORD"
  for _ in $(seq 120); do
    if pg_basebackup -h "$primary" -U "${REPLICATION_USER:-replicator}" -D "$PGDATA" \
      -R -X stream --checkpoint=fast; then
      break
    fi
    find "$PGDATA" -mindepth 1 -delete
    echo "postgres_replica.sh: the primary ($primary) is not ready yet; retrying." >&2
    sleep 2
  done
  unset PGPASSWORD
  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    echo "postgres_replica.sh: no base backup from $primary after 4 minutes." >&2
    exit 1
  fi
fi
exec postgres "$@"
