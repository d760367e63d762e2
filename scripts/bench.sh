#!/usr/bin/env bash
# Every load benchmark in one go: `make bench` (or scripts/bench.sh). Builds in release what it
# needs, runs each scenario with oaas-load (progress on the terminal: which run, how far, the
# live rate), then writes benchmarks/RESULTS.md (a table per scenario, the targets, the machine,
# date and commit), SVG charts in benchmarks/charts/, and the headline table between
# `<!-- bench:begin -->` and `<!-- bench:end -->` in README.md; last, scripts/bench-agents.sh
# adds its section (agents through NATS and on the embedded bus) to RESULTS.md.
#
# Scenarios (benchmarks/bench/run_bench.py): InvokeObj echo (oaas-grpc-echo, grpc-swift-2,
# nghttpd at 1x1, 16x10, 64x100); InvokeObj math.Calculator/add over 64 objects and on one hot
# object (`demo serve`, grpc-swift-2, nghttpd at 16x10, 64x100); the same over 64 objects in the
# open loop at 5,000 and 100,000 req/s (latency from each request's intended start); a drain
# under load (SIGTERM to `demo serve` mid-run, counting calls that failed after being
# accepted); the object stores (add over 64 objects on `demo serve --store` memory, sqlite NORMAL
# and FULL, nats-kv with one and two processes, beside SQLite alone: benchmarks/sqlite-floor, built
# here with cc -O2 -lsqlite3; nats-server on CLIENT_CPU with the generator); the agents.
# `make bench-stores` runs only the stores (SCENARIOS=stores NO_AGENTS=1), replacing just their
# section of RESULTS.md.
#
# Env: QUICK=1 (2 s runs after 1 s warm-up; the agents' QUICK too), DURATION=10 WARMUP=2,
#      NO_GRPC_SWIFT=1 (skip grpc-swift-2 and its long first build, ~15-20 min),
#      NO_AGENTS=1 (skip scripts/bench-agents.sh), SCENARIOS=echo,add64,addhot,open,drain,stores,
#      STORE_TARGETS=memory,sqlite,sqlite-full,nats-kv,nats-kv-2 (the stores scenario's stores),
#      SERVER_CPU=0 CLIENT_CPU=1, STRICT=1 (exit 3 when a target FAILs),
#      RESULTS=path (default benchmarks/RESULTS.md; charts go in charts/ beside it),
#      SKIP_BUILD=1 (use the binaries already built; fails if one is missing),
#      SCHED=rr|nice|normal (rr, the default as root: server and generator threads at SCHED_RR
#      priority 1, as bench-agents.sh does, so that other programs only get the idle time).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

if [ "${QUICK:-0}" = 1 ]; then
  : "${DURATION:=2}" "${WARMUP:=1}"
fi
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
SCENARIOS=${SCENARIOS:-echo,add64,addhot,open,drain,stores}
STORE_TARGETS=${STORE_TARGETS:-memory,sqlite,sqlite-full,nats-kv,nats-kv-2}
SWIFT=${SWIFT:-swift}
RESULTS=${RESULTS:-benchmarks/RESULTS.md}

command_line="scripts/bench.sh"
for var in STORE_TARGETS SCHED RESULTS STRICT SKIP_BUILD CLIENT_CPU SERVER_CPU SCENARIOS NO_AGENTS NO_GRPC_SWIFT WARMUP DURATION QUICK; do
  if value=$(printenv "$var"); then command_line="$var=$(printf %q "$value") $command_line"; fi
done

scripts/install-deps.sh bench

cpus=$(nproc)
if [ "$SERVER_CPU" -ge "$cpus" ] || [ "$CLIENT_CPU" -ge "$cpus" ] || [ "$SERVER_CPU" = "$CLIENT_CPU" ]; then
  echo "need two distinct CPUs below $cpus for SERVER_CPU=$SERVER_CPU and CLIENT_CPU=$CLIENT_CPU" >&2
  exit 1
fi

step() { echo; echo "### $*"; }
build() {  # build DIR PRODUCT: prints the binary's path; builds unless SKIP_BUILD=1
  local dir=$1 product=$2 bin
  if [ "${SKIP_BUILD:-0}" != 1 ]; then
    (cd "$dir" && "$SWIFT" build -c release --product "$product" >&2) || { echo "build of $product failed" >&2; exit 2; }
  fi
  bin="$(cd "$dir" && "$SWIFT" build -c release --show-bin-path)/$product"
  [ -x "$bin" ] || { echo "no executable at $bin" >&2; exit 2; }
  echo "$bin"
}

step "building (release): oaas-grpc-echo, demo, oaas-load"
echo_bin=
if [[ ",$SCENARIOS," == *",echo,"* ]]; then echo_bin=$(build . oaas-grpc-echo); fi
demo_bin=$(build . demo)
load_bin=$(build benchmarks oaas-load)
ref_bin=
if [ "${NO_GRPC_SWIFT:-0}" != 1 ]; then
  ref_bin="$repo/benchmarks/grpc-swift-reference/.build/release/grpc-swift-reference"
  if [ ! -x "$ref_bin" ] || [ "${SKIP_BUILD:-0}" != 1 ]; then
    step "building grpc-swift-reference (release; the first build takes 15-20 min, NO_GRPC_SWIFT=1 skips it)"
    ref_bin=$(build benchmarks/grpc-swift-reference grpc-swift-reference)
  fi
fi

floor_bin=
if [[ ",$SCENARIOS," == *",stores,"* ]]; then
  # SQLite alone, the stores scenario's floor: plain C against Debian's libsqlite3-dev.
  step "building the SQLite floor (cc -O2, libsqlite3)"
  floor_dir=benchmarks/.build-sqlite-floor
  mkdir -p "$floor_dir"
  cc -O2 -Wall -o "$floor_dir/sqlite_floor" benchmarks/sqlite-floor/sqlite_floor.c \
    $(pkg-config --cflags --libs sqlite3 2>/dev/null || echo -lsqlite3) \
    || { echo "could not build the SQLite floor" >&2; exit 2; }
  floor_bin="$repo/$floor_dir/sqlite_floor"
fi

. "$repo/scripts/bench-harness.sh"

step "gRPC scenarios and the drain (oaas-load)"
status=0
run_harness env BENCH_ECHO_BIN="$echo_bin" BENCH_DEMO_BIN="$demo_bin" \
  BENCH_LOAD_BIN="$load_bin" BENCH_REF_BIN="$ref_bin" BENCH_FLOOR_BIN="$floor_bin" python3 benchmarks/bench/run_bench.py \
  --repo "$repo" --out "$RESULTS" --duration "$DURATION" --warmup "$WARMUP" \
  --server-cpu "$SERVER_CPU" --client-cpu "$CLIENT_CPU" --scenarios "$SCENARIOS" --store-targets "$STORE_TARGETS" \
  ${NO_GRPC_SWIFT:+$( [ "$NO_GRPC_SWIFT" = 1 ] && echo --no-grpc-swift)} \
  ${QUICK:+$( [ "$QUICK" = 1 ] && echo --quick)} \
  ${SCHED:+--sched "$SCHED"} --command-line "$command_line" || status=$?

if [ "${NO_AGENTS:-0}" != 1 ]; then
  step "agents: NATS and the embedded bus (scripts/bench-agents.sh; writes its section of $RESULTS)"
  agents_status=0
  # Through run_harness too, so that a signal to this script stops the agents' run at once.
  run_harness env RESULTS="$RESULTS" SWIFT="$SWIFT" DEMO_BIN="$demo_bin" scripts/bench-agents.sh || agents_status=$?
  if [ "$status" = 0 ]; then status=$agents_status; fi
fi
echo
echo "make bench: wrote $RESULTS and $(dirname "$RESULTS")/charts/*.svg (README.md's bench section too when RESULTS is benchmarks/RESULTS.md); exit $status"
exit "$status"
