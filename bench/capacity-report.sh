#!/usr/bin/env bash
# Every figure of the README's capacity section in one go, on a quiet machine (nothing else
# running: the figures are CPU time). About 25 minutes on the 2-core reference VM.
#   1. page profile, one core (bench/capacity.sh defaults): capacity, decode ceiling, ratio
#   2. original profile, one core
#   3. page profile, one core, --no-shared-encoding
#   4. page profile, --threads 2, server and tester unpinned
#   5. perf profile of the one-core server holding the capacity of (1) for 20 s, by DSO/symbol
#   6. outbound bytes per singer-second at 100, 500, 1000 singers, page and original profiles
#      (server --threads 2 unpinned, 30 s each), with the server's RSS at 0 and 1000 singers
# Usage: bench/capacity-report.sh [BUILD_DIR]   (results and JSON under $OUT, default
# build/capacity-report/). REPORT_QUICK=1 runs every step tiny (a functional check, no figures).
# REPORT_STEPS="5 6" runs only those steps (4 and 5 then take the capacity of an earlier
# step 1 from $OUT, else CAPACITY_START or 600).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/capacity}
out=${OUT:-$root/build/capacity-report}
mkdir -p "$out"
if [[ ! -x $build/server/brigade-server || ! -x $build/bench/brigade-loadtest ||
      ! -x $build/bench/brigade-bench-exchange ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" -j2 --target brigade-server brigade-loadtest brigade-bench-exchange
fi
command -v perf >/dev/null || { echo "perf is missing: apt-get install linux-perf"; exit 2; }
if [[ -n ${REPORT_QUICK:-} ]]; then
  export CAPACITY_START=10 CAPACITY_STEP=10 CAPACITY_MAX=20 CAPACITY_STEP_S=2
  start_original=10 start_unshared=10 max_threads=20 sizes="10 20" seconds=5 settle=6 perf_s=3
else
  start_original=200 start_unshared=50 max_threads=2500 sizes="100 500 1000" seconds=30 settle=20 perf_s=20
fi
cap() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["capacity"])' "$1"; }
want() { [[ -z ${REPORT_STEPS:-} || " $REPORT_STEPS " == *" $1 "* ]]; }
page_cap=${CAPACITY_START:-600}
[[ -f $out/page-1core.json ]] && page_cap=$(cap "$out/page-1core.json")

if want 1; then
  echo "== 1. page profile, one core"
  CAPACITY_JSON=$out/page-1core.json bench/capacity.sh "$build" | tee "$out/page-1core.txt" | grep -v '^\['
  page_cap=$(cap "$out/page-1core.json")
fi

if want 2; then
  echo "== 2. original profile, one core"
  CAPACITY_PROFILE=original CAPACITY_START=$start_original CAPACITY_JSON=$out/original-1core.json \
    bench/capacity.sh "$build" | tee "$out/original-1core.txt" | grep -v '^\['
fi

if want 3; then
  echo "== 3. page profile, one core, --no-shared-encoding"
  CAPACITY_SERVER_FLAGS=--no-shared-encoding CAPACITY_START=$start_unshared CAPACITY_JSON=$out/unshared-1core.json \
    bench/capacity.sh "$build" | tee "$out/unshared-1core.txt" | grep -v '^\['
fi

if want 4; then
  echo "== 4. page profile, two threads, unpinned"
  CAPACITY_THREADS=2 CAPACITY_START=$page_cap CAPACITY_MAX=$max_threads CAPACITY_JSON=$out/page-2threads.json \
    bench/capacity.sh "$build" | tee "$out/page-2threads.txt" | grep -v '^\['
fi

# A server on its own, a load tester against it; prints nothing but the port.
start_server() {
  local log=$1; shift
  "$@" --listen 127.0.0.1:0 --log-level warn --max-users 5000 --max-connections 10000 --max-connections-per-address 10000 --web-root "$root/web" >"$log" 2>&1 &
  server=$!
  for _ in $(seq 100); do
    port=$(sed -n 's|^brigade-server listening on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$log")
    [[ -n $port ]] && return 0
    sleep 0.1
  done
  echo "server did not start"; cat "$log"; exit 2
}
trap 'kill ${server:-} 2>/dev/null || true' EXIT
rss_mib() { awk '$1 == "VmRSS:" {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }

if want 5; then
  echo "== 5. where one core's CPU goes at $page_cap singers (perf record -g, ${perf_s} s)"
  start_server "$out/perf-server.log" taskset -c 0 "$build/server/brigade-server" --threads 1
  taskset -c 1 "$build/bench/brigade-loadtest" --url "http://127.0.0.1:$port/api" --singers "$page_cap" \
    --duration $((settle + perf_s + 5)) --json "$out/perf-load.json" >"$out/perf-load.txt" &
  tester=$!
  sleep $settle  # everyone connected, bucketed, singing
  perf record -g -o "$out/perf.data" -p $server -- sleep $perf_s >/dev/null 2>&1
  wait $tester || true
  kill $server; wait $server 2>/dev/null || true
  perf report -i "$out/perf.data" --no-children --sort dso --stdio 2>/dev/null | grep -E '^ +[0-9.]+%' | head -8 | tee "$out/perf-dso.txt" || true
  perf report -i "$out/perf.data" --no-children --sort dso,sym --stdio 2>/dev/null | grep -E '^ +[0-9.]+%' | head -25 >"$out/perf-symbols.txt" || true
  echo "(top symbols: $out/perf-symbols.txt)"
fi

if want 6; then
  echo "== 6. bytes per singer-second (server --threads 2), RSS"
  printf '%-9s %7s %12s %12s %14s %8s %6s\n' profile singers "out B/s" "audio B/s" "summary B/s" "out/audio" errors
  for profile in page original; do
    for n in $sizes; do
      start_server "$out/bytes-server.log" "$build/server/brigade-server" --threads 2
      rss0=$(rss_mib $server)
      "$build/bench/brigade-loadtest" --url "http://127.0.0.1:$port/api" --profile $profile \
        --singers $n --duration $seconds --json "$out/bytes-$profile-$n.json" >"$out/bytes-$profile-$n.txt" || true
      rss=$(rss_mib $server)
      kill $server; wait $server 2>/dev/null || true
      python3 - "$out/bytes-$profile-$n.json" $profile $n <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); b = r["bytes"]
ratio = b["out_per_singer_second"] / max(1, b["audio_out_per_singer_second"])
print(f"{sys.argv[2]:<9} {int(sys.argv[3]):>7} {b['out_per_singer_second']:>12.0f} {b['audio_out_per_singer_second']:>12.0f} "
      f"{b['summary_out_per_singer_second']:>14.0f} {ratio:>8.2f} {r['requests']['errors']:>6}")
PY
      if [[ $profile == page ]]; then
        echo "memory: server RSS $rss0 MiB at 0 singers, $rss MiB with $n singing: $(( (rss - rss0) * 1024 / n )) KiB per singer" >"$out/memory.txt"
      fi
    done
  done
  cat "$out/memory.txt"
fi
echo "results: $out"
