#!/usr/bin/env bash
# Runs a command with GALENO_TEST_PG pointing at a PostgreSQL server.
#
#   db/testpg.sh go test ./...
#
# When GALENO_TEST_PG is already set, the command just runs against that server. Otherwise a
# throwaway cluster is created from the installed server binaries (initdb + pg_ctl) in a temporary
# directory, listening only on a private Unix socket, and removed when the command ends. As root,
# the cluster runs as the `postgres` OS user (PostgreSQL refuses to run as root).
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: $0 COMMAND [ARGS...]" >&2
  exit 2
fi
if [ -n "${GALENO_TEST_PG:-}" ]; then
  exec "$@"
fi

bindir=""
if command -v initdb >/dev/null 2>&1; then
  bindir=$(dirname "$(command -v initdb)")
else
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
fi
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  echo "testpg: no PostgreSQL server binaries (initdb, pg_ctl); install the 'postgresql' package or set GALENO_TEST_PG" >&2
  exit 1
fi

as_owner=()
if [ "$(id -u)" -eq 0 ]; then
  as_owner=(runuser -u postgres --)
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/galeno-pg.XXXXXX")
chmod 755 "$dir"
[ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
# The port only names the socket file (listen_addresses is empty), so no TCP port can collide.
port=$(( 20000 + RANDOM % 20000 ))

cleanup() {
  "${as_owner[@]}" "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT INT TERM

"${as_owner[@]}" "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 1; }
opts="-c listen_addresses='' -k $dir -p $port -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
"${as_owner[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 -o "$opts" \
  start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }

# GALENO_TEST_PGCTL runs pg_ctl on this cluster with its options, e.g. `$GALENO_TEST_PGCTL restart -m fast -w`
# (the soak test restarts the server under load).
printf '#!/bin/sh\nexec %s %q -D %q -l %q -o %q "$@"\n' "${as_owner[*]}" "$bindir/pg_ctl" "$dir/data" \
  "$dir/server.log" "$opts" >"$dir/pg_ctl"
chmod 755 "$dir/pg_ctl"
export GALENO_TEST_PGCTL="$dir/pg_ctl"
export GALENO_TEST_PG="postgres://postgres@/postgres?host=$dir&port=$port&sslmode=disable"
"$@"
