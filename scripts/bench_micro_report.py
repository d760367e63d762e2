#!/usr/bin/env python3
"""Turns a HotPathBenchmarks run (package-benchmark's JMH export) into benchmarks/RESULTS-micro.md.

Usage: bench_micro_report.py RUN.jmh.json CHECK_STATUS CHECK_LOG

The JMH export keeps every value per benchmark iteration, unrounded; the suite runs 1,000
operations per iteration (scalingFactor .kilo), so time in microseconds per iteration is
nanoseconds per operation and mallocs per iteration / 1,000 are mallocs per operation, to
three decimals where package-benchmark's own tables round to whole numbers.

Benchmarks named `<subject>.<ours>` pair with `<subject>.reference_<library>` from the same
run; the ratio is the reference's p50 time over ours (above 1 means ours is faster).
"""
import datetime
import json
import platform
import subprocess
import sys

OPS_PER_ITERATION = 1_000
SECTIONS = [
    ("proto", "Protobuf: the server's OprcWire beside SwiftProtobuf"),
    ("grpc", "gRPC framing: length-prefixed messages from DATA chunks and into a body"),
    ("payload", "Payload JSON: PayloadCodec beside Foundation"),
    ("nats", "NATS: the client's parser (MSG/HMSG, 100 per buffer) and command writer"),
    ("object", "The per-object queue"),
    ("engine", "Whole calls in memory: InvocationEngine, inline strategy, in-memory store"),
    ("server", "The server's per-call work"),
]
STATUS_TEXT = {
    "0": "passed: every benchmark is within its thresholds",
    "2": "FAILED: regressions beyond the thresholds (see below)",
    "4": "passed with improvements beyond the thresholds: record them with `UPDATE_THRESHOLDS=1 make bench-micro`",
    "updated": "thresholds recorded from this run (benchmarks/Thresholds/)",
}


def load(path):
    """Maps benchmark name -> {ns, ops, mallocs} (p50 per operation; mallocs also p90)."""
    results = {}
    for element in json.load(open(path)):
        name = element["benchmark"].rsplit(".HotPathBenchmarks.", 1)[-1]
        secondary = element["secondaryMetrics"]
        time = secondary["Time (wall clock)"]["scorePercentiles"]
        mallocs = secondary["Malloc (total)"]["scorePercentiles"]
        results[name] = {
            "ns": time["50.0"] * 1_000 / OPS_PER_ITERATION,
            "ops": element["primaryMetric"]["scorePercentiles"]["50.0"] * OPS_PER_ITERATION,
            "mallocs": mallocs["50.0"] / OPS_PER_ITERATION,
            "mallocs90": mallocs["90.0"] / OPS_PER_ITERATION,
        }
    return results


def readable(name):
    return name.replace("_", " ")


def count(value):
    return f"{value:.3f}".rstrip("0").rstrip(".") if value else "0"


def time(ns):
    return f"{ns:,.0f}" if ns >= 100 else f"{ns:.1f}"


def main():
    results = load(sys.argv[1])
    status = sys.argv[2] if len(sys.argv) > 2 else None
    check_log = open(sys.argv[3]).read().strip() if len(sys.argv) > 3 else ""
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "../Sources", "Benchmarks"],
                           capture_output=True, text=True).stdout.strip()
    cpus = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    load_average = open("/proc/loadavg").read().split()[:3] if platform.system() == "Linux" else []

    print("# Hot-path micro-benchmarks\n")
    print(f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}")
    print(f"- machine: {platform.machine()}, {cpus} cores, {platform.platform()}"
          + (f", load average {' '.join(load_average)} at the end" if load_average else ""))
    print(f"- commit: {commit}{' + uncommitted changes' if dirty else ''}")
    print("- command: `make bench-micro` (release build, package-benchmark 1.38.1 with MallocInterposer; "
          "1,000 operations per iteration; p50 over the iterations)")
    if status:
        print(f"- threshold check: {STATUS_TEXT.get(status, f'exit status {status}')}")
    print()
    print("Times are the p50 of one run on a shared machine: compare ratios within a run, not absolute numbers "
          "across runs. Mallocs are per operation (`mallocCountTotal` over 1,000 operations) and do not "
          "depend on the machine.\n")

    pairs, singles = {}, []
    for name in results:
        subject, _, implementation = name.rpartition(".")
        if subject:
            side = "reference" if implementation.startswith("reference_") else "ours"
            pairs.setdefault(subject, {})[side] = (implementation, results[name])
        else:
            singles.append(name)

    for prefix, title in SECTIONS:
        rows = []
        for subject in sorted(s for s in pairs if s.startswith(prefix + "_")):
            ours_name, ours = pairs[subject].get("ours", ("?", None))
            reference_name, reference = pairs[subject].get("reference", ("", None))
            if ours is None:
                continue
            cells = [readable(subject), ours_name, time(ours["ns"]), f"{ours['ops']:,.0f}", count(ours["mallocs"])]
            if reference:
                cells += [readable(reference_name.removeprefix("reference_")), time(reference["ns"]),
                          count(reference["mallocs"]), f"{reference['ns'] / ours['ns']:.2f}x"]
            else:
                cells += ["", "", "", ""]
            rows.append(cells)
        for name in sorted(n for n in singles if n.startswith(prefix + "_")):
            ours = results[name]
            rows.append([readable(name), "", time(ours["ns"]), f"{ours['ops']:,.0f}", count(ours["mallocs"]),
                         "", "", "", ""])
        if not rows:
            continue
        print(f"## {title}\n")
        print("| benchmark | ours | ns/op p50 | ops/s p50 | mallocs/op | reference | ref ns/op p50 | ref mallocs/op | ref time / ours |")
        print("|---|---|---:|---:|---:|---|---:|---:|---:|")
        for cells in rows:
            print("| " + " | ".join(cells) + " |")
        print()

    echo = results.get("server_InvokeObj_echo_whole_server_over_loopback")
    add = results.get("server_InvokeObj_add_whole_server_over_loopback")
    if echo or add:
        print("## Allocations per InvokeObj on the server\n")
        print("The whole-server rows run the runtime's InvokeObj route on a GRPCServer (inline engine, in-memory "
              "store) on an embedded loop, with a client on the same thread that allocates nothing while measured "
              "(pre-encoded HTTP/2 frames on a plain socket, HPACK-indexed headers as real clients send them): "
              "every malloc counted is the server's, from nghttp2 through the response. The issue's target is "
              "at most 10 per InvokeObj echo.\n")
        for label, row in (("echo (payload `{\"a\":1,\"b\":2}` back)", echo), ("add (`math.Calculator`, state loaded and committed)", add)):
            if row:
                verdict = "meets" if row["mallocs90"] <= 10 else "misses"
                print(f"- {label}: {count(row['mallocs'])} per call (p90 {count(row['mallocs90'])}): {verdict} the target")
        print()
        print("Where they come from: `cd benchmarks && swift package --scratch-path .build-micro benchmark run "
              "--target HotPathBenchmarks --filter server_InvokeObj_echo_whole_server_over_loopback "
              "--allocation-stacks` lists each allocating stack (frames inside nghttp2 show as bare addresses).\n")

    if check_log:
        print("## Threshold check output\n")
        print("```")
        print(check_log)
        print("```")


main()
