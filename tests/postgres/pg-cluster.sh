#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# pg-cluster.sh — a throwaway PostgreSQL cluster for the tests and benchmarks.
#
#   pg-cluster.sh start [DIR] [--durable]  create and start a cluster, print its env
#   pg-cluster.sh env [DIR]                print the env of the running cluster
#   pg-cluster.sh stop [DIR]               stop it and remove its directory
#   pg-cluster.sh halt DIR | resume DIR     stop / start it again, keeping its data
#   pg-cluster.sh scratch CMD [ARG…]       run CMD ARG… DIR with an empty temporary
#                                          DIR, and stop/remove whatever cluster CMD
#                                          left in DIR after it, even if CMD failed
#   pg-cluster.sh run CMD [ARG…]           run CMD with NAVETTE_TEST_PG_URL set: the
#                                          given one, or else a private cluster
#                                          started for CMD and removed after it
#
# The cluster lives in DIR (an empty or missing directory, made with mktemp -d
# when not given), listens on 127.0.0.1
# only, on a free port, with trust authentication for 127.0.0.1 and its
# private Unix socket only. PostgreSQL refuses to run as root: when run as
# root, the cluster runs as the system user `navette-ci` (created on first
# use). `start` prints, one per line:
#
#   NAVETTE_TEST_PG_URL=postgresql://navette@127.0.0.1:PORT/postgres
#   NAVETTE_PG_CLUSTER_DIR=/tmp/navette-pg-XXXXXX
#
# so `eval "$(tests/postgres/pg-cluster.sh start)"` then `export
# NAVETTE_TEST_PG_URL NAVETTE_PG_CLUSTER_DIR` sets up a shell. `env` and
# `stop` find the cluster through DIR, NAVETTE_PG_CLUSTER_DIR, or else through
# the state file ${TMPDIR:-/tmp}/navette-pg-cluster.$(id -u) written by
# `start`.
#
# By default the cluster trades durability for speed (fsync=off,
# synchronous_commit=off): it is thrown away after the run. `--durable`
# keeps PostgreSQL's defaults (used for benchmark figures).
#
# Environment: PG_BINDIR (default: the newest /usr/lib/postgresql/*/bin),
# NAVETTE_PG_USER (the system user when root, default navette-ci).

set -eu

STATE_FILE="${TMPDIR:-/tmp}/navette-pg-cluster.$(id -u)"
DB_SUPERUSER=navette

find_bindir () {
  if [ -n "${PG_BINDIR:-}" ]; then
    echo "$PG_BINDIR"
    return
  fi
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -n -r); do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
      echo "$dir"
      return
    fi
  done
  echo "pg-cluster.sh: no PostgreSQL server binaries (install postgresql)" >&2
  exit 1
}

# Runs a command as the cluster's owner.
as_owner () {
  if [ "$(id -u)" = 0 ]; then
    runuser -u "$OWNER" -- "$@"
  else
    "$@"
  fi
}

free_port () {
  python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

cluster_dir () {
  if [ -n "${1:-}" ]; then
    echo "$1"
  elif [ -n "${NAVETTE_PG_CLUSTER_DIR:-}" ]; then
    echo "$NAVETTE_PG_CLUSTER_DIR"
  elif [ -f "$STATE_FILE" ]; then
    cat "$STATE_FILE"
  else
    echo "pg-cluster.sh: no cluster (run start first)" >&2
    exit 1
  fi
}

print_env () {
  dir=$1
  port=$(cat "$dir/port")
  echo "NAVETTE_TEST_PG_URL=postgresql://$DB_SUPERUSER@127.0.0.1:$port/postgres"
  echo "NAVETTE_PG_CLUSTER_DIR=$dir"
}

cmd_start () {
  durable=0
  dir=
  for arg in "$@"; do
    case "$arg" in
      --durable) durable=1 ;;
      *) dir=$arg ;;
    esac
  done
  BINDIR=$(find_bindir)
  OWNER=$(id -un)
  if [ "$(id -u)" = 0 ]; then
    OWNER=${NAVETTE_PG_USER:-navette-ci}
    if ! id "$OWNER" >/dev/null 2>&1; then
      # Several clusters may start at once (parallel tests): another one
      # may create the user between the check and here.
      useradd --system --no-create-home --home-dir /nonexistent \
              --shell /usr/sbin/nologin "$OWNER" 2>/dev/null || id "$OWNER" >/dev/null
    fi
  fi

  if [ -z "$dir" ]; then
    dir=$(mktemp -d "${TMPDIR:-/tmp}/navette-pg-XXXXXX")
  else
    mkdir -p "$dir"
    if [ -n "$(ls -A "$dir")" ]; then
      echo "pg-cluster.sh: $dir is not empty" >&2
      exit 1
    fi
  fi
  dir=$(cd "$dir" && pwd)
  chmod 755 "$dir"
  mkdir "$dir/data" "$dir/socket"
  if [ "$(id -u)" = 0 ]; then
    chown "$OWNER" "$dir" "$dir/data" "$dir/socket"
  fi
  chmod 700 "$dir/data"

  as_owner "$BINDIR/initdb" -D "$dir/data" -U "$DB_SUPERUSER" \
    --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || {
      cat "$dir/initdb.log" >&2
      rm -rf "$dir"
      exit 1
    }

  # Trust, but only on loopback and the cluster's private socket.
  cat >"$dir/pg_hba.conf" <<EOF
local all all trust
host  all all 127.0.0.1/32 trust
EOF
  chmod 644 "$dir/pg_hba.conf"

  # A port can be taken between our probe and PostgreSQL's bind: retry.
  tries=0
  while :; do
    port=$(free_port)
    cat >"$dir/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir/socket'
hba_file = '$dir/pg_hba.conf'
max_connections = 300
shared_buffers = 128MB
logging_collector = off
log_min_messages = warning
EOF
    if [ "$durable" = 0 ]; then
      cat >>"$dir/postgresql.conf" <<EOF
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
    fi
    chmod 644 "$dir/postgresql.conf"
    if as_owner "$BINDIR/pg_ctl" -D "$dir/data" -w -t 60 -l "$dir/server.log" \
         -o "-c config_file=$dir/postgresql.conf" start >/dev/null 2>&1; then
      break
    fi
    tries=$((tries + 1))
    if [ "$tries" -ge 5 ]; then
      echo "pg-cluster.sh: PostgreSQL did not start:" >&2
      cat "$dir/server.log" >&2 || true
      rm -rf "$dir"
      exit 1
    fi
  done

  echo "$port" >"$dir/port"
  echo "$BINDIR" >"$dir/bindir"
  echo "$OWNER" >"$dir/owner"
  echo "$dir" >"$STATE_FILE"
  print_env "$dir"
}

cmd_env () {
  dir=$(cluster_dir "${1:-}")
  print_env "$dir"
}

cmd_stop () {
  dir=$(cluster_dir "${1:-}")
  if [ ! -f "$dir/bindir" ]; then
    echo "pg-cluster.sh: $dir is not a cluster made by this script" >&2
    exit 1
  fi
  BINDIR=$(cat "$dir/bindir")
  OWNER=$(cat "$dir/owner")
  as_owner "$BINDIR/pg_ctl" -D "$dir/data" -w -m fast stop >/dev/null 2>&1 || true
  rm -rf "$dir"
  if [ -f "$STATE_FILE" ] && [ "$(cat "$STATE_FILE")" = "$dir" ]; then
    rm -f "$STATE_FILE"
  fi
}

cmd_halt () {
  dir=$(cluster_dir "${1:-}")
  BINDIR=$(cat "$dir/bindir")
  OWNER=$(cat "$dir/owner")
  as_owner "$BINDIR/pg_ctl" -D "$dir/data" -w -m fast stop >/dev/null
}

cmd_resume () {
  dir=$(cluster_dir "${1:-}")
  BINDIR=$(cat "$dir/bindir")
  OWNER=$(cat "$dir/owner")
  as_owner "$BINDIR/pg_ctl" -D "$dir/data" -w -t 60 -l "$dir/server.log" \
    -o "-c config_file=$dir/postgresql.conf" start >/dev/null
}

cmd_run () {
  if [ -n "${NAVETTE_TEST_PG_URL:-}" ]; then
    exec "$@"
  fi
  private=$(cmd_start)
  NAVETTE_TEST_PG_URL=$(echo "$private" | sed -n 's/^NAVETTE_TEST_PG_URL=//p')
  private_dir=$(echo "$private" | sed -n 's/^NAVETTE_PG_CLUSTER_DIR=//p')
  export NAVETTE_TEST_PG_URL
  status=0
  "$@" || status=$?
  cmd_stop "$private_dir"
  exit "$status"
}

cmd_scratch () {
  scratch=$(mktemp -d "${TMPDIR:-/tmp}/navette-pg-scratch-XXXXXX")
  status=0
  "$@" "$scratch" || status=$?
  if [ -f "$scratch/bindir" ]; then
    cmd_stop "$scratch" || true
  fi
  rm -rf "$scratch"
  exit "$status"
}

case "${1:-}" in
  start) shift; cmd_start "$@" ;;
  env) shift; cmd_env "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  halt) shift; cmd_halt "$@" ;;
  resume) shift; cmd_resume "$@" ;;
  run) shift; cmd_run "$@" ;;
  scratch) shift; cmd_scratch "$@" ;;
  *)
    echo "usage: $0 start [DIR] [--durable] | env [DIR] | stop [DIR] | halt DIR | resume DIR | run CMD… | scratch CMD…" >&2
    exit 2
    ;;
esac
