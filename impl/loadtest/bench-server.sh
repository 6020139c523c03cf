#!/usr/bin/env bash
# Server benchmarks (`make bench-server`), loopback only, about 8 minutes:
#
#  1. 100,000 medics owned by one token in a throwaway PostgreSQL cluster (db/testpg.sh); a real
#     `bin/galeno serve` loaded by wrk at 16 connections on GET /api/v2/medics/{id}/ (random ids
#     owned by the token) and on the first page of GET /api/v2/medics/, alternating with
#     `pgbench -S` (scale 1: 100,000 accounts) on the same cluster, same duration and clients;
#     with the CPU time the server and PostgreSQL spend per request (per transaction for pgbench);
#     and, as a reference, the same GET on impl/loadtest/floor (bare net/http and lib/pq, the one
#     query and nothing else): about the most any server on galeno's stack can do on this machine;
#  2. the server's peak resident memory (VmHWM) after that load;
#  3. the first page of GET /api/v2/medics/ for tokens with 1,000 to 1,000,000 medics (a database
#     and a server each, measured in turns), and for a token with 10 medics among 1,000,000.
#
# BENCH_DURATION (seconds per run, default 10) and BENCH_ROUNDS (default 3) tune it, GALENO_BIN
# names another galeno binary (default bin/galeno, e.g. an older build to compare); GALENO_*
# variables (e.g. GALENO_DB_MAX_CONNS) reach the servers. The results, as Markdown tables, go to
# stdout and to bin/bench-server.md.
set -euo pipefail
cd "$(dirname "$0")/../.."

galeno=${GALENO_BIN:-bin/galeno}
duration=${BENCH_DURATION:-10}
rounds=${BENCH_ROUNDS:-3}
conns=16
here=impl/loadtest

if [ "${1:-}" != --in-cluster ]; then
  if ! command -v wrk >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null \
      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
  fi
  for tool in pgbench psql pgrep; do
    command -v "$tool" >/dev/null 2>&1 || { echo "bench: $tool is missing (install postgresql and procps)" >&2; exit 1; }
  done
  [ -x "$galeno" ] || { echo "bench: build $galeno first (make build)" >&2; exit 1; }
  go build -o bin/bench-floor ./impl/loadtest/floor
  # Always a throwaway cluster: the benchmark creates and fills databases.
  exec env -u GALENO_TEST_PG db/testpg.sh "$0" --in-cluster
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/galeno-bench.XXXXXX")
server_pids=()
stop_servers() {
  for pid in "${server_pids[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  server_pids=()
}
trap 'stop_servers; rm -rf "$work"' EXIT
out=bin/bench-server.md
: >"$out"
say() { echo "$*" | tee -a "$out"; }

# db_url NAME: GALENO_TEST_PG pointing at database NAME.
db_url() { echo "${GALENO_TEST_PG/\/postgres\?//$1?}"; }

# new_db NAME EMAIL: a fresh, migrated database with an integrator; prints the integrator's token.
new_db() {
  psql -qAt "$GALENO_TEST_PG" -v ON_ERROR_STOP=1 -c "CREATE DATABASE $1" >/dev/null
  "$galeno" admin token --name "Bench integrator" --email "$2" --db "$(db_url "$1")"
}

# grow_medics NAME OWNER_EMAIL TOTAL: inserts medics owned by OWNER_EMAIL until it owns TOTAL, in one statement.
grow_medics() {
  psql -qAt "$(db_url "$1")" -v ON_ERROR_STOP=1 >/dev/null <<SQL
INSERT INTO medics (owner_id, name, email, email_lower, password_hash, cedula_prof, specialty, created_at)
SELECT o.id, 'Medic ' || g, 'medic' || g || '.' || o.id || '@bench.galeno.local',
       'medic' || g || '.' || o.id || '@bench.galeno.local', '!', 'CP' || g, 'General', now()
FROM (SELECT id FROM medics WHERE email = '$2') o,
     generate_series((SELECT count(*) + 1 FROM medics WHERE owner_id = (SELECT id FROM medics WHERE email = '$2')), $3) g;
VACUUM ANALYZE;
SQL
}

# start_server NAME: `galeno serve` on database NAME, on a free loopback port; sets server_pid and
# base (its URL).
start_server() {
  local port
  port=$(( 30000 + RANDOM % 20000 ))
  "$galeno" serve --addr "127.0.0.1:$port" --db "$(db_url "$1")" >>"$work/server-$1.log" 2>&1 &
  server_pid=$!
  server_pids+=("$server_pid")
  base="http://127.0.0.1:$port"
  wait_until_up "$base/readyz" "$work/server-$1.log"
}

# wait_until_up URL LOG: waits up to 10 s for URL to answer 2xx; otherwise shows LOG's end and stops.
wait_until_up() {
  for _ in $(seq 100); do
    curl -fs "$1" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "bench: the server did not start:" >&2
  tail -n 20 "$2" >&2
  exit 1
}

# CPU accounting, in clock ticks: a process's own time, and PostgreSQL's (the postmaster with the
# backends it has reaped, plus the backends alive).
tick_us=$(( 1000000 / $(getconf CLK_TCK) ))
postmaster=$(head -n 1 "$(psql -qAt "$GALENO_TEST_PG" -c 'SHOW data_directory')/postmaster.pid")
proc_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
pg_ticks() {
  local total child
  total=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$postmaster/stat")
  for child in $(pgrep -P "$postmaster"); do
    total=$((total + $(proc_ticks "$child")))
  done
  echo "$total"
}
# per_op TICKS OPS: microseconds of CPU per operation.
per_op() { awk -v t="$1" -v n="$2" -v us="$tick_us" 'BEGIN {printf "%.0f", t * us / n}'; }

# to_ms VALUE: a wrk latency (e.g. 812.00us, 1.52ms, 1.10s) in milliseconds.
to_ms() {
  awk -v v="$1" 'BEGIN {
    n = v + 0
    if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n *= 1; else if (v ~ /s$/) n *= 1000
    printf "%.2f", n }'
}

# load SCRIPT CONNS SECONDS: runs wrk; prints "requests/s p50_ms p99_ms server_us pg_us errors",
# the last two being CPU microseconds per request in galeno and in PostgreSQL.
load() {
  local res srv0 pg0 srv1 pg1 requests rps p50 p99 errors
  srv0=$(proc_ticks "$server_pid") pg0=$(pg_ticks)
  res=$(wrk -t"$(( $2 < 2 ? $2 : 2 ))" -c"$2" -d"$3"s --latency -s "$here/$1" "$base")
  srv1=$(proc_ticks "$server_pid") pg1=$(pg_ticks)
  echo "$res" >>"$work/wrk.log"
  requests=$(echo "$res" | awk '/requests in/ {print $1}')
  rps=$(echo "$res" | awk '/^Requests\/sec/ {printf "%.0f", $2}')
  p50=$(to_ms "$(echo "$res" | awk '$1 == "50%" {print $2}')")
  p99=$(to_ms "$(echo "$res" | awk '$1 == "99%" {print $2}')")
  errors=$(echo "$res" | awk '/Non-2xx|Socket errors/ {s = s $0 "; "} END {print s == "" ? "none" : s}')
  echo "$rps $p50 $p99 $(per_op $((srv1 - srv0)) "$requests") $(per_op $((pg1 - pg0)) "$requests") $errors"
}

# pgbench_run: select-only pgbench at the same clients and duration; prints "tps p50_ms p99_ms pg_us".
pgbench_run() {
  local pg0 pg1 res
  rm -f "$work"/pgbench_log.*
  pg0=$(pg_ticks)
  res=$(cd "$work" && pgbench -S -n -c "$conns" -j 2 -T "$duration" -l "$(db_url pgbench)" 2>&1)
  pg1=$(pg_ticks)
  echo "$res" >>"$work/pgbench.log"
  # Each log line: client, transaction, latency in µs, …
  read -r p50 p99 <<<"$(cat "$work"/pgbench_log.* | awk '{print $3}' | sort -n \
    | awk '{a[NR] = $1} END {printf "%.2f %.2f", a[int(NR * 0.5)] / 1000, a[int(NR * 0.99)] / 1000}')"
  echo "$(echo "$res" | awk '/^tps/ {printf "%.0f", $3}') $p50 $p99 $(per_op $((pg1 - pg0)) "$(echo "$res" | awk '/actually processed/ {print $NF}')")"
}

median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

say "Run $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), $(postgres --version 2>/dev/null || pg_config --version), load average before: $(cut -d' ' -f1-3 /proc/loadavg)."
say "wrk -t2 -c$conns -d${duration}s --latency; pgbench -S -n -c $conns -j 2 -T $duration -l (scale 1); $rounds rounds; galeno's pool: ${GALENO_DB_MAX_CONNS:-20} connections."

# 1. 100,000 medics vs pgbench -S.
integrator=integrator@bench.galeno.local
export TOKEN
TOKEN=$(new_db galeno_bench "$integrator")
grow_medics galeno_bench "$integrator" 100000
read -r MIN_ID MAX_ID owned <<<"$(psql -qAt "$(db_url galeno_bench)" -F ' ' \
  -c "SELECT min(id), max(id), count(*) FROM medics WHERE owner_id IS NOT NULL")"
export MIN_ID MAX_ID
[ "$owned" -eq $((MAX_ID - MIN_ID + 1)) ] || { echo "bench: owned medics are not contiguous" >&2; exit 1; }
psql -qAt "$GALENO_TEST_PG" -c "CREATE DATABASE pgbench" >/dev/null
pgbench -i -q -s 1 "$(db_url pgbench)" >"$work/pgbench-init.log" 2>&1
start_server galeno_bench
load get_medic.lua "$conns" 3 >/dev/null # warm-up: connections, prepared statements, caches
load list_medics.lua "$conns" 3 >/dev/null
# The reference: the same GET on bare net/http and lib/pq (impl/loadtest/floor).
galeno_pid=$server_pid galeno_base=$base
floor_port=$(( 30000 + RANDOM % 20000 ))
bin/bench-floor "127.0.0.1:$floor_port" "$(db_url galeno_bench)" \
  "$(psql -qAt "$(db_url galeno_bench)" -c "SELECT id FROM medics WHERE email = '$integrator'")" >>"$work/floor.log" 2>&1 &
floor_pid=$!
server_pids+=("$floor_pid")
floor_base="http://127.0.0.1:$floor_port"
wait_until_up "$floor_base/api/v2/medics/$MIN_ID/" "$work/floor.log"
server_pid=$floor_pid base=$floor_base load get_medic.lua "$conns" 3 >/dev/null

say ""
say "| round | pgbench -S TPS | p50 ms | p99 ms | PG µs/tx | floor GET req/s | ratio | p99 ms | GET medic req/s | ratio | p50 ms | p99 ms | galeno µs/req | PG µs/req | list req/s | ratio | p50 ms | p99 ms | galeno µs/req | PG µs/req |"
say "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
declare -A col
for r in $(seq "$rounds"); do
  read -r tps b_p50 b_p99 pgb_us <<<"$(pgbench_run)"
  read -r f_rps _ f_p99 _ _ f_err <<<"$(server_pid=$floor_pid base=$floor_base load get_medic.lua "$conns" "$duration")"
  read -r g_rps g_p50 g_p99 g_srv g_pg g_err <<<"$(server_pid=$galeno_pid base=$galeno_base load get_medic.lua "$conns" "$duration")"
  read -r l_rps l_p50 l_p99 l_srv l_pg l_err <<<"$(server_pid=$galeno_pid base=$galeno_base load list_medics.lua "$conns" "$duration")"
  f_ratio=$(ratio "$f_rps" "$tps") g_ratio=$(ratio "$g_rps" "$tps") l_ratio=$(ratio "$l_rps" "$tps")
  say "| $r | $tps | $b_p50 | $b_p99 | $pgb_us | $f_rps | $f_ratio | $f_p99 | $g_rps | $g_ratio | $g_p50 | $g_p99 | $g_srv | $g_pg | $l_rps | $l_ratio | $l_p50 | $l_p99 | $l_srv | $l_pg |"
  [ "$f_err$g_err$l_err" = nonenonenone ] || say "errors in round $r: floor: $f_err; GET medic: $g_err; list: $l_err"
  for k in tps b_p50 b_p99 pgb_us f_rps f_ratio f_p99 g_rps g_ratio g_p50 g_p99 g_srv g_pg l_rps l_ratio l_p50 l_p99 l_srv l_pg; do
    col[$k]+="${!k} "
  done
done
m() { echo "${col[$1]}" | median; }
say "| median | $(m tps) | $(m b_p50) | $(m b_p99) | $(m pgb_us) | $(m f_rps) | $(m f_ratio) | $(m f_p99) | $(m g_rps) | $(m g_ratio) | $(m g_p50) | $(m g_p99) | $(m g_srv) | $(m g_pg) | $(m l_rps) | $(m l_ratio) | $(m l_p50) | $(m l_p99) | $(m l_srv) | $(m l_pg) |"

# 2. Memory.
say ""
say "galeno serve memory after this load: peak RSS (VmHWM) $(awk '/VmHWM/ {print $2, $3}' "/proc/$galeno_pid/status"), current RSS $(awk '/VmRSS/ {print $2, $3}' "/proc/$galeno_pid/status")."
stop_servers

# 3. The first page of the list at 1,000 to 1,000,000 medics: one database and server per size,
# measured in turns (so that a change in the machine's load hits every size alike); then a token
# with 10 medics among the 1,000,000.
sizes=(1000 10000 100000 1000000 small)
declare -A token_of base_of
for n in "${sizes[@]:0:4}"; do
  token_of[$n]=$(new_db "galeno_list_$n" "$integrator")
  grow_medics "galeno_list_$n" "$integrator" "$n"
done
small=small@bench.galeno.local
token_of[small]=$("$galeno" admin token --name "Small integrator" --email "$small" --db "$(db_url galeno_list_1000000)")
grow_medics galeno_list_1000000 "$small" 10
for n in "${sizes[@]:0:4}"; do
  start_server "galeno_list_$n"
  base_of[$n]=$base
done
base_of[small]=${base_of[1000000]}
scale_duration=$(( (duration + 1) / 2 ))
declare -A scale
for r in $(seq "$rounds"); do
  for n in "${sizes[@]}"; do
    TOKEN=${token_of[$n]} base=${base_of[$n]}
    [ "$r" -gt 1 ] || load list_medics.lua 1 2 >/dev/null # warm-up
    read -r _ c1_p50 c1_p99 _ _ c1_err <<<"$(load list_medics.lua 1 "$scale_duration")"
    read -r c16_rps c16_p50 c16_p99 _ _ c16_err <<<"$(load list_medics.lua "$conns" "$scale_duration")"
    for k in c1_p50 c1_p99 c16_rps c16_p50 c16_p99; do
      scale[$n.$k]+="${!k} "
    done
    [ "$c1_err$c16_err" = nonenone ] || say "errors with $n medics, round $r: $c1_err $c16_err"
  done
done
say ""
say "Medians of $rounds rounds of ${scale_duration} s each:"
say ""
say "| medics of the token | 1 connection: p50 ms | p99 ms | 16 connections: req/s | p50 ms | p99 ms |"
say "| --- | --- | --- | --- | --- | --- |"
for n in "${sizes[@]}"; do
  label=$n
  [ "$n" != small ] || label="10 (among 1,000,011)"
  cell() { echo "${scale[$n.$1]}" | median; }
  say "| $label | $(cell c1_p50) | $(cell c1_p99) | $(cell c16_rps) | $(cell c16_p50) | $(cell c16_p99) |"
done
at_1k=$(echo "${scale[1000.c1_p50]}" | median) at_1m=$(echo "${scale[1000000.c1_p50]}" | median)
say ""
say "First page, one connection, p50 at 1,000,000 / at 1,000: $(ratio "$at_1m" "$at_1k")."
say "galeno serve memory (the 1,000,000-medic server): peak RSS (VmHWM) $(awk '/VmHWM/ {print $2, $3}' "/proc/${server_pids[3]}/status")."
