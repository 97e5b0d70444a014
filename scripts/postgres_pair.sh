#!/bin/bash
# A private PostgreSQL primary and a streaming replica of it (pg_basebackup -R),
# for tests and local clusters: everything lives in DIR, listens on 127.0.0.1
# only, and trusts local connections. Never touches any other cluster.
#
#   postgres_pair.sh start DIR PRIMARY_PORT REPLICA_PORT [DBNAME]
#       initdb the primary (DIR/primary) if missing, start it, make the
#       replication slot, clone the replica (DIR/replica) if missing, start it,
#       wait until both accept connections and the replica streams. With
#       DBNAME, also create that database on the primary (the replica follows).
#       Idempotent: a second start starts whatever is stopped. The ports are
#       fixed when each data directory is created.
#   postgres_pair.sh stop DIR             fast shutdown of both, data kept
#   postgres_pair.sh stop-primary DIR     fast shutdown of the primary only
#   postgres_pair.sh stop-replica DIR     fast shutdown of the replica only
#   postgres_pair.sh restart-primary DIR  fast restart of the primary
#   postgres_pair.sh destroy DIR          stop both and delete DIR
#   postgres_pair.sh status DIR           which is running, on which port, and
#                                         the replica's streaming state;
#                                         exit 0 only if both run
#
# Run as root (the servers then run as the postgres user, via runuser) or as
# postgres. Logs: DIR/primary.log, DIR/replica.log. Binaries: PG_BIN, default
# the newest /usr/lib/postgresql/*/bin.
set -euo pipefail

usage() {
  sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

die() {
  echo "postgres_pair.sh: $*" >&2
  exit 1
}

PG_BIN="${PG_BIN:-}"
if [ -z "$PG_BIN" ]; then
  version="$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -n 1 || true)"
  [ -n "$version" ] || die "no PostgreSQL server binaries in /usr/lib/postgresql (apt-get install postgresql)"
  PG_BIN="/usr/lib/postgresql/$version/bin"
fi
[ -x "$PG_BIN/pg_ctl" ] || die "$PG_BIN/pg_ctl not found (set PG_BIN)"

SLOT=kb_replica

# Run a command as the postgres user (initdb and postgres refuse root).
as_pg() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  elif [ "$(id -un)" = postgres ]; then
    "$@"
  else
    die "run as root or as the postgres user"
  fi
}

running() { # DATADIR
  [ -d "$1" ] && as_pg "$PG_BIN/pg_ctl" -D "$1" status >/dev/null 2>&1
}

port_of() { # DATADIR: the port of a running server, from postmaster.pid
  sed -n 4p "$1/postmaster.pid" 2>/dev/null || true
}

sql() { # PORT SQL: one value, unaligned
  as_pg "$PG_BIN/psql" -X -q -A -t -h 127.0.0.1 -p "$1" -U postgres -d postgres -v ON_ERROR_STOP=1 -c "$2"
}

prepare_dir() {
  mkdir -p "$DIR"
  if [ "$(id -u)" = 0 ]; then
    chown postgres: "$DIR"
  fi
  chmod 700 "$DIR"
  as_pg test -w "$DIR" ||
    die "$DIR is not writable by the postgres user (is a parent folder private to root?)"
}

init_primary() {
  local port="$1"
  echo "postgres_pair.sh: initdb $DIR/primary (port $port)"
  as_pg "$PG_BIN/initdb" -D "$DIR/primary" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
    >"$DIR/initdb.log" 2>&1 || { cat "$DIR/initdb.log" >&2; die "initdb failed"; }
  as_pg tee -a "$DIR/primary/postgresql.conf" >/dev/null <<EOF

# postgres_pair.sh
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$DIR'
wal_level = replica
max_wal_senders = 5
max_replication_slots = 5
hot_standby = on
hot_standby_feedback = on
shared_buffers = 32MB
max_connections = 100
EOF
  as_pg tee "$DIR/primary/pg_hba.conf" >/dev/null <<EOF
# postgres_pair.sh: a private pair for tests, trusting local connections only
local   all          all                 trust
host    all          all   127.0.0.1/32  trust
local   replication  all                 trust
host    replication  all   127.0.0.1/32  trust
EOF
}

start_server() { # NAME
  local name="$1"
  if running "$DIR/$name"; then
    return
  fi
  as_pg "$PG_BIN/pg_ctl" -D "$DIR/$name" -l "$DIR/$name.log" -w -t 60 start >/dev/null ||
    { tail -n 20 "$DIR/$name.log" >&2; die "$name did not start (see $DIR/$name.log)"; }
}

stop_server() { # NAME
  local name="$1"
  if running "$DIR/$name"; then
    as_pg "$PG_BIN/pg_ctl" -D "$DIR/$name" -m fast -w -t 60 stop >/dev/null
  fi
}

wait_streaming() { # REPLICA_PORT
  local i state
  for i in $(seq 1 300); do
    state="$(sql "$1" "SELECT status FROM pg_stat_wal_receiver" 2>/dev/null || true)"
    if [ "$state" = streaming ]; then
      return
    fi
    sleep 0.1
  done
  die "the replica is not streaming after 30 s (see $DIR/replica.log)"
}

cmd_start() {
  local primary_port="$1" replica_port="$2" dbname="${3:-}"
  prepare_dir
  if [ ! -d "$DIR/primary" ]; then
    init_primary "$primary_port"
  fi
  start_server primary
  primary_port="$(port_of "$DIR/primary")"
  sql "$primary_port" "SELECT pg_create_physical_replication_slot('$SLOT')
    WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = '$SLOT')" >/dev/null
  if [ -n "$dbname" ] && [ -z "$(sql "$primary_port" "SELECT 1 FROM pg_database WHERE datname = '$dbname'")" ]; then
    sql "$primary_port" "CREATE DATABASE \"$dbname\"" >/dev/null
  fi
  if [ ! -d "$DIR/replica" ]; then
    echo "postgres_pair.sh: pg_basebackup $DIR/replica (port $replica_port)"
    as_pg "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$primary_port" -U postgres \
      -D "$DIR/replica" -R -X stream -c fast -S "$SLOT" >"$DIR/basebackup.log" 2>&1 ||
      { cat "$DIR/basebackup.log" >&2; die "pg_basebackup failed"; }
    as_pg tee -a "$DIR/replica/postgresql.conf" >/dev/null <<EOF

# postgres_pair.sh: the replica
port = $replica_port
EOF
  fi
  start_server replica
  replica_port="$(port_of "$DIR/replica")"
  wait_streaming "$replica_port"
  echo "primary postgres://postgres@127.0.0.1:$primary_port/${dbname:-postgres}"
  echo "replica postgres://postgres@127.0.0.1:$replica_port/${dbname:-postgres}"
}

cmd_status() {
  local ok=0 name port
  for name in primary replica; do
    if running "$DIR/$name"; then
      port="$(port_of "$DIR/$name")"
      if [ "$name" = replica ]; then
        echo "replica running port $port $(sql "$port" "SELECT coalesce((SELECT status FROM pg_stat_wal_receiver), 'not-streaming')" 2>/dev/null || echo unknown)"
      else
        echo "primary running port $port"
      fi
    else
      echo "$name stopped"
      ok=1
    fi
  done
  return $ok
}

[ $# -ge 2 ] || usage
COMMAND="$1"
DIR="$2"
case "$DIR" in
/*) ;;
*) DIR="$(pwd)/$DIR" ;;
esac

case "$COMMAND" in
start)
  [ $# -ge 4 ] || usage
  cmd_start "$3" "$4" "${5:-}"
  ;;
stop)
  stop_server replica
  stop_server primary
  ;;
stop-primary) stop_server primary ;;
stop-replica) stop_server replica ;;
restart-primary)
  [ -d "$DIR/primary" ] || die "no primary in $DIR"
  stop_server primary
  start_server primary
  ;;
destroy)
  if [ -d "$DIR" ]; then
    stop_server replica
    stop_server primary
    rm -rf "$DIR"
  fi
  ;;
status) cmd_status ;;
*) usage ;;
esac
