#!/usr/bin/env python3
"""Turns package-benchmark's markdown output into a table of ratios against references.

Each of our benchmarks is paired with the reference measured in the same run; the ratio is
our p50 throughput over the reference's (above 1 means we are faster).
"""
import datetime
import platform
import re
import subprocess
import sys

PAIRS = [
    ("door: execute round trip (wake-up per job)", "reference: DispatchQueue.async round trip"),
    ("door: execute burst (1,000 jobs per wait)", "reference: DispatchQueue.async burst (1,000 jobs per wait)"),
    ("timers: start and cancel (no firing)", "reference: DispatchSourceTimer schedule and cancel"),
    ("timers: schedule and fire (1,000 per loop turn)", None),
]
SCALE = {"": 1, "K": 1e3, "M": 1e6, "G": 1e9}


def parse(text):
    """Maps benchmark name -> {metric: p50 value in base units}."""
    results, current = {}, None
    for line in text.splitlines():
        heading = re.match(r"^### (.+)$", line)
        if heading:
            current = heading.group(1).strip()
            results[current] = {}
            continue
        row = re.match(r"^\| (Throughput \(# / s\)|Malloc \(total\)) ?(?:\((\w)\))?[^|]*\|(.+)$", line)
        if current and row:
            cells = [c.strip() for c in row.group(3).split("|")]
            p50 = float(cells[2]) * SCALE.get(row.group(2) or "", 1)
            results[current][row.group(1)] = p50
    return results


def main():
    results = parse(open(sys.argv[1]).read())
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    cpus = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    print("# Event-loop micro-benchmarks\n")
    print(f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}")
    print(f"- machine: {platform.machine()}, {cpus} cores, {platform.platform()}")
    print(f"- commit: {commit}")
    print("- command: `make bench-loop` (release build, package-benchmark, p50 of each metric)\n")
    print("| benchmark | ours (ops/s) | reference | reference (ops/s) | ratio | mallocs per op (ours) |")
    print("|---|---:|---|---:|---:|---:|")
    for ours, reference in PAIRS:
        if ours not in results:
            continue
        mine = results[ours].get("Throughput (# / s)", 0)
        mallocs = results[ours].get("Malloc (total)", float("nan"))
        if reference and reference in results:
            theirs = results[reference].get("Throughput (# / s)", 0)
            ratio = f"{mine / theirs:.2f}x" if theirs else "n/a"
            print(f"| {ours} | {mine:,.0f} | {reference} | {theirs:,.0f} | {ratio} | {mallocs:g} |")
        else:
            print(f"| {ours} | {mine:,.0f} | (none) | | | {mallocs:g} |")
    print("\nMalloc counts are per operation: package-benchmark divides the metrics marked * by the scaling factor.")


main()
