#!/bin/sh
# Mixed traffic through the local cluster's balancer while an app server, the
# PostgreSQL primary and Redis fail in turn; every acknowledged write must be found
# afterwards (bench/load_and_fault.py says how). Starts and stops its own cluster
# (scripts/cluster.sh) on free ports.
#
#   bench/load_and_fault.sh [DURATION_SECONDS] [--keep] [--demo]     (default 180 s)
set -eu
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
if [ ! -x "$PYTHON" ]; then
  make install
fi
exec "$PYTHON" bench/load_and_fault.py "$@"
