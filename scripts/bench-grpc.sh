#!/usr/bin/env bash
# gRPC load benchmark: `make bench-grpc` (or scripts/bench-grpc.sh) builds oaas-grpc-echo in
# release mode and measures unary InvokeObj echo calls with h2load at 1x1, 16x10 and 64x100
# (connections x concurrent streams), beside nghttpd serving a tiny static file on the same
# settings; server pinned to CPU 0, h2load to CPU 1. Writes benchmarks/RESULTS.md (all of it
# but the agents section, which scripts/bench-agents.sh writes and this keeps).
# Installs nghttp2-client (h2load, nghttp) and nghttp2-server (nghttpd) with apt if missing.
# Env: DURATION=10 WARMUP=2 (seconds per run), COUNT_REQUESTS=20000 (exact-count run, -n),
#      QUICK=1 (2 s + 1 s, 2000 calls), SCENARIOS=1x1,16x10,64x100, TARGETS=ours,nghttpd
#      (TARGETS=nghttpd measures the floor alone), SERVER_CPU=0 CLIENT_CPU=1, STRICT=1 (exit 3
#      when a target FAILs). Exit 2 if a server fails to start, 1 if the correctness probe fails.
#      SCENARIOS=none skips the h2load scenarios.
# oaas-load scenarios (a different object per call, which h2load cannot do): built from
# benchmarks/LoadGenerator, run when LOAD_SCENARIOS is set (e.g. LOAD_SCENARIOS=16x10,64x100),
# each against the load server and against nghttpd (`--http-only`, same generator) in this run.
#      SERVER_CMD='<command>'  the load server: prints `LISTENING <port>` once bound and drains
#                 on SIGTERM; without it, oaas-grpc-echo. Setting it alone runs
#                 LOAD_SCENARIOS=16x10,64x100.
#      LOAD_INVOKE=CLS:FN:PAYLOAD:OBJECTS  (default math.Calculator:add:1:64 with SERVER_CMD,
#                 else math.Calculator:echo:{"a":1,"b":2}:64, h2load's payload)
#      LOAD_NGHTTPD_METHOD=POST|GET  (POST: the obj-0 request body to nghttpd's static file)
#      LOAD_SCENARIOS=none: no oaas-load scenarios even with SERVER_CMD.
# RESULTS=path writes the report elsewhere than benchmarks/RESULTS.md (e.g. for a trial run).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

if [ "${QUICK:-0}" = 1 ]; then
  : "${DURATION:=2}" "${WARMUP:=1}" "${COUNT_REQUESTS:=2000}"
fi
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
COUNT_REQUESTS=${COUNT_REQUESTS:-20000}
SCENARIOS=${SCENARIOS:-1x1,16x10,64x100}
TARGETS=${TARGETS:-ours,nghttpd}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
SWIFT=${SWIFT:-swift}
RESULTS=${RESULTS:-benchmarks/RESULTS.md}
SERVER_CMD=${SERVER_CMD:-}
if [ -n "$SERVER_CMD" ]; then
  LOAD_SCENARIOS=${LOAD_SCENARIOS-16x10,64x100}
fi
LOAD_SCENARIOS=${LOAD_SCENARIOS:-}
if [ "$LOAD_SCENARIOS" = none ]; then LOAD_SCENARIOS=; fi
LOAD_INVOKE=${LOAD_INVOKE:-}
LOAD_NGHTTPD_METHOD=${LOAD_NGHTTPD_METHOD:-POST}

# The exact command, as a person would retype it (only the settings that were given).
command_line="scripts/bench-grpc.sh"
for var in RESULTS LOAD_NGHTTPD_METHOD LOAD_INVOKE LOAD_SCENARIOS SERVER_CMD STRICT SERVER_ARGS CLIENT_CPU SERVER_CPU TARGETS SCENARIOS COUNT_REQUESTS WARMUP DURATION QUICK; do
  if value=$(printenv "$var"); then
    command_line="$var=$(printf %q "$value") $command_line"
  fi
done

# Tools and libraries, only those missing (h2load, nghttpd, taskset, the build's -dev packages).
scripts/install-deps.sh bench

cpus=$(nproc)
if [ "$SERVER_CPU" -ge "$cpus" ] || [ "$CLIENT_CPU" -ge "$cpus" ] || [ "$SERVER_CPU" = "$CLIENT_CPU" ]; then
  echo "need two distinct CPUs below $cpus for SERVER_CPU=$SERVER_CPU and CLIENT_CPU=$CLIENT_CPU" >&2
  exit 1
fi

server_bin=
if [[ ",$TARGETS," == *",ours,"* ]] || { [ -n "$LOAD_SCENARIOS" ] && [ -z "$SERVER_CMD" ]; }; then
  echo "building oaas-grpc-echo (release)"
  "$SWIFT" build -c release --product oaas-grpc-echo
  server_bin="$("$SWIFT" build -c release --show-bin-path)/oaas-grpc-echo"
  [ -x "$server_bin" ] || { echo "no executable at $server_bin" >&2; exit 2; }
fi

load_bin=
if [ -n "$LOAD_SCENARIOS" ]; then
  echo "building oaas-load (release, benchmarks package)"
  (cd benchmarks && "$SWIFT" build -c release --product oaas-load)
  load_bin="$(cd benchmarks && "$SWIFT" build -c release --show-bin-path)/oaas-load"
  [ -x "$load_bin" ] || { echo "no executable at $load_bin" >&2; exit 2; }
fi

. "$repo/scripts/bench-harness.sh"

status=0
run_harness env BENCH_SERVER_BIN="$server_bin" \
  BENCH_LOAD_BIN="$load_bin" BENCH_LOAD_SERVER_CMD="$SERVER_CMD" python3 benchmarks/grpc/bench.py \
  --repo "$repo" \
  ${SERVER_ARGS:+--server-args "$SERVER_ARGS"} \
  ${LOAD_SCENARIOS:+--load-scenarios "$LOAD_SCENARIOS"} \
  ${LOAD_INVOKE:+--load-invoke "$LOAD_INVOKE"} \
  --load-nghttpd-method "$LOAD_NGHTTPD_METHOD" \
  --targets "$TARGETS" --scenarios "$SCENARIOS" \
  --duration "$DURATION" --warmup "$WARMUP" --count-requests "$COUNT_REQUESTS" \
  --server-cpu "$SERVER_CPU" --client-cpu "$CLIENT_CPU" \
  --out "$RESULTS" --command-line "$command_line" || status=$?
exit "$status"
