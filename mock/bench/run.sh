#!/usr/bin/env bash
# Benchmarks `galeno mock` against Stoplight Prism on the same spec (openapi.yaml): start-up
# time, requests/s, p50/p99 latency and memory, side by side. Installs wrk (apt) and Prism (npm,
# into a cache folder) when missing. Extra arguments go to the driver (mock/bench/main.go), e.g.
#   mock/bench/run.sh -runs 5 -duration 20s
set -euo pipefail
cd "$(dirname "$0")/../.."

cache="${GALENO_BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/galeno-bench}"
prism_version="${PRISM_VERSION:-5.14}"

if ! command -v wrk >/dev/null; then
  echo "bench: installing wrk" >&2
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get install -y -qq wrk >/dev/null
fi
prism="$cache/prism/node_modules/.bin/prism"
if [ ! -x "$prism" ] || ! "$prism" --version | grep -q "^${prism_version}"; then
  echo "bench: installing @stoplight/prism-cli@$prism_version into $cache/prism" >&2
  npm install --silent --prefix "$cache/prism" "@stoplight/prism-cli@$prism_version" >/dev/null
fi

go build -o bin/galeno ./cmd/galeno
echo "bench: $(bin/galeno version), prism $("$prism" --version), $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
go run ./mock/bench -galeno bin/galeno -prism "$prism" -spec openapi.yaml "$@"
