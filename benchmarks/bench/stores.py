"""The `stores` scenario of make bench (run_bench.py --scenarios stores; `make bench-stores`).

InvokeObj math.Calculator/add over 64 objects (every call writes its object) at 16x10 and
64x100 against `demo serve` on each object store, back to back per level so drift hits them
alike, and beside them the floor: SQLite alone (benchmarks/sqlite-floor) committing
transactions of as many upserts as our SQLite run put in one transaction.

  memory       `--store memory`, the reference every ratio is taken against
  sqlite       `--store sqlite:<fresh temp dir>/objects.db` (WAL, synchronous=NORMAL)
  sqlite-full  the same with `?synchronous=full`
  nats-kv      `--store nats-kv://127.0.0.1:P/oaas_bench`, one `demo serve`, behind a
               nats-server with JetStream in a fresh temp dir
  nats-kv-2    two `demo serve` processes on that one bucket; ONE oaas-load spreads its
               connections over both (`--port P1,P2`, connection i to the (i mod 2)-th), so
               the latencies are one histogram and the rate is the sum

Placement: every `demo serve` on SERVER_CPU (both of nats-kv-2 share it); nats-server on
CLIENT_CPU with oaas-load (two cores: the compared runtime keeps its own); the floor program
on SERVER_CPU. Each `demo serve` prints `STORE transactions=N writes=M failed_transactions=F
reads=R` at exit (SIGTERM); transactions/s = N ÷ (warm-up + measured seconds) and calls per
transaction = M ÷ N come from it.
"""
import json
import os
import re
import shutil
import subprocess
import tempfile

import bench as gb  # benchmarks/grpc/bench.py
import svg_chart
from report_format import rate as f_rate, us as f_us

INVOKE = "math.Calculator:add:1:64"
LEVELS = ["16x10", "64x100"]
TARGETS = ["memory", "sqlite", "sqlite-full", "nats-kv", "nats-kv-2"]
LABEL = {"memory": "memory", "sqlite": "sqlite (NORMAL)", "sqlite-full": "sqlite (FULL)",
         "nats-kv": "nats-kv, 1 process", "nats-kv-2": "nats-kv, 2 processes"}
FLOORS = {"floor-normal": ("sqlite", "normal"), "floor-full": ("sqlite-full", "full")}
FLOOR_LABEL = {"floor-normal": "SQLite alone (NORMAL)", "floor-full": "SQLite alone (FULL)"}
BUCKET = "oaas_bench"
STORE_LINE = re.compile(r"^STORE\s+(.*)$")
# Without a measured transaction size (no STORE line), the floor runs transactions of this many.
DEFAULT_K = {"16x10": 16, "64x100": 64}


class Servers:
    """The `demo serve` processes of one run, seen by run_bench.run_load as one server: their
    CPU is summed; `procs` all get the run's scheduling."""

    def __init__(self, servers):
        self.servers = servers
        self.procs = [s.proc for s in servers]
        self.proc = self.procs[0]

    def cpu(self):
        return sum(s.cpu() for s in self.servers)


class NatsServer(gb.ManagedProcess):
    """nats-server with JetStream in a fresh directory, on CLIENT_CPU; ready once it accepts."""

    def __init__(self, args, label):
        self.port = gb.free_port()
        self.store_dir = tempfile.mkdtemp(prefix="js-", dir=args.workdir)
        super().__init__("nats-server", ["nats-server", "-js", "-sd", self.store_dir, "-p", str(self.port),
                                         "-a", "127.0.0.1"],
                         args.client_cpu, os.path.join(args.workdir, f"nats-server-{label}.stderr"))
        if not gb.wait_for_port(self.port, self.proc, args.start_timeout):
            self.stop(timeout=5)
            raise RuntimeError(f"nats-server did not accept connections: {self.stderr_tail()}")


def store_counts(server):
    """The `STORE k=v ...` line `demo serve` printed at exit, as {k: int}, or None."""
    for line in reversed(server.lines):
        m = STORE_LINE.match(line)
        if m:
            out = {}
            for part in m.group(1).split():
                k, _, v = part.partition("=")
                try:
                    out[k] = int(v)
                except ValueError:
                    pass
            return out
    return None


def start_servers(args, target, label, run_dir):
    """(Servers, NatsServer or None) for one run of `target`, each with a fresh store."""
    nats = None
    if target == "memory":
        urls = ["memory"]
    elif target in ("sqlite", "sqlite-full"):
        urls = [f"sqlite:{run_dir}/objects.db" + ("?synchronous=full" if target == "sqlite-full" else "")]
    else:
        nats = NatsServer(args, label)
        url = f"nats-kv://127.0.0.1:{nats.port}/{BUCKET}"
        urls = [url] if target == "nats-kv" else [url, url]
    started = []
    try:
        for i, url in enumerate(urls):
            cmd = [args.demo_bin, "serve", "--port", "0", "--store", url]
            server = gb.Server(f"demo-{target}-{i}", cmd, args.server_cpu,
                               os.path.join(args.workdir, f"stores-{target}-{label}-{i}.stderr"))
            started.append(server)
            if not server.wait_listening(args.start_timeout):
                raise RuntimeError(f"{' '.join(cmd)} did not print 'LISTENING <port>': "
                                   f"{'; '.join((server.lines + server.stderr_tail())[-10:])!r}")
    except Exception:
        for s in started:
            s.stop(timeout=5)
        if nats:
            nats.stop(timeout=5)
        raise
    return Servers(started), nats


def stop_all(group, nats):
    codes = [s.stop() for s in group.servers]
    if nats:
        nats.stop()
    return codes


def probe(args, rb, target):
    """oaas-load -n 256 --check-payload against a fresh store: every call OKAY."""
    run_dir = tempfile.mkdtemp(prefix=f"probe-{target}-", dir=args.workdir)
    problems = []
    try:
        group, nats = start_servers(args, target, "probe", run_dir)
    except RuntimeError as e:
        return [str(e)]
    try:
        n = 256
        r = rb.run_load(args, [s.port for s in group.servers], 2, 4,
                        ["--path", gb.RPC_PATH, "--invoke-obj", INVOKE, "--check-payload"], group, 0, count=n)
        if r.get("succeeded") != n or r.get("failed"):
            problems.append(f"-n {n} --check-payload: {r.get('succeeded')} ok, {r.get('failed')} failed "
                            f"{r.get('failures')} (exit {r.get('exit_code')}; {r.get('stderr_tail')})")
    finally:
        codes = stop_all(group, nats)
    if any(code != 0 for code, _ in codes):
        problems.append(f"exit codes {[c for c, _ in codes]} after SIGTERM")
    return problems


def measure(args, rb, target, level):
    conns, streams, _ = rb.level_parts(level)
    run_dir = tempfile.mkdtemp(prefix=f"{target}-{level}-", dir=args.workdir)
    group, nats = start_servers(args, target, level, run_dir)
    also = {"nats-server": nats.proc.pid} if nats else None
    try:
        r = rb.run_load(args, [s.port for s in group.servers], conns, streams,
                        ["--path", gb.RPC_PATH, "--invoke-obj", INVOKE], group, args.warmup,
                        duration=args.duration, tag=f"[stores {target} {level}]", also=also)
    finally:
        codes = stop_all(group, nats)
    counts = [store_counts(s) for s in group.servers]
    r.update(server_exit=next((c for c, _ in codes if c != 0), 0) if all(c is not None for c, _ in codes) else None,
             server_exits=[c for c, _ in codes], conns=conns, streams=streams, store=target,
             store_counts=counts, servers=len(group.servers))
    if nats and (r.get("also_cpu_s") or {}).get("nats-server") is not None and r.get("window"):
        # nats-server shares the generator's CPU: not "other load" there.
        other = r.get("other_load_pct") or {}
        key = args.client_cpu if args.client_cpu in other else str(args.client_cpu)
        if key in other:
            other[key] = max(0.0, other[key] - 100 * r["also_cpu_s"]["nats-server"] / r["window"])
    shutil.rmtree(run_dir, ignore_errors=True)
    return r


def transactions(r):
    """(transactions/s, calls per transaction) from the STORE lines, or (None, None)."""
    counts = [c for c in (r or {}).get("store_counts") or [] if c]
    if not counts or not r.get("store_counts") or len(counts) != len(r["store_counts"]):
        return None, None
    tx = sum(c.get("transactions", 0) for c in counts)
    writes = sum(c.get("writes", 0) for c in counts)
    secs = (r.get("warmup_seconds") or 0) + (r.get("measured_seconds") or 0)
    return (tx / secs if secs and tx else None), (writes / tx if tx else None)


def floor_batch(r, level):
    """The floor's K: the rows our SQLite run wrote per transaction (the write-behind store
    writes consecutive commits of one object as one row: `rows=` of the STORE line), else its
    calls per transaction, else DEFAULT_K."""
    counts = [c for c in (r or {}).get("store_counts") or [] if c]
    tx = sum(c.get("transactions", 0) for c in counts)
    rows = sum(c.get("rows", 0) for c in counts)
    if tx and rows:
        return max(1, round(rows / tx)), "rows per transaction measured"
    _, per = transactions(r)
    if per:
        return max(1, round(per)), "calls per transaction measured"
    return DEFAULT_K[level], "default (no STORE line)"


def measure_floor(args, level, mode, k, source):
    run_dir = tempfile.mkdtemp(prefix=f"floor-{mode}-{level}-", dir=args.workdir)
    cmd = ["taskset", "-c", str(args.server_cpu), args.floor_bin, "--dir", run_dir,
           "--seconds", str(args.duration), "--batch", str(k), "--sync", mode]
    try:
        proc = gb.spawn(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        out, err = proc.communicate(timeout=args.duration + 60)
        r = json.loads(out.decode().strip().splitlines()[-1])
    except (subprocess.TimeoutExpired, ValueError, IndexError) as e:
        r = {"error": f"{type(e).__name__}: {e}"}
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)
    r.update(batch_source=source, command=" ".join(os.path.relpath(c, args.repo) if c == args.floor_bin else c
                                                     for c in cmd))
    return r


def run_all(args, rb, say):
    """Probes, then per level every store and the two floors. Returns (results, probes)."""
    results, probes = {}, {}
    targets = [t for t in TARGETS if t in args.store_targets]
    for target in targets:
        say(f"== probe stores {target}")
        probes[f"stores {target}"] = probe(args, rb, target)
        say("   " + ("; ".join(probes[f"stores {target}"]) or "ok"))
    for level in LEVELS:
        for target in targets:
            say(f"== stores: {LABEL[target]} {level}, {args.warmup} s warm-up + {args.duration} s")
            try:
                r = measure(args, rb, target, level)
            except RuntimeError as e:
                r = {"error": str(e)}
            results[("stores", target, level)] = r
            tps, per = transactions(r)
            say(f"   {f_rate(r.get('requests_per_second'))} req/s, p50 {f_us(rb.lat(r, 'p50'))}, "
                f"p99 {f_us(rb.lat(r, 'p99'))}, failed {rb.failed(r)}, server CPU/call "
                f"{fmt_us_call(cpu_per_call(r))}, STORE {r.get('store_counts')}"
                + (f", {tps:,.0f} transactions/s, {per:.1f} calls/transaction" if tps and per else ""))
            for problem in rb.problems_of(r, "ours"):
                say(f"   problem: {problem}")
        if args.floor_bin:
            for floor, (source_target, mode) in FLOORS.items():
                if source_target not in targets:
                    continue
                k, source = floor_batch(results.get(("stores", source_target, level)), level)
                say(f"== stores: {FLOOR_LABEL[floor]} {level}: transactions of {k} upserts ({source}), "
                    f"{args.duration} s")
                f = measure_floor(args, level, mode, k, source)
                results[("stores", floor, level)] = f
                say(f"   {f_rate(f.get('transactions_per_second'))} transactions/s, "
                    f"{f_rate(f.get('rows_per_second'))} rows/s" + (f" ({f['error']})" if "error" in f else ""))
    return results, probes


# --------------------------------------------------------------------------- report

def cpu_per_call(r):
    if not r or r.get("server_cpu_s") is None or not r.get("succeeded"):
        return None
    return r["server_cpu_s"] / r["succeeded"] * 1e6


def nats_per_call(r):
    s = ((r or {}).get("also_cpu_s") or {}).get("nats-server")
    if s is None or not r.get("succeeded"):
        return None
    return s / r["succeeded"] * 1e6


def fmt_us_call(x):
    return "n/a" if x is None else f"{x:.1f} µs"


def ratio_to_memory(results, target, level):
    m = (results.get(("stores", "memory", level)) or {}).get("requests_per_second")
    o = (results.get(("stores", target, level)) or {}).get("requests_per_second")
    return o / m if o is not None and m else None


def table(args, rb, results):
    L = ["| C x M | store | req/s | ÷ memory | p50 | p99 | failed calls | server CPU per call (ours) | "
         "transactions/s | calls per transaction | nats-server CPU per call |",
         "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for level in LEVELS:
        for target in TARGETS:
            r = results.get(("stores", target, level))
            if r is None:
                continue
            x = ratio_to_memory(results, target, level)
            tps, per = transactions(r) if target.startswith("sqlite") else (None, None)
            sq = target.startswith("sqlite")
            L.append(f"| {level} | {LABEL[target]} | {f_rate(r.get('requests_per_second'))} | "
                     f"{'n/a' if x is None else f'{x:.2f}'} | {f_us(rb.lat(r, 'p50'))} | {f_us(rb.lat(r, 'p99'))} | "
                     f"{'n/a' if rb.failed(r) is None else rb.failed(r)} | {fmt_us_call(cpu_per_call(r))} | "
                     f"{(f'{tps:,.0f}' if tps else 'n/a') if sq else ''} | "
                     f"{(f'{per:.1f}' if per else 'n/a') if sq else ''} | "
                     f"{fmt_us_call(nats_per_call(r)) if target.startswith('nats') else ''} |")
        for floor in FLOORS:
            f = results.get(("stores", floor, level))
            if f is None:
                continue
            rows = f.get("rows_per_second")
            cpu = f.get("cpu_seconds")
            per_row = cpu / f["rows"] * 1e6 if cpu is not None and f.get("rows") else None
            ours = (results.get(("stores", FLOORS[floor][0], level)) or {}).get("requests_per_second")
            vs = f"ours ÷ this: {ours / rows:.2f}" if ours is not None and rows else ""
            L.append(f"| {level} | {FLOOR_LABEL[floor]}, transactions of {f.get('batch', 'n/a')} "
                     f"({f.get('batch_source')}) | {f_rate(rows)} rows/s | {vs} | | | "
                     f"{'error: ' + f['error'] if 'error' in f else ''} | {fmt_us_call(per_row)} per row | "
                     f"{f_rate(f.get('transactions_per_second'))} | {f.get('batch', 'n/a')} | |")
    return L


def section(args, rb, results):
    L = ["## Object stores: InvokeObj math.Calculator/add, 64 objects, per store", "",
         f"`oaas-load --invoke-obj '{INVOKE}'` against `demo serve --port 0 --store URL` (every call reads and "
         "writes its object), one store after another at each C x M, a fresh store every run (a new SQLite file "
         "in a temp dir; a new nats-server with JetStream in a new temp dir). Kept out of the headline table. "
         f"Placement: `demo serve` on CPU {args.server_cpu} (for nats-kv, 2 processes: both there); "
         f"**nats-server on CPU {args.client_cpu} with oaas-load**; the SQLite floor on CPU {args.server_cpu}. "
         "nats-kv, 2 processes: two `demo serve` on one bucket, one oaas-load spreading its connections over "
         "both (`--port P1,P2`, alternating), so p50/p99 come from one histogram and req/s is the total.", "",
         "- **÷ memory**: req/s ÷ memory's at the same C x M in this run.",
         "- **server CPU per call (ours)**: utime+stime of our `demo serve` process(es) over the measured window "
         "÷ successes. **nats-server CPU per call**: the same for nats-server.",
         "- **transactions/s**, **calls per transaction** (sqlite): from the `STORE transactions=N writes=M ...` "
         "line `demo serve` prints at exit: N ÷ (warm-up + measured seconds), and M ÷ N.",
         "- **SQLite alone** (`benchmarks/sqlite-floor`, C, no runtime): a fresh WAL file with the same table, "
         "for the measured seconds commits transactions of K upserts (~60-byte records, 64 keys), K = rows per "
         "transaction of our sqlite run at that C x M (its STORE line's rows ÷ transactions, rounded: the store writes "
         "consecutive commits of one object as one row, so calls per transaction can exceed 64); its req/s column is rows/s, its CPU per row, and "
         "**ours ÷ this** our sqlite run's req/s ÷ those rows/s (how close the runtime gets to SQLite alone).", ""]
    L.extend(table(args, rb, results))
    L.append("")
    probs = [(f"{t} {lv}", p) for t in TARGETS for lv in LEVELS
             for p in rb.problems_of(results.get(("stores", t, lv)), "ours") if ("stores", t, lv) in results]
    errors = [(f"{t} {lv}", r["error"]) for (s, t, lv), r in results.items() if s == "stores" and "error" in r]
    if probs or errors:
        L.append("Problems: " + "; ".join(f"{k}: {p}" for k, p in probs + errors))
        L.append("")
    L.append(" · ".join(f"[{n}](charts/{n})" for n in ("stores-rps.svg", "stores-latency-16x10.svg",
                                                         "stores-latency-64x100.svg")))
    L.append("")
    L.append("![object stores: requests/s](charts/stores-rps.svg)")
    L.append("")
    return L


def targets_of(args, results):
    rows = []
    if not any(k[0] == "stores" for k in results):
        return rows
    for target, floor, name in (("sqlite", 0.6, "sqlite (NORMAL)"), ("nats-kv", 0.25, "nats-kv, 1 process")):
        for level in LEVELS:
            x = ratio_to_memory(results, target, level)
            r = results.get(("stores", target, level))
            bad = rb_failed(r)
            rows.append((f"stores, add over 64 objects {level}: {name} ≥ {floor:g} of memory's req/s",
                         "n/a" if x is None else f"{x:.2f}" + (f" ({bad} failed calls)" if bad else ""),
                         "n/a" if x is None else ("PASS" if x >= floor and not bad else "FAIL")))
    return rows


def rb_failed(r):
    if not r or "failed" not in r:
        return None
    return r["failed"] + (r.get("warmup") or {}).get("failed", 0)


def charts(args, rb, results):
    os.makedirs(args.charts_dir, exist_ok=True)
    targets = [t for t in TARGETS if any(("stores", t, lv) in results for lv in LEVELS)]
    if not targets:
        return []
    made = []
    series = [LABEL[t] for t in targets]
    values = [[(results.get(("stores", t, lv)) or {}).get("requests_per_second") for lv in LEVELS] for t in targets]
    floors = [f for f in FLOORS if any(("stores", f, lv) in results for lv in LEVELS)]
    for f in floors:
        series.append(FLOOR_LABEL[f] + " rows/s")
        values.append([(results.get(("stores", f, lv)) or {}).get("rows_per_second") for lv in LEVELS])
    path = os.path.join(args.charts_dir, "stores-rps.svg")
    svg_chart.bar_chart(path, "InvokeObj add over 64 objects, per object store: requests/s",
                        [f"{lv} (C x M)" for lv in LEVELS], series, values, "requests/s", log=True,
                        subtitle=f"oaas-load, {args.warmup} s warm-up + {args.duration} s per run; "
                                 "SQLite alone: upserts/s in transactions of our size; log scale")
    made.append(("object stores: requests/s", path))
    for lv in LEVELS:
        pcts = ["p50", "p90", "p99"]
        vals = [[rb.lat(results.get(("stores", t, lv)), p) for t in targets] for p in pcts]
        path = os.path.join(args.charts_dir, f"stores-latency-{lv}.svg")
        svg_chart.bar_chart(path, f"InvokeObj add over 64 objects per store, {lv}: latency",
                            [LABEL[t] for t in targets], pcts, vals, "latency", log=True,
                            value_format=svg_chart.latency_label,
                            subtitle="from request sent to stream closed; lower is better")
        made.append((f"object stores, {lv}: latency p50/p90/p99", path))
    return made


