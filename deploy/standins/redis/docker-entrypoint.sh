#!/bin/sh
# redis-server as the official image runs it: every address, protected mode off by default
# (later arguments win, so a command may still turn it on).
set -e
if [ "${1#-}" != "$1" ]; then
  set -- redis-server "$@"
fi
if [ "$1" = redis-server ]; then
  shift
  set -- redis-server --bind '* -::*' --protected-mode no "$@"
fi
exec "$@"
