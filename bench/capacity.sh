#!/usr/bin/env bash
# Capacity of one server core for the traffic real singers send: a Release brigade-server
# pinned to core 0 (`taskset -c 0`, --threads 1), brigade-loadtest --ramp pinned to core 1,
# --profile page (what the singer page sends, request for request) singing a song with
# server-assigned buckets. Prints the largest singer count that held p99 <= 50 ms with 0
# errors, the ceiling that Opus decoding alone sets (measured in the same run by the decode
# microbenchmark at the profile's upload bitrate, on the same core), capacity / ceiling, and
# the server's CPU per exchange over the ramp split into Opus decoding, encoding and the rest.
#
# Usage: bench/capacity.sh [BUILD_DIR] [extra brigade-loadtest flags…]
# Environment:
#   CAPACITY_PROFILE=page|original   client profile (default page)
#   CAPACITY_START/STEP/STEP_S/MAX   ramp shape (default 600 / 25 / 10 s / 1200)
#   CAPACITY_THREADS=N               server threads; N > 1 runs server and tester unpinned
#   CAPACITY_SERVER_FLAGS            extra server flags (e.g. --no-shared-encoding)
#   CAPACITY_PERF=FILE               record `perf record -g` of the server during the ramp
#   CAPACITY_JSON=FILE               keep the load tester's JSON there
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/capacity}
shift || true
if [[ ! -x $build/server/brigade-server || ! -x $build/bench/brigade-loadtest ||
      ! -x $build/bench/brigade-bench-exchange ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" -j2 --target brigade-server brigade-loadtest brigade-bench-exchange
fi
profile=${CAPACITY_PROFILE:-page}
threads=${CAPACITY_THREADS:-1}
case $profile in
  page) bitrate=64000 ;;
  original) bitrate=256000 ;;
  *) echo "CAPACITY_PROFILE must be page or original"; exit 2 ;;
esac
if [[ $threads -gt 1 ]]; then server_cpu=(); tester_cpu=(); where="$threads threads, unpinned"
else server_cpu=(taskset -c 0); tester_cpu=(taskset -c 1); where="1 core"; fi

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "date:    $(date -u '+%Y-%m-%d %H:%M UTC')"

# The decode floor: CPU time to decode one 600 ms upload at the profile's bitrate, on core 0.
decode_bench() {
  taskset -c 0 "$build/bench/brigade-bench-exchange" \
    --benchmark_filter="BM_Decode600ms/$bitrate\$" --benchmark_repetitions=3 \
    --benchmark_report_aggregates_only=true --benchmark_format=json 2>/dev/null |
    python3 -c 'import json,sys; b=[x for x in json.load(sys.stdin)["benchmarks"] if x.get("aggregate_name")=="median"][0]; print(b["cpu_time"])'
}
decode_us=$(decode_bench)
ceiling=$(python3 -c "print(int(600000 / $decode_us))")
printf 'decode:  %.0f us of CPU per 600 ms upload at %d kb/s: decoding alone caps one core at %d singers\n' \
  "$decode_us" $((bitrate / 1000)) "$ceiling"

out=$(mktemp)
json=${CAPACITY_JSON:-$(mktemp --suffix=.json)}
"${server_cpu[@]}" "$build/server/brigade-server" --listen 127.0.0.1:0 --threads "$threads" \
  --log-level warn --max-users 5000 --max-connections 10000 --max-connections-per-address 10000 --web-root "$root/web" ${CAPACITY_SERVER_FLAGS:-} >"$out" 2>&1 &
server=$!
perf_pid=
cleanup() {
  [[ -n $perf_pid ]] && kill -INT "$perf_pid" 2>/dev/null && wait "$perf_pid" 2>/dev/null
  kill -INT $server 2>/dev/null; wait $server 2>/dev/null; rm -f "$out"
}
trap cleanup EXIT
port=
for _ in $(seq 100); do
  port=$(sed -n 's|^brigade-server listening on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$out")
  [[ -n $port ]] && break
  sleep 0.1
done
[[ -n $port ]] || { echo "server did not start:"; cat "$out"; exit 2; }
rss_kb() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status"; }
rss0=$(rss_kb $server VmRSS)
# The server's CPU (all its threads, from /proc) and its own Opus timers (/metrics), so the
# report can say what the server spends per exchange beyond decoding.
cpu_snapshot() {
  python3 - "$server" "$port" <<'PY'
import json, sys, urllib.request
pid, port = sys.argv[1], sys.argv[2]
stat = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
cpu = (int(stat[11]) + int(stat[12])) / 100.0  # utime + stime, clock ticks of 10 ms
opus = {}
for line in urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics").read().decode().splitlines():
    name = line.split("{", 1)[0]
    if name in ("brigade_opus_decode_seconds_total", "brigade_opus_encode_seconds_total"):
        opus[name] = opus.get(name, 0.0) + float(line.split()[-1])
server = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/api/telemetry"))["server"]
print(cpu, opus["brigade_opus_decode_seconds_total"], opus["brigade_opus_encode_seconds_total"],
      server["exchanges"])
PY
}
cpu0=$(cpu_snapshot)
if [[ -n ${CAPACITY_PERF:-} ]]; then
  command -v perf >/dev/null || { echo "perf is missing: apt-get install linux-perf"; exit 2; }
  perf record -g -o "$CAPACITY_PERF" -p $server >/dev/null 2>&1 &
  perf_pid=$!
fi
"${tester_cpu[@]}" "$build/bench/brigade-loadtest" --url "http://127.0.0.1:$port/api" --ramp \
  --profile "$profile" --singers "${CAPACITY_MAX:-1200}" --ramp-start "${CAPACITY_START:-600}" \
  --ramp-step "${CAPACITY_STEP:-25}" --step-duration "${CAPACITY_STEP_S:-10}" \
  --max-p99-ms 50 --max-error-rate 0 --json "$json" "$@" || true
peak=$(rss_kb $server VmHWM)
cpu1=$(cpu_snapshot)
# A VM's speed can move by 20% within minutes: measure the benchmark again after the ramp.
decode_after=$(decode_bench)
if [[ -n $perf_pid ]]; then kill -INT $perf_pid; wait $perf_pid 2>/dev/null || true; perf_pid=; fi
python3 - "$json" "$ceiling" "$profile" "$where" "$rss0" "$peak" "$decode_us" "$decode_after" "$cpu0" "$cpu1" <<'PY'
import json, sys
path, ceiling, profile, where, rss0, peak = sys.argv[1], int(sys.argv[2]), *sys.argv[3:5], int(sys.argv[5]), int(sys.argv[6])
decode_before, decode_after = float(sys.argv[7]), float(sys.argv[8])
cpu, decode, encode, exchanges = (b - a for a, b in zip(*(map(float, s.split()) for s in sys.argv[9:11])))
r = json.load(open(path))
cap = r["capacity"]
held = [s for s in r["steps"] if s["held"] and s["singers"] == cap]
print(f"capacity: {cap} singers (profile {profile}, p99 <= 50 ms, 0 errors; server on {where})")
print(f"ceiling:  {ceiling} singers (Opus decoding alone); capacity / ceiling = {cap / ceiling:.2f}")
if held:
    b = held[0]["bytes"]
    print(f"bytes:    server out {b['out_per_singer_second']:.0f} B per singer-second at {cap} singers "
          f"(reply audio {b['audio_out_per_singer_second']:.0f}, user summary {b['summary_out_per_singer_second']:.0f}); "
          f"in {b['in_per_singer_second']:.0f}")
if exchanges > 0:
    us = lambda seconds: 1e6 * seconds / exchanges
    print(f"server:   {us(cpu):.0f} us of CPU per exchange over the ramp ({exchanges:.0f} exchanges): "
          f"Opus decoding {us(decode):.0f} ({decode / cpu:.0%}), encoding {us(encode):.0f}, "
          f"everything else {us(cpu - decode - encode):.0f}")
    during = int(600000 / us(decode))
    print(f"decoding: the benchmark took {decode_before:.0f} us before the ramp and {decode_after:.0f} after; "
          f"the server's own decoding during it, {us(decode):.0f} us, caps one core at {during} singers: "
          f"capacity / that = {cap / during:.2f}")
print(f"memory:   server RSS {rss0 / 1024:.0f} MiB at 0 singers, peak {peak / 1024:.0f} MiB during the ramp")
print(f"JSON:     {path}")
PY
if [[ -n ${CAPACITY_PERF:-} ]]; then
  echo "profile of the server during the ramp ($CAPACITY_PERF), by shared object:"
  perf report -i "$CAPACITY_PERF" --no-children --sort dso --stdio 2>/dev/null | grep -E '^ +[0-9.]+%' | head -8 || true
fi
