#!/usr/bin/env python3
"""`make bench`: every load scenario, one report (benchmarks/RESULTS.md) and charts.

Called by scripts/bench.sh, which builds the binaries first and runs scripts/bench-agents.sh
after this (that splices its section between `<!-- agents:begin -->` / `<!-- agents:end -->`,
which this keeps). Reuses benchmarks/grpc/bench.py (process handling, pinning, CPU sampling,
nghttpd) and drives everything through one generator, oaas-load (benchmarks/LoadGenerator):
HdrHistogram percentiles for every server, and the same client work whatever the server.

Scenarios (a fresh server process for every run; servers on SERVER_CPU, oaas-load on
CLIENT_CPU; the servers of one C x M are run back to back so drift hits them alike):
  echo      InvokeObj fn `echo`: oaas-grpc-echo, grpc-swift-reference, nghttpd (--http-only,
            a static file of our reply's size) at 1x1, 16x10, 64x100
  add64     InvokeObj math.Calculator/add over 64 objects: `demo serve`, grpc-swift-reference,
            nghttpd at 16x10, 64x100
  addhot    the same on one object (`--invoke-obj math.Calculator:add:1:1`)
  open      add over 64 objects in the open loop (oaas-load --rate: fixed arrival rates on
            16 connections of up to 10 streams), latency from each request's intended start
  drain     `demo serve` under oaas-load 16x10 (closed loop), SIGTERM at ~half the run
  stores    add over 64 objects at 16x10 and 64x100 per object store (memory, sqlite NORMAL and
            FULL, nats-kv with one and two processes) beside SQLite alone (benchmarks/sqlite-floor);
            see stores.py. Its section of RESULTS.md sits between `<!-- stores:begin -->` and
            `<!-- stores:end -->`: a run of only `stores` (make bench-stores) replaces just that.
"""
import argparse
import datetime
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "grpc"))
sys.path.insert(0, os.path.join(HERE, "..", "agents"))
import bench as gb  # noqa: E402  (benchmarks/grpc/bench.py)
import bench_agents  # noqa: E402  (benchmarks/agents: renice, SCHED_RR per thread)
import proc_cpu  # noqa: E402  (benchmarks/agents: CPU seconds of a process)
import grpc_body  # noqa: E402
from report_format import pct as f_pct, rate as f_rate, us as f_us  # noqa: E402
import results_section  # noqa: E402
import stores  # noqa: E402  (benchmarks/bench/stores.py: the `stores` scenario)
import svg_chart  # noqa: E402

RPC_PATH = gb.RPC_PATH
ECHO_PAYLOAD = '{"a":1,"b":2}'
SERVER_LABEL = {"ours": "ours", "grpc-swift": "grpc-swift-2", "nghttpd": "nghttpd"}

SCENARIOS = {
    "echo": {"title": "gRPC InvokeObj echo", "invoke": f"math.Calculator:echo:{ECHO_PAYLOAD}:1",
             "ours": "oaas-grpc-echo", "levels": ["1x1", "16x10", "64x100"]},
    "add64": {"title": "gRPC InvokeObj math.Calculator/add, 64 objects",
              "invoke": "math.Calculator:add:1:64", "ours": "demo serve", "levels": ["16x10", "64x100"]},
    "addhot": {"title": "gRPC InvokeObj math.Calculator/add, one hot object",
               "invoke": "math.Calculator:add:1:1", "ours": "demo serve", "levels": ["16x10", "64x100"]},
    # Open loop: a rate every server keeps up with, and one only the fast ones do. A server that
    # falls behind shows it as latency from the intended start (the wait behind schedule), not
    # as a quietly lower request count.
    "open": {"title": "gRPC InvokeObj math.Calculator/add, 64 objects, open loop",
             "invoke": "math.Calculator:add:1:64", "ours": "demo serve",
             "levels": ["16x10@5000", "16x10@100000"]},
}


def level_parts(level):
    """`CxM` (closed loop) or `CxM@RATE` (open loop): connections, streams, rate or None."""
    shape, _, rate = level.partition("@")
    conns, streams = map(int, shape.split("x"))
    return conns, streams, (int(rate) if rate else None)


def level_label(level):
    """How a level reads in tables and charts: `16x10`, or `5,000/s (16x10)`."""
    conns, streams, rate = level_parts(level)
    return f"{conns}x{streams}" if rate is None else f"{rate:,}/s ({conns}x{streams})"


def is_open(scenario):
    return any(level_parts(lv)[2] for lv in SCENARIOS[scenario]["levels"])

# oaas-load failure keys that mean the server never accepted the stream (see drain_section).
# The key is `stream_reset:<name of the HTTP/2 code>` (oaas-load prints the Swift case name,
# `refusedStream`); compared without case and underscores.
REFUSED_KEYS = {"streamreset:refusedstream"}


def is_refused(key):
    return key.lower().replace("_", "") in REFUSED_KEYS


# --------------------------------------------------------------------------- running

def say(text):
    print(text, flush=True)


def server_cmd(args, scenario, target):
    if target == "ours":
        if SCENARIOS[scenario]["ours"] == "oaas-grpc-echo":
            return [args.echo_bin, "--port", "0", "--max-concurrent-streams", "100", "--max-connections", "256"]
        return [args.demo_bin, "serve", "--port", "0", "--store", "memory"]
    if target == "grpc-swift":
        return [args.ref_bin, "--port", "0", "--max-concurrent-streams", "100"]
    raise ValueError(target)


def start_server(args, scenario, target, label):
    if target == "nghttpd":
        return gb.start_nghttpd(args, args.docroot[scenario], args.workdir, f"{scenario}-{label}")
    cmd = server_cmd(args, scenario, target)
    server = gb.Server(target, cmd, args.server_cpu, os.path.join(args.workdir, f"{target}-{scenario}-{label}.stderr"))
    if not server.wait_listening(args.start_timeout):
        code, _ = server.stop(timeout=5)
        detail = "; ".join((server.lines + server.stderr_tail())[-10:])
        raise RuntimeError(f"{' '.join(cmd)} did not print 'LISTENING <port>' (exit {code}): {detail!r}")
    return server


def request_args(args, scenario, target):
    if target == "nghttpd":
        return ["--http-only", "--method", "POST", "--path", "/reply.bin", "--body-file", args.body[scenario]]
    return ["--path", RPC_PATH, "--invoke-obj", SCENARIOS[scenario]["invoke"]]


def schedule(*procs):
    """SCHED=rr: every thread of these processes at SCHED_RR priority 1 (bench_agents.renice),
    so other programs on a shared machine only get the time the benchmark leaves idle."""
    bench_agents.renice(*[p.pid for p in procs if p is not None and p.poll() is None])


def run_load(args, port, conns, streams, extra, server, warmup, duration=None, count=None,
             on_measuring=None, tag="", also=None):
    """oaas-load pinned to CLIENT_CPU with --progress --json; its progress lines are echoed
    (prefixed with `tag`); CPU of generator and server sampled at its phase lines, as
    bench.py's run_oaas_load does. `on_measuring` is called when the measured phase starts.
    `port` may be a list (oaas-load spreads the connections over them). `also`: {label: pid}
    of other processes of the run (nats-server) whose CPU over the window goes in the result's
    `also_cpu_s` (and which get the run's scheduling)."""
    ports = port if isinstance(port, (list, tuple)) else [port]
    also = also or {}
    full = ["taskset", "-c", str(args.client_cpu), args.load_bin, "--host", "127.0.0.1",
            "--port", ",".join(map(str, ports)), "-c", str(conns), "-m", str(streams), "--warmup", str(warmup),
            "--timeout", str(args.inactivity_timeout), "--json", "--progress"]
    full += ["-n", str(count)] if count else ["--duration", str(duration)]
    full += extra
    limit = warmup + (duration or 0) + args.inactivity_timeout + 60 + (count or 0) / 1000
    samples = {}
    server_procs = list(getattr(server, "procs", [server.proc])) if server else []

    def also_cpu():
        out = {}
        for label, pid in also.items():
            try:
                out[label] = proc_cpu.process_seconds(pid)
            except (OSError, IndexError, ValueError):
                out[label] = None
        return out

    def on_line(proc, line):
        if "phase=measuring" in line:
            schedule(proc, *server_procs)
            bench_agents.renice(*also.values())
            samples["also_start"] = also_cpu()
            samples["main_start"] = gb.cpu_sample(proc.pid, server)
            if on_measuring:
                on_measuring()
        elif "phase=draining" in line:
            samples["main_end"] = gb.cpu_sample(proc.pid, server)
            samples["also_end"] = also_cpu()
        if line.startswith("t=") and tag:
            say(f"   {tag} {line}")

    result, code, timed_out, lines = gb.run_generator(full, limit, on_line,
                                                      on_spawn=lambda proc: schedule(proc, *server_procs))
    stderr = [line for line in lines if not line.startswith("t=")]
    shown = [os.path.relpath(c, args.repo) if c == args.load_bin else c for c in full]
    result.update(exit_code=code, killed_after_timeout=timed_out, stderr_tail=stderr[-10:],
                  command=" ".join(shlex.quote(c) for c in shown))
    a, b = samples.get("main_start"), samples.get("main_end")
    if a and b and server is not None:
        result.update(gb.window_cpu(args, a, b, server))
    if also and "also_start" in samples and "also_end" in samples:
        result["also_cpu_s"] = {k: (None if samples["also_start"].get(k) is None or v is None
                                    else v - samples["also_start"][k])
                                for k, v in samples["also_end"].items()}
    return result


def probe(args, scenario, target):
    """Before a scenario's runs: for our server, one nghttp call whose reply becomes nghttpd's
    static file (same DATA size); for every gRPC server, oaas-load -n 256 --check-payload."""
    server = start_server(args, scenario, target, "probe")
    problems = []
    try:
        if target == "ours":
            hdrs = ["-H", "content-type: application/grpc", "-H", "te: trailers"]
            try:
                reply = subprocess.run(["nghttp", "-d", args.body[scenario]] + hdrs
                                       + [f"http://127.0.0.1:{server.port}{RPC_PATH}"],
                                       capture_output=True, timeout=20).stdout
            except subprocess.TimeoutExpired:
                reply = b""
            if reply:
                with open(os.path.join(args.docroot[scenario], "reply.bin"), "wb") as f:
                    f.write(reply)
            else:
                problems.append("nghttp got no reply")
        n = 256
        r = run_load(args, server.port, 1, 4, request_args(args, scenario, target) + ["--check-payload"],
                     server, 0, count=n)
        if r.get("succeeded") != n or r.get("failed"):
            problems.append(f"-n {n} --check-payload: {r.get('succeeded')} ok, {r.get('failed')} failed "
                            f"{r.get('failures')} (exit {r.get('exit_code')}; {r.get('stderr_tail')})")
    finally:
        code, _ = server.stop()
    if code != 0:
        problems.append(f"exit code {code} after SIGTERM")
    return problems


def measure(args, scenario, target, level):
    conns, streams, rate = level_parts(level)
    server = start_server(args, scenario, target, level)
    extra = request_args(args, scenario, target) + (["--rate", str(rate)] if rate else [])
    try:
        r = run_load(args, server.port, conns, streams, extra, server,
                     args.warmup, duration=args.duration, tag=f"[{scenario} {target} {level}]")
    finally:
        code, secs = server.stop()
    r.update(server_exit=code, stop_seconds=secs, conns=conns, streams=streams)
    return r


def drain(args):
    """`demo serve` under a 16x10 closed loop; SIGTERM ~half way through the measured phase."""
    server = start_server(args, "add64", "ours", "drain")
    sent = {}

    def term():
        sent["at"] = time.monotonic()
        if server.proc.poll() is None:
            server.proc.send_signal(signal.SIGTERM)

            def wait_exit():
                server.proc.wait()
                sent["exited"] = time.monotonic()
            threading.Thread(target=wait_exit, daemon=True).start()

    def on_measuring():
        t = threading.Timer(args.drain_after, term)
        t.daemon = True
        t.start()
    try:
        r = run_load(args, server.port, 16, 10, request_args(args, "add64", "ours"), server, 0,
                     duration=args.drain_duration, on_measuring=on_measuring, tag="[drain ours 16x10]")
    finally:
        try:
            code = server.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            code, _ = server.stop()
        server.reader.join(timeout=5)
        time.sleep(0.05)
    r.update(server_exit=code, sigterm_sent=bool(sent),
             exit_after_sigterm_s=(sent["exited"] - sent["at"]) if "exited" in sent else None)
    return r


# --------------------------------------------------------------------------- numbers

def lat(r, key):
    return ((r or {}).get("latency_us") or {}).get(key)


def failed(r):
    if not r or "failed" not in r:
        return None
    return r["failed"] + (r.get("warmup") or {}).get("failed", 0)


def other_load(args, r):
    other = {int(k): v for k, v in ((r or {}).get("other_load_pct") or {}).items()}
    return f"{f_pct(other.get(args.server_cpu))} / {f_pct(other.get(args.client_cpu))}"


def server_us_per_req(r):
    if not r or r.get("server_cpu_s") is None or not r.get("succeeded"):
        return None
    return r["server_cpu_s"] / r["succeeded"] * 1e6


def gen_cpu(r):
    u = (r or {}).get("generator_cpu_utilisation")
    return None if u is None else 100 * u


def f_ratio(x):
    return "n/a" if x is None else (f"{x:.2f}" if x < 100 else f"{x:,.0f}")


def f_secs(x):
    return "n/a" if x is None else f"{x:.2f} s"


def ratio(a, b):
    return a / b if a is not None and b else None


def problems_of(r, target):
    out = []
    if not r:
        return ["not run"]
    if "succeeded" not in r:
        return [f"no JSON report (exit {r.get('exit_code')}; {r.get('stderr_tail')})"]
    if r.get("ended_early"):
        out.append("ended early")
    if r.get("killed_after_timeout"):
        out.append("killed after the harness's timeout")
    conn = r.get("connection", {})
    if conn.get("connect_failed") or conn.get("lost"):
        out.append(f"connections: {conn.get('connect_failed')} failed to connect, {conn.get('lost')} lost")
    if failed(r):
        out.append(f"{failed(r)} failed calls {r.get('failures')}")
    if target != "nghttpd" and r.get("server_exit") not in (0, None):
        out.append(f"server exit code {r.get('server_exit')} after SIGTERM")
    return out


def micro_allocations(repo):
    """Allocations per InvokeObj echo on the server, from benchmarks/RESULTS-micro.md if the
    micro-benchmarks wrote one: the row of the whole server's InvokeObj echo (every malloc from
    nghttp2 through the response), in its allocations column. None when there is none."""
    path = os.path.join(repo, "benchmarks", "RESULTS-micro.md")
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    header = None
    for line in lines:
        if not line.startswith("|"):
            header = None if not line.strip() else header
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = [c.lower() for c in cells]
            continue
        if set("".join(cells)) <= set("-: "):
            continue
        text = " ".join(cells).lower()
        # The whole server's row (nghttp2 to the response), not the engine-only ones.
        if "invokeobj" in text and "echo" in text and "whole server" in text:
            for i, h in enumerate(header):
                if "alloc" in h and i < len(cells):
                    m = re.search(r"[\d.,]+", cells[i])
                    if m:
                        try:
                            return float(m.group(0).replace(",", "")), line.strip()
                        except ValueError:
                            pass
    return None


# --------------------------------------------------------------------------- report

def disturbed(args, *runs):
    """The highest other load (%) on the benchmark's CPUs over these runs, if above 10%. Not
    with SCHED=rr: other programs then run only in the time the benchmark leaves idle (e.g. the
    generator's CPU while it waits for a slow server), so their load says nothing of ours."""
    if args.sched == "rr":
        return None
    worst = max([v for r in runs if r for v in (r.get("other_load_pct") or {}).values()], default=0)
    return worst if worst > 10 else None


def note(args, *runs):
    worst = disturbed(args, *runs)
    return "" if worst is None else f" — disturbed: {worst:.0f}% other load on a benchmark CPU"


def targets_of(args, results, drain_r):
    rows = []
    for level in ("16x10", "64x100"):
        o = results.get(("add64", "ours", level))
        g = results.get(("add64", "grpc-swift", level))
        n = results.get(("add64", "nghttpd", level))
        o_rps = (o or {}).get("requests_per_second")
        if "grpc-swift" in args.targets:
            x = ratio(o_rps, (g or {}).get("requests_per_second"))
            rows.append((f"InvokeObj add (64 objects) {level}: ours ≥ 10x grpc-swift-2 req/s",
                         "n/a" if x is None else f"{x:.2f}x{note(args, o, g)}",
                         "n/a" if x is None else ("PASS" if x >= 10 else "FAIL")))
        else:
            rows.append((f"InvokeObj add (64 objects) {level}: ours ≥ 10x grpc-swift-2 req/s",
                         "not measured (NO_GRPC_SWIFT=1)", "n/a"))
        x = ratio(o_rps, (n or {}).get("requests_per_second"))
        rows.append((f"InvokeObj add (64 objects) {level}: ours ≥ 0.40 of nghttpd req/s",
                     f_ratio(x) + note(args, o, n), "n/a" if x is None else ("PASS" if x >= 0.40 else "FAIL")))
    o, n = results.get(("echo", "ours", "1x1")), results.get(("echo", "nghttpd", "1x1"))
    x = ratio(lat(o, "p50"), lat(n, "p50"))
    rows.append(("echo 1x1: ours p50 latency within 1.5x of nghttpd's",
                 "n/a" if x is None else f"{x:.2f}x ({f_us(lat(o, 'p50'))} vs {f_us(lat(n, 'p50'))}){note(args, o, n)}",
                 "n/a" if x is None else ("PASS" if x <= 1.5 else "FAIL")))
    if drain_r is not None:
        d = drain_counts(drain_r)
        rows.append(("drain under load: 0 calls failed after being accepted",
                     "n/a" if d["after_accepted"] is None else
                     f"{d['after_accepted']} (oaas-load's own failed count: {d['total']}, of which refused: {d['refused']})",
                     "n/a" if d["after_accepted"] is None else ("PASS" if d["after_accepted"] == 0 and d["ok"] else "FAIL")))
    else:
        rows.append(("drain under load: 0 calls failed after being accepted", "not run", "n/a"))
    rows.extend(stores.targets_of(args, results))
    alloc = micro_allocations(args.repo)
    if alloc is None:
        rows.append(("allocations per InvokeObj echo on the server ≤ 10",
                     "not measured (no number in benchmarks/RESULTS-micro.md)", "n/a"))
    else:
        rows.append(("allocations per InvokeObj echo on the server ≤ 10",
                     f"{alloc[0]:g} (benchmarks/RESULTS-micro.md: `{alloc[1]}`)", "PASS" if alloc[0] <= 10 else "FAIL"))
    return rows


def drain_counts(r):
    """Failures of the drain run, split by whether the server had accepted the stream."""
    if not r or "failures" not in r:
        return {"total": None, "refused": None, "after_accepted": None, "ok": False}
    fails = dict(r.get("failures") or {})
    for k, v in ((r.get("warmup") or {}).get("failures") or {}).items():
        fails[k] = fails.get(k, 0) + v
    refused = sum(v for k, v in fails.items() if is_refused(k))
    total = sum(fails.values())
    ok = r.get("server_exit") == 0 and r.get("sigterm_sent")
    return {"total": total, "refused": refused, "after_accepted": total - refused, "ok": ok, "failures": fails}


def scenario_runs(args, scenario, results):
    """(level, target, server name, run) for every run of a scenario, in table order."""
    for level in SCENARIOS[scenario]["levels"]:
        for target in args.targets:
            r = results.get((scenario, target, level))
            if r is not None:
                yield level, target, SCENARIOS[scenario]["ours"] if target == "ours" else SERVER_LABEL[target], r


def scenario_table(args, scenario, results):
    L = ["| C x M | server | req/s | mean | p50 | p90 | p99 | failed calls | server CPU per request | "
         "server CPU | oaas-load CPU | other load (server / client CPU) | vs grpc-swift-2 (req/s, p50) | "
         "vs nghttpd (req/s, p50) |",
         "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for level, target, name, r in scenario_runs(args, scenario, results):
        rps = r.get("requests_per_second")
        vs = {}
        for ref in ("grpc-swift", "nghttpd"):
            q = results.get((scenario, ref, level))
            if target == "ours" and q and ref in args.targets:
                vs[ref] = (f"{f_ratio(ratio(rps, q.get('requests_per_second')))}x, "
                           f"{f_ratio(ratio(lat(r, 'p50'), lat(q, 'p50')))}x")
            else:
                vs[ref] = ""
        per = server_us_per_req(r)
        L.append(f"| {level} | {name} | {f_rate(rps)} | {f_us(lat(r, 'mean'))} | {f_us(lat(r, 'p50'))} | "
                 f"{f_us(lat(r, 'p90'))} | {f_us(lat(r, 'p99'))} | "
                 f"{'n/a' if failed(r) is None else failed(r)} | "
                 f"{'n/a' if per is None else f'{per:.1f} µs'} | {f_pct(r.get('server_cpu_pct'))} | "
                 f"{f_pct(gen_cpu(r))} | {other_load(args, r)} | {vs['grpc-swift']} | {vs['nghttpd']} |")
    return L


def open_loop_table(args, scenario, results):
    """The open loop's own table: whether each server kept the rate, latency from the intended
    start (what a caller arriving on schedule waits), the service time from the send, and how
    far the generator's starts trailed their schedule (its own health)."""
    L = ["| rate (C x M) | server | req/s | rate reached | p50 | p90 | p99 | p99.9 | max | "
         "service time p50 / p99 | started late | not started | failed calls | server CPU | oaas-load CPU |",
         "|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for level, target, name, r in scenario_runs(args, scenario, results):
        sched = r.get("schedule") or {}
        service = r.get("service_time_us") or {}
        reached = r.get("target_rate_reached")
        L.append(f"| {level_label(level)} | {name} | {f_rate(r.get('requests_per_second'))} | "
                 f"{'n/a' if reached is None else ('yes' if reached else '**no**')} | "
                 f"{f_us(lat(r, 'p50'))} | {f_us(lat(r, 'p90'))} | {f_us(lat(r, 'p99'))} | "
                 f"{f_us(lat(r, 'p99_9'))} | {f_us(lat(r, 'max'))} | "
                 f"{f_us(service.get('p50'))} / {f_us(service.get('p99'))} | "
                 f"{sched.get('started_late', 'n/a')} of {sched.get('started', 'n/a')} | "
                 f"{sched.get('not_started', 'n/a')} | {'n/a' if failed(r) is None else failed(r)} | "
                 f"{f_pct(r.get('server_cpu_pct'))} | {f_pct(gen_cpu(r))} |")
    return L


def headline(args, results):
    """One row per closed-loop scenario and C x M: ours' req/s and p50, and its ratios to the
    references. The open loop is left out: every server that keeps up serves the offered rate,
    so its req/s ratios say nothing, and its latency counts from another start."""
    L = ["| scenario | C x M | ours req/s | ours / grpc-swift-2 | ours / nghttpd | ours p50 | ours failed |",
         "|---|---|---:|---:|---:|---:|---:|"]
    for scenario in [s for s in args.scenarios if not is_open(s)]:
        for level in SCENARIOS[scenario]["levels"]:
            o = results.get((scenario, "ours", level))
            if not o:
                continue
            g = results.get((scenario, "grpc-swift", level))
            n = results.get((scenario, "nghttpd", level))
            rps = o.get("requests_per_second")
            L.append(f"| {SCENARIOS[scenario]['title']} | {level_label(level)} | {f_rate(rps)} | "
                     f"{f_ratio(ratio(rps, (g or {}).get('requests_per_second'))) if g else 'n/a'} | "
                     f"{f_ratio(ratio(rps, (n or {}).get('requests_per_second'))) if n else 'n/a'} | "
                     f"{f_us(lat(o, 'p50'))} | {'n/a' if failed(o) is None else failed(o)} |")
    return L


def charts(args, results):
    os.makedirs(args.charts_dir, exist_ok=True)
    made = stores.charts(args, sys.modules[__name__], results)
    for scenario in args.scenarios:
        spec = SCENARIOS[scenario]
        levels = spec["levels"]
        series = [spec["ours"] if t == "ours" else SERVER_LABEL[t] for t in args.targets]
        open_loop = is_open(scenario)
        if open_loop:
            # Every server is offered the same requests/s, so the telling number is the tail.
            values = [[lat(results.get((scenario, t, lv)), "p99") for lv in levels] for t in args.targets]
            path = os.path.join(args.charts_dir, f"{scenario}-p99.svg")
            svg_chart.bar_chart(path, f"{spec['title']}: p99 latency", [level_label(lv) for lv in levels],
                                series, values, "p99 latency", log=True, value_format=svg_chart.latency_label,
                                subtitle="fixed arrival rate; from each request's intended start; lower is better")
            made.append((f"{spec['title']}: p99 latency against arrival rate", path))
        else:
            values = [[(results.get((scenario, t, lv)) or {}).get("requests_per_second") for lv in levels]
                      for t in args.targets]
            path = os.path.join(args.charts_dir, f"{scenario}-rps.svg")
            svg_chart.bar_chart(path, f"{spec['title']}: requests/s", [f"{lv} (C x M)" for lv in levels],
                                series, values, "requests/s", log=False,
                                subtitle=f"oaas-load, {args.warmup} s warm-up + {args.duration} s per run; higher is better")
            made.append((f"{spec['title']}: requests/s against concurrency", path))
        measured_from = "intended start" if open_loop else "request sent"
        for lv in levels:
            pcts = ["p50", "p90", "p99"]
            vals = [[lat(results.get((scenario, t, lv)), p) for t in args.targets] for p in pcts]
            path = os.path.join(args.charts_dir, f"{scenario}-latency-{lv.replace('@', '-at-')}.svg")
            svg_chart.bar_chart(path, f"{spec['title']}, {level_label(lv)}: latency", series, pcts, vals, "latency",
                                log=True, value_format=svg_chart.latency_label,
                                subtitle=f"from {measured_from} to stream closed; lower is better")
            made.append((f"{spec['title']}, {level_label(lv)}: latency p50/p90/p99", path))
    return made


def write_report(args, results, probes, drain_r, started, chart_list):
    mi = args.machine
    L = ["# Benchmarks", "",
         "Generated by `scripts/bench.sh` (`make bench`); do not edit by hand. The agents section at the "
         "end is written by `scripts/bench-agents.sh`, which `make bench` runs last.", "",
         f"- Date: {started.strftime('%Y-%m-%d %H:%M:%S %Z').strip()}",
         f"- Machine: {mi['nproc']} CPUs, {mi['cpu']}, Linux {mi['kernel']} (load average at start: {mi['load']})",
         f"- Commit: {args.commit}",
         f"- Command: `{args.command_line}`"
         + (f" (this report rewritten from its raw.json by `run_bench.py --from-raw` at commit "
            f"{gb.git_commit(args.repo)})" if args.from_raw else ""),
         f"- Generator: `oaas-load` (benchmarks/LoadGenerator), one thread, closed loop, pinned to CPU "
         f"{args.client_cpu}; servers pinned to CPU {args.server_cpu}; a fresh server process per run; "
         f"each run {args.warmup} s warm-up + {args.duration} s measured; latencies from an HdrHistogram "
         "(request sent to stream closed). Scheduling: "
         + ("every thread of the server and of oaas-load at SCHED_RR priority 1 (`SCHED=rr`, as "
            "bench-agents.sh does), so other programs on a shared machine get only the time the benchmark "
            "leaves idle." if args.sched == "rr" else f"`SCHED={args.sched}`."),
         f"- Servers: ours = `oaas-grpc-echo --max-concurrent-streams 100 --max-connections 256` (echo) and "
         f"`demo serve --port 0` (add); grpc-swift-2 = `benchmarks/grpc-swift-reference` "
         f"(`--max-concurrent-streams 100`){'' if 'grpc-swift' in args.targets else ' — not measured in this run (NO_GRPC_SWIFT=1)'}; "
         f"nghttpd = `nghttpd --no-tls`, a static file of our reply's bytes, requested by oaas-load "
         "`--http-only` with a POST of the same request body: the HTTP/2 floor of the machine, not the same work.",
         f"- Tools: {gb.tool_version(['nghttpd', '--version'])}", ""]
    bad = [(k, p) for k, ps in probes.items() for p in ps]
    if bad:
        L.append("**Correctness probes FAILED**: " + "; ".join(f"{k}: {p}" for k, p in bad))
    else:
        L.append("Correctness probes passed: before each scenario every gRPC server answered `oaas-load -n 256 "
                 "--check-payload` (grpc-status 0 and an InvocationResponse with status OKAY for every call).")
    L.append("")
    L.append("## Targets")
    L.append("")
    L.append("Printed as measured, never adjusted.")
    L.append("")
    L.append("| target | measured | verdict |")
    L.append("|---|---|---|")
    verdicts = targets_of(args, results, drain_r)
    for name, measured, verdict in verdicts:
        L.append(f"| {name} | {measured} | **{verdict}** |")
    L.append("")
    L.append("## Headline")
    L.append("")
    L.extend(headline(args, results))
    L.append("")
    for scenario in args.scenarios:
        spec = SCENARIOS[scenario]
        L.append(f"## {spec['title']}")
        L.append("")
        if is_open(scenario):
            L.append(f"`oaas-load --invoke-obj '{spec['invoke']}' --rate R` (nghttpd: `--http-only` POST of the same "
                     "body): the open loop. Request i is due at t0 + i/R whatever the server does; its latency runs "
                     "from that intended start, so time spent waiting behind a slow server counts (no coordinated "
                     "omission). **rate reached**: req/s ≥ 0.97 R. **service time**: from the send, as the closed "
                     "loop counts. **started late**: starts more than the generator's threshold behind schedule "
                     "(waiting for a free stream, or the generator itself late); **not started**: due in the window, "
                     "never sent.")
            L.append("")
            L.extend(open_loop_table(args, scenario, results))
        else:
            L.append(f"`oaas-load --invoke-obj '{spec['invoke']}'` (nghttpd: `--http-only` POST of the same body). "
                     "Ratios: ours ÷ reference for req/s (higher is better) and for p50 (lower is better).")
            L.append("")
            L.extend(scenario_table(args, scenario, results))
        L.append("")
        noisy = [f"{t} {lv} ({disturbed(args, results.get((scenario, t, lv))):.0f}%)"
                 for lv in spec["levels"] for t in args.targets if disturbed(args, results.get((scenario, t, lv)))]
        if noisy:
            L.append(f"**Warning: more than 10% other load on a benchmark CPU during: {', '.join(noisy)}.** "
                     "Another process was competing; rerun on a quiet machine before trusting those rows.")
            L.append("")
        probs = [(f"{t} {lv}", p) for t in args.targets for lv in spec["levels"]
                 for p in problems_of(results.get((scenario, t, lv)), t)]
        if probs:
            L.append("Problems: " + "; ".join(f"{k}: {p}" for k, p in probs))
            L.append("")
        L.append(" · ".join(f"[{os.path.basename(p)}](charts/{os.path.basename(p)})"
                            for title, p in chart_list if os.path.basename(p).startswith(scenario + "-")))
        L.append("")
        headline_chart = f"{scenario}-p99.svg" if is_open(scenario) else f"{scenario}-rps.svg"
        L.append(f"![{spec['title']}](charts/{headline_chart})")
        L.append("")
    if drain_r is not None:
        L.extend(drain_section(args, drain_r))
    L.append("## How the numbers are counted")
    L.append("")
    L.append("- **req/s**: oaas-load's successes completed inside the measured window ÷ its length. A gRPC call "
             "succeeds on `:status 200` and `grpc-status 0`; nghttpd's on `:status 200`.")
    L.append("- **failed calls**: oaas-load's failures after and during the warm-up (non-200, non-zero or missing "
             "grpc-status, stream reset, connection lost, timeout).")
    L.append("- **server CPU per request**: the server process's utime+stime (`/proc/<pid>/stat`) over the "
             "measured window ÷ successes in it; **server CPU** / **oaas-load CPU**: % of one core over the window "
             "(oaas-load's from its own getrusage). An oaas-load CPU near 100% means the generator, not the server, "
             "was the limit there, and the ratio understates the faster server.")
    L.append("- The same single-threaded generator drives every server, so the ratios compare servers under the "
             "same client work; `scripts/bench-grpc.sh` keeps h2load's view of the echo server.")
    L.append("- **other load**: busy time of the server's and the generator's CPUs not accounted for by those two "
             "processes (other programs, steal; from `/proc/stat`, interrupts left out). With normal scheduling, above "
             "~10% the run was disturbed by something else on the machine (flagged above each table: rerun on a quiet "
             "machine before trusting that row). With `SCHED=rr` (the default as root) other programs only get the "
             "time the benchmark leaves idle, so there it is shown but not flagged.")
    L.append("")
    L.append("Raw oaas-load JSON of every run: `raw.json` in the work folder printed at the end of the run.")
    L.append("")
    measured_stores = any(k[0] == "stores" for k in results)
    results_section.write_keeping(args.out, "\n".join(L),
                                  names=(results_section.AGENTS,) + (() if measured_stores else ("stores",)))
    if measured_stores:
        write_stores_section(args, results)
    return verdicts


def write_stores_section(args, results):
    """The stores scenario's section of RESULTS.md (replaced in place, appended if absent), with
    its own run line and targets, so that `make bench-stores` alone updates only it."""
    mi = args.machine
    L = [f"Written by `{args.command_line}` on {args.started.strftime('%Y-%m-%d %H:%M:%S %Z').strip()}, commit "
         f"{args.commit}; {mi['nproc']} CPUs ({mi['cpu']}), load average at start {mi['load']}. Scheduling: "
         f"`SCHED={args.sched}`.", ""]
    L.extend(stores.section(args, sys.modules[__name__], results))
    rows = stores.targets_of(args, results)
    L += ["| target | measured | verdict |", "|---|---|---|"]
    L += [f"| {n} | {m} | **{v}** |" for n, m, v in rows]
    L.append("")
    results_section.replace_section(args.out, "stores", "\n".join(L))


def drain_section(args, r):
    d = drain_counts(r)
    L = ["## Drain under load", "",
         f"`demo serve --port 0` under oaas-load 16x10 (closed loop, {args.drain_duration} s, no warm-up, "
         f"`--invoke-obj {SCENARIOS['add64']['invoke']}`); SIGTERM {args.drain_after:g} s into the measured phase. "
         "The server answers GOAWAY, finishes the calls it accepted, and exits; oaas-load does not reconnect.", "",
         "| succeeded | oaas-load failed (all) | refused before accepted (REFUSED_STREAM) | failed after accepted | "
         "failures by reason | server exit code | exit after SIGTERM |",
         "|---:|---:|---:|---:|---|---:|---:|",
         f"| {r.get('succeeded', 'n/a')} | {d['total']} | {d['refused']} | {d['after_accepted']} | "
         f"`{json.dumps(d.get('failures'))}` | {r.get('server_exit')} | "
         f"{f_secs(r.get('exit_after_sigterm_s'))} |", "",
         f"In flight at SIGTERM: up to {16 * 10} calls (16 x 10, closed loop). "
         "How oaas-load classifies them (benchmarks/LoadGenerator): a stream that closes before the complete reply "
         "is `stream_reset:<HTTP/2 code>`; after the server's GOAWAY, nghttp2 closes the streams above its "
         "last-stream-id itself with REFUSED_STREAM, which oaas-load counts as a failure (`stream_reset:REFUSED_STREAM`): "
         "those calls were never accepted (safe to retry), so they are left out of **failed after accepted**, which "
         "is everything else: a non-zero or missing grpc-status, any other reset, `connection_error` (in flight when "
         "the connection closed; also a request the session refused to submit, which cannot happen here since a "
         "connection opens no new streams after GOAWAY), `timeout`. oaas-load's own `failed` (and its exit status 1) "
         "includes the refused ones, hence both numbers.", ""]
    return L


# The charts bench-agents.sh draws for the default caller counts (1 and 64).
AGENT_CHARTS = ["agents-nats-rps", "agents-nats-latency-1", "agents-nats-latency-64",
                "agents-embedded-rps", "agents-embedded-latency-1", "agents-embedded-latency-64"]


def update_readme(args, results, verdicts, chart_list):
    path = os.path.join(args.repo, "README.md")
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError:
        return
    if "<!-- bench:begin -->" not in text:
        return
    mi = args.machine
    body = [f"Last `make bench`{' (QUICK=1)' if args.quick else ''}: {datetime.date.today().isoformat()}, "
            f"commit {args.commit.split()[0]}, {mi['nproc']} CPUs ({mi['cpu']}); full report in "
            "[benchmarks/RESULTS.md](benchmarks/RESULTS.md).", ""]
    body += headline(args, results)
    body += ["", "| target | measured | verdict |", "|---|---|---|"]
    body += [f"| {n} | {m} | {v} |" for n, m, v in verdicts]
    body += ["", "Agents through NATS and on the embedded bus: the agents section of "
             "[benchmarks/RESULTS.md](benchmarks/RESULTS.md) (`make bench` runs `scripts/bench-agents.sh` last), "
             "with its charts: " + " · ".join(f"[{name}](benchmarks/charts/{name}.svg)" for name in AGENT_CHARTS) + "."]
    body += ["", "Charts: " + " · ".join(f"[{os.path.basename(p)[:-4]}]({os.path.relpath(p, args.repo)})"
                                         for _, p in chart_list)]
    results_section.replace_section(path, "bench", "\n".join(body))


# --------------------------------------------------------------------------- main

def main():
    p = argparse.ArgumentParser(description="make bench (see scripts/bench.sh)")
    p.add_argument("--repo", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--duration", type=int, default=10)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--server-cpu", type=int, default=0)
    p.add_argument("--client-cpu", type=int, default=1)
    p.add_argument("--no-grpc-swift", action="store_true")
    p.add_argument("--scenarios", default="echo,add64,addhot,open,drain,stores")
    p.add_argument("--store-targets", default=",".join(stores.TARGETS),
                   help="the stores scenario's stores (default all): " + ",".join(stores.TARGETS))
    p.add_argument("--quick", action="store_true")
    p.add_argument("--command-line", default="scripts/bench.sh")
    p.add_argument("--drain-duration", type=int, default=6)
    p.add_argument("--drain-after", type=float, default=3)
    p.add_argument("--sched", choices=["rr", "nice", "normal"], default="rr" if os.geteuid() == 0 else "normal")
    p.add_argument("--from-raw", help="re-write the report and charts from a run's raw.json, running nothing")
    args = p.parse_args()
    args.echo_bin = os.environ.get("BENCH_ECHO_BIN", "")
    args.demo_bin = os.environ.get("BENCH_DEMO_BIN", "")
    args.load_bin = os.environ.get("BENCH_LOAD_BIN", "")
    args.ref_bin = os.environ.get("BENCH_REF_BIN", "")
    args.floor_bin = os.environ.get("BENCH_FLOOR_BIN", "")
    args.store_targets = [t for t in args.store_targets.split(",") if t]
    args.start_timeout, args.inactivity_timeout = 30, 15
    if args.sched == "rr":
        bench_agents.REALTIME = 1
    elif args.sched == "nice":
        bench_agents.NICE = -10
    args.targets = ["ours"] + ([] if args.no_grpc_swift else ["grpc-swift"]) + ["nghttpd"]
    wanted = [s for s in args.scenarios.split(",") if s]
    args.scenarios = [s for s in SCENARIOS if s in wanted]
    do_drain = "drain" in wanted
    do_stores = "stores" in wanted
    args.charts_dir = os.path.join(os.path.dirname(os.path.abspath(args.out)), "charts")

    started = datetime.datetime.now().astimezone()
    # Taken as the run starts (the load average then), and kept in raw.json for --from-raw.
    args.machine = gb.machine_info()
    args.commit = gb.git_commit(args.repo)
    args.workdir = tempfile.mkdtemp(prefix="bench-")
    args.docroot, args.body = {}, {}
    for s, spec in SCENARIOS.items():
        cls, fn, payload, _ = gb.parse_invoke(spec["invoke"])
        args.docroot[s] = os.path.join(args.workdir, f"docroot-{s}")
        os.mkdir(args.docroot[s])
        args.body[s] = os.path.join(args.workdir, f"{s}-obj-0.bin")
        with open(args.body[s], "wb") as f:
            f.write(grpc_body.grpc_frame(grpc_body.invocation_request(
                cls_id=cls, fn_id=fn, payload=payload.encode(), object_id_str="obj-0")))
        with open(os.path.join(args.docroot[s], "reply.bin"), "wb") as f:
            f.write(gb.STATIC_FILE)

    def on_signal(signum, _frame):
        gb.cleanup()
        sys.exit(128 + signum)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    runs = sum(len(SCENARIOS[s]["levels"]) * len(args.targets) for s in args.scenarios) + (1 if do_drain else 0)
    args.started = started
    done = 0
    results, probes, drain_r = {}, {}, None
    t0 = time.monotonic()
    if args.from_raw:
        with open(args.from_raw) as f:
            raw = json.load(f)
        drain_r = raw.pop("drain", None)
        probes = raw.pop("probes", {})
        meta = raw.pop("meta", {})
        if meta.get("started"):
            started = datetime.datetime.fromisoformat(meta["started"])
        args.command_line = meta.get("command_line", args.command_line)
        # The machine and commit of the run, not of the rewrite (older raw files lack them).
        args.machine = meta.get("machine", args.machine)
        args.commit = meta.get("commit", args.commit)
        results = {tuple(k.split(" ")): r for k, r in raw.items()}
        args.scenarios = [s for s in args.scenarios if any(k[0] == s for k in results)]
        do_drain = False
        do_stores = any(k[0] == "stores" for k in results)
    try:
        for scenario in (args.scenarios if not args.from_raw else []):
            spec = SCENARIOS[scenario]
            for target in args.targets:
                if target == "nghttpd":
                    continue
                say(f"== probe {scenario} {target}")
                probes[f"{scenario} {target}"] = probe(args, scenario, target)
                say("   " + ("; ".join(probes[f"{scenario} {target}"]) or "ok"))
            for level in spec["levels"]:
                for target in args.targets:
                    done += 1
                    say(f"== [{done}/{runs}, {time.monotonic() - t0:.0f} s] {spec['title']}: {target} {level}, "
                        f"{args.warmup} s warm-up + {args.duration} s")
                    r = measure(args, scenario, target, level)
                    results[(scenario, target, level)] = r
                    say(f"   {f_rate(r.get('requests_per_second'))} req/s, mean {f_us(lat(r, 'mean'))}, "
                        f"p50 {f_us(lat(r, 'p50'))}, p99 {f_us(lat(r, 'p99'))}, failed {failed(r)}, "
                        f"oaas-load CPU {f_pct(gen_cpu(r))}, server CPU {f_pct(r.get('server_cpu_pct'))}")
                    for problem in problems_of(r, target):
                        say(f"   problem: {problem}")
        if do_drain:
            done += 1
            say(f"== [{done}/{runs}, {time.monotonic() - t0:.0f} s] drain under load: demo serve 16x10, "
                f"SIGTERM after {args.drain_after:g} s of {args.drain_duration} s")
            drain_r = drain(args)
            d = drain_counts(drain_r)
            say(f"   succeeded {drain_r.get('succeeded')}, failed after accepted {d['after_accepted']}, "
                f"refused {d['refused']}, failures {d.get('failures')}, server exit {drain_r.get('server_exit')}")
        if do_stores and not args.from_raw:
            say(f"== [{time.monotonic() - t0:.0f} s] object stores: add over 64 objects per store "
                f"({', '.join(args.store_targets)}) and SQLite alone")
            store_results, store_probes = stores.run_all(args, sys.modules[__name__], say)
            results.update(store_results)
            probes.update(store_probes)
        with open(os.path.join(args.workdir, "raw.json") if not args.from_raw else os.devnull, "w") as f:
            raw = {f"{s} {t} {lv}": r for (s, t, lv), r in results.items()}
            raw["drain"] = drain_r
            raw["probes"] = probes
            raw["meta"] = {"started": started.isoformat(), "command_line": args.command_line,
                           "machine": args.machine, "commit": args.commit}
            json.dump(raw, f, indent=1, default=str)
        chart_list = charts(args, results)
        if args.from_raw:
            args.started = started
        if args.scenarios or drain_r is not None:
            verdicts = write_report(args, results, probes, drain_r, started, chart_list)
            if os.path.abspath(args.out) == os.path.join(os.path.abspath(args.repo), "benchmarks", "RESULTS.md"):
                update_readme(args, results, verdicts, chart_list)  # not for a trial elsewhere (RESULTS=...)
        else:
            # Only the stores (make bench-stores): its own section, the rest of the file as it was.
            write_stores_section(args, results)
            verdicts = stores.targets_of(args, results)
    finally:
        gb.cleanup()
    say(f"\nwrote {args.out} and {len(chart_list)} charts in {os.path.relpath(args.charts_dir, args.repo)} "
        f"(raw oaas-load JSON in {args.workdir}/raw.json)\n")
    say("Targets (as measured):")
    for name, measured, verdict in verdicts:
        say(f"  {verdict:4}  {name}: {measured}")
    return gb.exit_status(any(probes.values()), verdicts)


if __name__ == "__main__":
    sys.exit(main())
