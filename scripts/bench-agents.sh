#!/usr/bin/env bash
# Agent load benchmark: `make bench-agents` (or scripts/bench-agents.sh). Request-reply
# invocations of math.Calculator/add through a local nats-server with 1 and 64 concurrent
# callers, against our agent (`demo serve --no-server --bus ... --agent math.Calculator`) and,
# in the same run, against a plain libnats echo responder (benchmarks/nats-echo), the floor;
# target: ours ≥ 70% of the floor's req/s. Then the embedded bus in one process (bus-load:
# oaas.invokeViaBus beside oaas.invoke). Writes the section between `<!-- agents:begin -->` and
# `<!-- agents:end -->` of benchmarks/RESULTS.md (replaced if present, appended if not; the rest
# of the file is bench-grpc.sh's and stays as it is).
#
# Builds: the demo (release, in .build-bench-release so a debug build in .build is left alone),
# nats-load and bus-load (release, benchmarks package), the echo responder (cc -O2 -lnats).
# Installs what is missing with scripts/install-deps.sh bench (nats-server, libnats-dev, ...).
#
# Pinning on a 2-CPU machine: the responder (floor or ours) alone on CPU 0, nats-server and
# nats-load together on CPU 1 (three processes, two cores: the compared process gets its own);
# bus-load on both. Every process's CPU per request is read from /proc around each window.
# Scheduling (SCHED=rr, the default as root): every thread of those processes gets SCHED_RR
# priority 1, so that on a shared machine other programs (builds) only get the time the
# benchmark leaves idle instead of delaying each of its wake-ups; SCHED=nice (nice -10) and
# SCHED=normal (no change; then QUIET_WAIT waits for idle cores) are the alternatives.
#
# Env: DURATION=10 WARMUP=2 (seconds per run), ROUNDS=3 (each caller count, ours and floor back
#      to back, median reported), CALLERS=1,64, TARGETS=ours,floor, PROBE_REQUESTS=1024,
#      RESPONDER_CPU=0 NATS_CPU=1 CLIENT_CPU=1 BUS_CPUS=0,1, EMBEDDED=yes|no,
#      SCHED=rr|nice|normal, QUIET_WAIT=s to wait for idle cores before each pair (default 0
#      with SCHED=rr, else 60), QUICK=1 (1 round of 1 s + 3 s, 256 probe requests),
#      RESULTS=path (default benchmarks/RESULTS.md), DEMO_BIN=path (a release demo already
#      built, as make bench passes; else it is built in .build-bench-release),
#      STRICT=1 (exit 3 when a target FAILs). Exit 1 if a correctness probe fails, 2 if a
#      process fails to start or build.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

if [ "${QUICK:-0}" = 1 ]; then
  : "${DURATION:=3}" "${WARMUP:=1}" "${ROUNDS:=1}" "${PROBE_REQUESTS:=256}" "${QUIET_WAIT:=10}"
fi
if [ -z "${SCHED:-}" ]; then
  if [ "$(id -u)" -eq 0 ]; then SCHED=rr; else SCHED=normal; fi
fi
case "$SCHED" in
  rr | nice | normal) ;;
  *) echo "SCHED must be rr, nice or normal, not '$SCHED'" >&2; exit 1 ;;
esac
if [ "$SCHED" = rr ]; then QUIET_WAIT=${QUIET_WAIT:-0}; fi
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
ROUNDS=${ROUNDS:-3}
CALLERS=${CALLERS:-1,64}
TARGETS=${TARGETS:-ours,floor}
PROBE_REQUESTS=${PROBE_REQUESTS:-1024}
RESPONDER_CPU=${RESPONDER_CPU:-0}
NATS_CPU=${NATS_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-1}
BUS_CPUS=${BUS_CPUS:-0,1}
EMBEDDED=${EMBEDDED:-yes}
QUIET_WAIT=${QUIET_WAIT:-60}
SWIFT=${SWIFT:-swift}
RESULTS=${RESULTS:-benchmarks/RESULTS.md}

# The exact command, as a person would retype it (only the settings that were given).
command_line="scripts/bench-agents.sh"
for var in RESULTS STRICT SCHED QUIET_WAIT EMBEDDED BUS_CPUS CLIENT_CPU NATS_CPU RESPONDER_CPU PROBE_REQUESTS TARGETS CALLERS ROUNDS WARMUP DURATION QUICK; do
  if value=$(printenv "$var"); then
    command_line="$var=$(printf %q "$value") $command_line"
  fi
done

# Tools and libraries, only those missing (nats-server, libnats-dev, taskset, the -dev packages).
scripts/install-deps.sh bench

cpus=$(nproc)
for cpu in "$RESPONDER_CPU" "$NATS_CPU" "$CLIENT_CPU"; do
  if [ "$cpu" -ge "$cpus" ]; then
    echo "CPU $cpu does not exist (this machine has $cpus)" >&2
    exit 1
  fi
done

# The floor: plain C, the library's headers and .so from Debian's libnats-dev (pkg-config
# libnats gives just -lnats; the headers are in /usr/include/nats/).
echo "building the echo responder (cc -O2, libnats)"
echo_dir=benchmarks/.build-nats-echo
mkdir -p "$echo_dir"
cc -O2 -Wall -o "$echo_dir/echo_responder" benchmarks/nats-echo/echo_responder.c \
  $(pkg-config --cflags --libs libnats 2>/dev/null || echo -lnats) \
  || { echo "could not build the echo responder" >&2; exit 2; }
echo_bin="$repo/$echo_dir/echo_responder"

demo_bin=
if [[ ",$TARGETS," == *",ours,"* ]] && [ -n "${DEMO_BIN:-}" ]; then
  # make bench has built it already: no second release build of the whole package.
  demo_bin=$DEMO_BIN
  [ -x "$demo_bin" ] || { echo "no executable at DEMO_BIN=$demo_bin" >&2; exit 2; }
elif [[ ",$TARGETS," == *",ours,"* ]]; then
  echo "building demo (release, .build-bench-release)"
  "$SWIFT" build -c release --product demo --scratch-path .build-bench-release
  demo_bin="$("$SWIFT" build -c release --scratch-path .build-bench-release --show-bin-path)/demo"
  [ -x "$demo_bin" ] || { echo "no executable at $demo_bin" >&2; exit 2; }
fi

echo "building nats-load and bus-load (release, benchmarks package)"
(cd benchmarks && "$SWIFT" build -c release --product nats-load)
bench_bin="$(cd benchmarks && "$SWIFT" build -c release --show-bin-path)"
nats_load_bin="$bench_bin/nats-load"
[ -x "$nats_load_bin" ] || { echo "no executable at $nats_load_bin" >&2; exit 2; }
bus_load_bin=
if [ "$EMBEDDED" = yes ]; then
  (cd benchmarks && "$SWIFT" build -c release --product bus-load)
  bus_load_bin="$bench_bin/bus-load"
  [ -x "$bus_load_bin" ] || { echo "no executable at $bus_load_bin" >&2; exit 2; }
fi

. "$repo/scripts/bench-harness.sh"

status=0
run_harness env BENCH_NATS_LOAD_BIN="$nats_load_bin" \
  BENCH_BUS_LOAD_BIN="$bus_load_bin" BENCH_DEMO_BIN="$demo_bin" BENCH_ECHO_BIN="$echo_bin" \
  python3 benchmarks/agents/bench_agents.py \
  --repo "$repo" --callers "$CALLERS" --targets "$TARGETS" --rounds "$ROUNDS" \
  --duration "$DURATION" --warmup "$WARMUP" --probe-requests "$PROBE_REQUESTS" \
  --responder-cpu "$RESPONDER_CPU" --nats-cpu "$NATS_CPU" --client-cpu "$CLIENT_CPU" \
  --bus-cpus "$BUS_CPUS" --embedded "$EMBEDDED" --quiet-wait "$QUIET_WAIT" --sched "$SCHED" \
  --out "$RESULTS" --command-line "$command_line" || status=$?
exit "$status"
