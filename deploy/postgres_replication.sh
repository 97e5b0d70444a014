# Run once by the postgres image's entrypoint on the primary's first start (mounted into
# /docker-entrypoint-initdb.d/ by docker-compose.yml; the entrypoint sources it): a role the
# replica's pg_basebackup and streaming connect as, let in from other hosts by password.
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  --set name="${REPLICATION_USER:-replicator}" --set password="$REPLICATION_PASSWORD" <<'SQL'
CREATE ROLE :"name" WITH REPLICATION LOGIN PASSWORD :'password';
SQL
echo "host replication ${REPLICATION_USER:-replicator} all scram-sha-256" >>"$PGDATA/pg_hba.conf"
