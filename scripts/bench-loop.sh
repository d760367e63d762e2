#!/usr/bin/env bash
# Runs the event-loop micro-benchmarks (release build) and writes benchmarks/RESULTS-loop.md:
# the p50 throughput of each of ours beside its Dispatch reference, as a ratio, from one run.
set -euo pipefail
cd "$(dirname "$0")/../benchmarks"
raw=$(mktemp)
trap 'rm -f "$raw"' EXIT
swift package --disable-sandbox benchmark --target LoopBenchmarks --format markdown --no-progress | tee "$raw"
python3 ../scripts/bench_ratios.py "$raw" > RESULTS-loop.md
echo
cat RESULTS-loop.md
