#!/usr/bin/env bash
# Runs the hot-path micro-benchmarks (benchmarks/Benchmarks/HotPathBenchmarks, release build)
# once, checks that run against the committed thresholds in benchmarks/Thresholds/, and writes
# benchmarks/RESULTS-micro.md: ns/op, ops/s and mallocs/op at p50, ours beside the reference
# measured in the same run, and the threshold verdict.
#
# Exit status: 0 when within thresholds (or better than them: the report says so, and how to
# record the new values); 2 when a benchmark regressed beyond its thresholds; anything else
# is a failure to build or run.
#
#   UPDATE_THRESHOLDS=1  record this run's p90 values as the thresholds instead of checking
#                        (after an intended change; commit benchmarks/Thresholds/ with it).
#   FILTER=regex         run only the benchmarks whose names match (e.g. FILTER='nats_.*').
set -euo pipefail
cd "$(dirname "$0")/../benchmarks"
SWIFT=${SWIFT:-swift}
scratch=.build-micro
# One run is stored as a package-benchmark baseline, so the report and the threshold check
# read the same measurements; it is removed again at exit.
baseline=micro-run
work=$(mktemp -d)
cleanup() {
  rm -rf "$work" ".benchmarkBaselines/HotPathBenchmarks/$baseline"
  rmdir .benchmarkBaselines/HotPathBenchmarks .benchmarkBaselines 2>/dev/null || true
}
trap cleanup EXIT

benchmark() {
  "$SWIFT" package --scratch-path "$scratch" --disable-sandbox --allow-writing-to-package-directory \
    --allow-writing-to-directory "$work" \
    benchmark "$@" --target HotPathBenchmarks --no-progress ${FILTER:+--filter "$FILTER"}
}

# Time thresholds allow for noise (see HotPathThresholds.swift), but not for a machine whose
# cores are all taken by something else; allocation counts are exact whatever the load.
if [ -r /proc/loadavg ] && awk -v cores="$(nproc)" '{ exit !($1 > cores) }' /proc/loadavg; then
  echo "bench-micro: load average $(cut -d' ' -f1 /proc/loadavg) on $(nproc) cores: time thresholds may fail from noise alone" >&2
fi

# Built first on its own, so a compile error is not buried in the plugin's output.
"$SWIFT" build -c release --scratch-path "$scratch" --product HotPathBenchmarks
benchmark baseline update "$baseline"
benchmark baseline read "$baseline" --format jmh --path "$work" >/dev/null

if [ "${UPDATE_THRESHOLDS:-0}" = 1 ]; then
  benchmark thresholds update "$baseline"
  # The references (Foundation, SwiftProtobuf) are measured for the ratios, not guarded: a
  # threshold is a promise about our code. Without a file, the check skips a benchmark.
  rm -f Thresholds/HotPathBenchmarks.*.reference_*.p90.json
  status=updated
  : >"$work/check.log"
else
  set +e
  benchmark thresholds check "$baseline" >"$work/check.log" 2>"$work/check.err"
  status=$?
  set -e
  # The tool exits 2 for a regression and 4 for an improvement, but `swift package` turns any
  # failing plugin into 1, so the verdict is read from the tool's own words.
  if grep -q "is WORSE than the defined thresholds" "$work/check.log"; then
    status=2
  elif grep -q "is BETTER than the defined thresholds" "$work/check.log"; then
    status=4
  elif grep -q "is EQUAL to the defined thresholds" "$work/check.log"; then
    status=0
  else
    cat "$work/check.log" "$work/check.err" >&2
  fi
  # Only the verdict and its tables: the build chatter before them says nothing.
  sed -n '/EQUAL\|WORSE\|BETTER\|Deviations\|threshold\|^[│╒╞├╘|]/p' "$work/check.log" >"$work/check.txt"
  mv "$work/check.txt" "$work/check.log"
  cat "$work/check.log"
fi

# A filtered run is a trial: its report goes to the terminal only, not over the full one.
report=RESULTS-micro.md
if [ -n "${FILTER:-}" ]; then report="$work/report.md"; fi
python3 ../scripts/bench_micro_report.py "$work/$baseline.jmh.json" "$status" "$work/check.log" >"$report"
echo
cat "$report"

case "$status" in
  0 | 4 | updated) exit 0 ;;
  *) echo "bench-micro: threshold check exited with status $status" >&2; exit "$status" ;;
esac
