#!/usr/bin/env bash
# Capacity of one server core: a Release brigade-server pinned to core 0 (`taskset -c 0`,
# --threads 1), brigade-loadtest --ramp pinned to core 1, singing a song with server-assigned
# buckets. Prints the largest singer count that held p99 <= 50 ms with 0 errors.
# Usage: bench/capacity.sh [BUILD_DIR] [extra brigade-loadtest flags…]
# Environment: CAPACITY_START/STEP/STEP_S/MAX shape the ramp; CAPACITY_SERVER_FLAGS adds server
# flags (e.g. --no-shared-encoding).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/capacity}
shift || true
if [[ ! -x $build/server/brigade-server || ! -x $build/bench/brigade-loadtest ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" -j2 --target brigade-server brigade-loadtest
fi
out=$(mktemp)
json=${CAPACITY_JSON:-$(mktemp --suffix=.json)}
taskset -c 0 "$build/server/brigade-server" --listen 127.0.0.1:0 --threads 1 --log-level warn \
  --web-root "$root/web" ${CAPACITY_SERVER_FLAGS:-} >"$out" 2>&1 &
server=$!
trap 'kill -INT $server 2>/dev/null; wait $server 2>/dev/null; rm -f "$out"' EXIT
port=
for _ in $(seq 100); do
  port=$(sed -n 's|^brigade-server listening on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$out")
  [[ -n $port ]] && break
  sleep 0.1
done
[[ -n $port ]] || { echo "server did not start:"; cat "$out"; exit 2; }
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "date:    $(date -u '+%Y-%m-%d %H:%M UTC')"
taskset -c 1 "$build/bench/brigade-loadtest" --url "http://127.0.0.1:$port/api" --ramp \
  --singers "${CAPACITY_MAX:-1000}" --ramp-start "${CAPACITY_START:-25}" \
  --ramp-step "${CAPACITY_STEP:-25}" --step-duration "${CAPACITY_STEP_S:-10}" \
  --max-p99-ms 50 --max-error-rate 0 --json "$json" "$@"
echo "capacity: $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["capacity"])' "$json") singers (p99 <= 50 ms, 0 errors; server on 1 core); JSON: $json"
