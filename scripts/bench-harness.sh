# Sourced by the benchmark scripts (bench.sh, bench-grpc.sh, bench-agents.sh): runs their
# Python harness so that nothing it starts outlives the script. The harness records the pid of
# every process it starts in $BENCH_PIDFILE; at exit, whatever is still alive is killed. The
# harness runs in the background so that a signal reaches the traps below at once.

harness_pidfile=$(mktemp)
harness_pid=

harness_cleanup() {
  local pid
  if [ -n "$harness_pid" ] && kill -0 "$harness_pid" 2>/dev/null; then
    kill -TERM "$harness_pid" 2>/dev/null || true
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$harness_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$harness_pid" 2>/dev/null || true
  fi
  while read -r pid; do
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  done < "$harness_pidfile"
  rm -f "$harness_pidfile"
}
trap harness_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# run_harness COMMAND...: runs COMMAND (e.g. `env BENCH_X=... python3 script.py ...`) with
# BENCH_PIDFILE set and returns its exit status.
run_harness() {
  local status=0
  PYTHONDONTWRITEBYTECODE=1 BENCH_PIDFILE="$harness_pidfile" "$@" &
  harness_pid=$!
  wait "$harness_pid" || status=$?
  harness_pid=
  return "$status"
}
