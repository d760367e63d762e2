"""The agents section of benchmarks/RESULTS.md, its charts (benchmarks/charts/agents-*.svg) and
the progress lines, from bench_agents.py's results. Rendering only: every number comes from
nats-load's / bus-load's JSON reports and the /proc samples taken around their measured windows.
"""
import datetime
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "grpc"))
import bench as gb  # noqa: E402  (machine and commit lines, shared with the gRPC report)
from report_format import pct, rate, us, ratio as fmt_ratio  # noqa: E402
sys.path.insert(0, os.path.join(HERE, "..", "bench"))
import svg_chart  # noqa: E402  (the charts of make bench, drawn the same way)

TARGET_RATIO = 0.70


# --------------------------------------------------------------------------- formatting

def ratio(a, b):
    return a / b if a is not None and b else None


def lat(r, key):
    return ((r or {}).get("latency_us") or {}).get(key)


def rps(r):
    return (r or {}).get("requests_per_second")


def failed(r):
    """Failures the generator counted, warm-up included; None if it gave no report."""
    if not r or "failed" not in r:
        return None
    return r["failed"] + r.get("warmup", {}).get("failed", 0)


def cpu_pct(r, label):
    return ((r or {}).get("cpu") or {}).get("cpu_pct", {}).get(label)


def cpu_per_request(r, label):
    """CPU µs per counted request, of `label` over the window (from /proc)."""
    seconds = ((r or {}).get("cpu") or {}).get("cpu_seconds", {}).get(label)
    if seconds is None or not r.get("succeeded"):
        return None
    return seconds / r["succeeded"] * 1e6


def cpu_cell(r, label):
    per = cpu_per_request(r, label)
    return f"{pct(cpu_pct(r, label))} ({'n/a' if per is None else f'{per:.1f} µs'})"


def per_core(r, key, cpu):
    """A per-core figure of a run's CPU window. The report reads runs as raw.json keeps them,
    where JSON has turned the CPU numbers into text."""
    return ((r or {}).get("cpu") or {}).get(key, {}).get(str(cpu))


def core_busy(r, cpu):
    return per_core(r, "core_busy_pct", cpu)


def ours_on_core(r, cpu):
    return per_core(r, "ours_pct", cpu)


def other_load(r, cpu):
    return per_core(r, "other_load_pct", cpu)


def one_line(r):
    return (f"{r.get('succeeded')} ok, {failed(r)} failed {r.get('failures') or ''}, {rate(rps(r))} req/s, "
            f"p50 {us(lat(r, 'p50'))}, p99 {us(lat(r, 'p99'))}; CPU: generator {pct(cpu_pct(r, 'generator'))}, "
            f"nats-server {pct(cpu_pct(r, 'nats-server'))}, responder {pct(cpu_pct(r, 'responder'))}; "
            f"responder exit {r.get('responder_exit')}")


def bus_runs(bus):
    return {(x["path"], x["callers"]): x for x in (bus or {}).get("runs", [])}


def bus_lines(bus):
    if not bus or "runs" not in bus:
        return [f"bus-load gave no report: exit {(bus or {}).get('exit_code')}, {(bus or {}).get('stderr_tail')}"]
    return [f"{x['path']} x{x['callers']}: {x['succeeded']} ok, {x['failed']} failed, {rate(x['requests_per_second'])} "
            f"req/s, p50 {us(lat(x, 'p50'))}, p99 {us(lat(x, 'p99'))}, process CPU "
            f"{pct(100 * x['generator_cpu_utilisation'])}, loop thread "
            f"{pct(None if x.get('loop_thread_cpu_utilisation') is None else 100 * x['loop_thread_cpu_utilisation'])}"
            for x in bus["runs"]]


# --------------------------------------------------------------------------- selection

def runs_by_key(runs):
    """The NATS runs grouped by (target, callers), every round's run in each list."""
    by = {}
    for r in runs:
        by.setdefault((r["target"], r["callers"]), []).append(r)
    return by


def median_run(runs):
    """The run with the median req/s (the lower middle for an even count)."""
    ordered = sorted(runs, key=lambda r: rps(r) or 0)
    return ordered[(len(ordered) - 1) // 2] if ordered else None


def problems_of(r):
    if not r:
        return ["not run"]
    out = []
    if "succeeded" not in r:
        return [f"no JSON report (exit {r.get('exit_code')}; {r.get('stderr_tail')})"]
    if r.get("ended_early") or r.get("connect_error"):
        out.append(f"ended early ({r.get('connect_error') or 'interrupted or lost'})")
    if r.get("killed_after_timeout"):
        out.append("nats-load was killed after the harness's timeout")
    if failed(r):
        out.append(f"{failed(r)} failed requests: {r.get('failures')} (warm-up {r.get('warmup', {}).get('failures')})")
    if r.get("responder_exit") != 0:
        out.append(f"responder exit code {r.get('responder_exit')} after SIGTERM (expected 0)")
    if "cpu" not in r:
        out.append("no CPU samples (phase lines not seen)")
    return out


# --------------------------------------------------------------------------- charts

PERCENTILES = ["p50", "p90", "p99"]  # in nats-load's and bus-load's latency_us alike
RESPONDER_LABEL = {"ours": "ours (demo agent)", "floor": "libnats floor"}
BUS_PATH_LABEL = {"server": "oaas.invoke", "bus": "oaas.invokeViaBus"}


def callers_label(n):
    return f"{n} caller" if n == 1 else f"{n} callers"


def charts(args, runs, bus):
    """Writes the section's SVG charts into args.charts_dir (beside make bench's); returns
    [(title, path)], the order in which the section links them."""
    os.makedirs(args.charts_dir, exist_ok=True)
    by = runs_by_key(runs)
    responders = [(RESPONDER_LABEL.get(t, t), {c: median_run(by.get((t, c), [])) for c in args.callers})
                  for t in args.targets]
    made = rate_and_latency_charts(
        args, "agents-nats", "Agent calls through nats-server", responders,
        f"nats-load, {args.warmup} s warm-up + {args.duration} s per run, median of {args.rounds}",
        "median run; request handed to the client to its reply")
    if args.embedded == "yes" and bus and "runs" in bus:
        paths = [(label, {c: bus_runs(bus).get((path, c)) for c in args.callers})
                 for path, label in BUS_PATH_LABEL.items()]
        made += rate_and_latency_charts(
            args, "agents-embedded", "Agent calls in one process (embedded bus)", paths,
            f"bus-load, {bus.get('warmup_seconds')} s warm-up + {bus.get('duration_seconds')} s per path",
            "call to answer, in the caller task")
    return made


def rate_and_latency_charts(args, prefix, title, sources, rate_note, latency_note):
    """`prefix`-rps.svg: requests/s of each source against the caller counts; and per caller
    count `prefix`-latency-<callers>.svg: p50/p90/p99 of each source on a log axis, as make
    bench draws its scenarios. sources: [(legend name, {callers: run report or None})]."""
    names = [name for name, _ in sources]
    path = os.path.join(args.charts_dir, f"{prefix}-rps.svg")
    svg_chart.bar_chart(path, f"{title}: requests/s", [callers_label(c) for c in args.callers], names,
                        [[rps(by_callers.get(c)) for c in args.callers] for _, by_callers in sources],
                        "requests/s", subtitle=f"{rate_note}; higher is better")
    made = [(f"{title}: requests/s against callers", path)]
    for c in args.callers:
        path = os.path.join(args.charts_dir, f"{prefix}-latency-{c}.svg")
        svg_chart.bar_chart(path, f"{title}, {callers_label(c)}: latency", names, PERCENTILES,
                            [[lat(by_callers.get(c), p) for _, by_callers in sources] for p in PERCENTILES],
                            "latency", log=True, value_format=svg_chart.latency_label, subtitle=f"{latency_note}; lower is better")
        made.append((f"{title}, {callers_label(c)}: latency p50/p90/p99", path))
    return made


def chart_links(chart_list, prefix, alt):
    """Markdown lines as make bench writes under each scenario: links to every chart of
    `prefix`, then its requests/s chart shown."""
    names = [os.path.basename(p) for _, p in chart_list if os.path.basename(p).startswith(prefix + "-")]
    if not names:
        return []
    return [" · ".join(f"[{n}](charts/{n})" for n in names), "", f"![{alt}](charts/{prefix}-rps.svg)", ""]


# --------------------------------------------------------------------------- environment

def machine():
    m = gb.machine_info()
    return f"{m['nproc']} CPUs, {m['cpu']}, Linux {m['kernel']} (load average at start: {m['load']})"


def first_line(cmd):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True)
        text = (out.stdout or out.stderr).strip()
        return text.splitlines()[0] if text else "unknown"
    except OSError:
        return "unknown"


def libnats_version():
    out = first_line(["dpkg-query", "-W", "-f=${Version}", "libnats-dev"])
    return f"libnats-dev {out}"


def environment(args):
    """The report's machine, commit and tools lines, taken as a run starts and kept in its
    raw.json, so that a report rewritten later (--from-raw) still describes that run."""
    return {"machine": machine(), "commit": gb.git_commit(args.repo),
            "tools": f"{first_line(['nats-server', '--version'])}, {libnats_version()}, "
                     f"{first_line(['swift', '--version'])}"}


# --------------------------------------------------------------------------- the section

def section(args, raw, chart_list):
    """(markdown body, verdicts [(name, measured, PASS/FAIL/n/a)]) from a run's record (what
    bench_agents.py saves as raw.json) and the charts drawn from it."""
    probes, runs, bus, quiet, meta = raw["probes"], raw["runs"], raw["bus"], raw["quiet"], raw["meta"]
    started = datetime.datetime.fromisoformat(meta["started"])
    subject, env = meta["subject"], meta["environment"]
    rel = lambda path: os.path.relpath(path, args.repo)  # noqa: E731
    L = []
    L.append("# Agent benchmarks: request-reply through nats-server, and the embedded bus")
    L.append("")
    L.append("Generated by `scripts/bench-agents.sh` (`make bench-agents`) between the `agents` markers; "
             "do not edit by hand. `scripts/bench-grpc.sh` regenerates the rest of this file and keeps "
             "this section.")
    L.append("")
    # The zone's name as the run saw it; a time read back from ISO text knows only its offset.
    L.append(f"- Date: {started.strftime('%Y-%m-%d %H:%M:%S')} {meta.get('zone') or started.strftime('%Z')}".strip())
    L.append(f"- Machine: {env['machine']}")
    L.append(f"- Commit: {env['commit']}")
    rewritten = (f" (this section rewritten from its raw.json by `bench_agents.py --from-raw` at commit "
                 f"{gb.git_commit(args.repo)})" if getattr(args, "from_raw", None) else "")
    L.append(f"- Command: `{args.command_line}`{rewritten}")
    L.append(f"- Tools: {env['tools']}")
    L.append(f"- Calls: `math.Calculator/add` with payload `1` on objects 0..63 in rotation: one pre-encoded "
             f"`oprc.ObjectInvocationRequest` per object, sent by `nats-load` "
             f"(`{rel(args.nats_load_bin)}`, OaasBus's NATSClient on one thread) to the key's subject "
             f"(`oprc.math~2ECalculator.0.objects.<id>.invokes.add`), {len(args.callers)} caller counts "
             f"({', '.join(map(str, args.callers))} requests always outstanding)")
    L.append(f"- **Floor**: `benchmarks/nats-echo/echo_responder` (libnats, replies sent at once), queue group "
             f"`oaas` on `{subject}`: publishes each request's bytes back to its reply subject")
    L.append("- **Ours**: `demo serve --no-server --bus <url> --agent math.Calculator` (a class-wide agent, "
             "the same subject and queue group): decodes the request, runs `add` on the object, commits its "
             "state, answers an `oprc.InvocationResponse`")
    L.append(f"- Pinning (`taskset`): responder (floor or ours) alone on CPU {args.responder_cpu}; nats-server "
             f"on CPU {args.nats_cpu} and nats-load on CPU {args.client_cpu}. Three processes, two cores: the "
             "responder is what is compared, so it gets a core of its own; nats-server and the generator, "
             "identical in both runs, share the other. When that core is saturated in the floor's run, the "
             "floor is capped by it and the ratio flatters ours (flagged below).")
    sched = {"rr": "every thread of nats-server, the responder and the generator (bus-load too) runs under "
                   "SCHED_RR priority 1, set per thread from /proc when each is ready and again as each window "
                   "starts: on this shared machine other programs (builds) then only get the time the benchmark "
                   "leaves idle, as on an idle machine (the kernel keeps 5% of each core for them)",
             "nice": "every thread of the benchmark's processes at nice -10 (set per thread from /proc)",
             "normal": "normal (no priority change): other programs compete for the cores"}[args.sched]
    L.append(f"- Scheduling: {sched}")
    L.append(f"- Each run: {args.warmup} s warm-up + {args.duration} s measured, on a freshly started "
             f"responder; {args.rounds} round(s), ours and the floor back to back per caller count; the "
             "tables show each side's median run")
    L.append("")

    # Probes.
    bad = [pr for pr in probes if pr["problems"]]
    if bad:
        L.append("**Correctness probe FAILED**: " + "; ".join(f"{pr['target']}: {'; '.join(pr['problems'])}" for pr in bad))
    else:
        parts = []
        for pr in probes:
            what = ("an `InvocationResponse` with status OKAY and a payload" if pr["check"] == "invocation-response"
                    else "the request's own bytes")
            parts.append(f"{pr['target']}: {pr['result'].get('succeeded')}/{args.probe_requests} replies, each "
                         f"{what}, then exit 0 on SIGTERM")
        L.append("Correctness probes passed (`nats-load -n " + str(args.probe_requests) + " -c 4 --check ...`, every "
                 "reply checked): " + "; ".join(parts) + f". The timed runs check every {args.check_every}th reply too.")
    L.append("")

    # NATS table.
    verdicts = []
    by = runs_by_key(runs)
    L.append("## NATS request-reply: ours beside the libnats echo floor")
    L.append("")
    L.append(f"| callers | ours req/s | floor req/s | ours/floor | target ≥ {TARGET_RATIO:.2f} | ours p50 / p90 / p99 | "
             "floor p50 / p90 / p99 | ours mean | floor mean | failed requests (ours / floor, all runs) |")
    L.append("|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|")
    medians = {}
    for callers in args.callers:
        o, f = median_run(by.get(("ours", callers), [])), median_run(by.get(("floor", callers), []))
        medians[callers] = (o, f)
        rt = ratio(rps(o), rps(f))
        o_fail = sum(failed(r) or 0 for r in by.get(("ours", callers), []))
        f_fail = sum(failed(r) or 0 for r in by.get(("floor", callers), []))
        o_problems = [p for r in by.get(("ours", callers), []) for p in problems_of(r)]
        ok = rt is not None and rt >= TARGET_RATIO and not o_problems and not bad
        verdict = "n/a" if rt is None else ("PASS" if ok else "FAIL")
        verdicts.append((f"{callers} caller(s): ours ≥ {TARGET_RATIO:.0%} of the floor's req/s, 0 failed",
                         f"{fmt_ratio(rt)}, {o_fail} failed", verdict))
        trio = lambda r: f"{us(lat(r, 'p50'))} / {us(lat(r, 'p90'))} / {us(lat(r, 'p99'))}"  # noqa: E731
        L.append(f"| {callers} | {rate(rps(o))} | {rate(rps(f))} | {fmt_ratio(rt)} | **{verdict}** | {trio(o)} | "
                 f"{trio(f)} | {us(lat(o, 'mean'))} | {us(lat(f, 'mean'))} | {o_fail} / {f_fail} |")
    L.append("")
    if args.rounds > 1:
        per_round = []
        for callers in args.callers:
            pairs = []
            for rnd in range(1, args.rounds + 1):
                o = [r for r in by.get(("ours", callers), []) if r["round"] == rnd]
                f = [r for r in by.get(("floor", callers), []) if r["round"] == rnd]
                if o and f:
                    pairs.append(f"{fmt_ratio(ratio(rps(o[0]), rps(f[0])))} ({rate(rps(o[0]))} / {rate(rps(f[0]))})")
            per_round.append(f"{callers} caller(s): {', '.join(pairs)}")
        L.append("Each round's ratio (ours / floor req/s): " + "; ".join(per_round) + ".")
        L.append("")
    problems = [(f"{r['target']} x{r['callers']} round {r['round']}", p) for r in runs for p in problems_of(r)]
    if problems:
        L.append("Problems seen:")
        L.append("")
        for where, p in problems:
            L.append(f"- {where}: {p}")
        L.append("")
    L.extend(chart_links(chart_list, "agents-nats", "Agent calls through nats-server: requests/s"))

    # CPU table.
    rc, nc, cc = args.responder_cpu, args.nats_cpu, args.client_cpu
    cores = sorted({rc, nc, cc})
    # Who runs where, for the saturation notes.
    names = {c: " + ".join(n for n, where in (("responder", rc), ("nats-server", nc), ("nats-load", cc)) if where == c)
             for c in cores}
    L.append("### CPU (median runs)")
    L.append("")
    L.append("Over each measured window, from `/proc/<pid>/stat` (all threads) sampled at nats-load's phase lines: "
             "share of one core, and CPU time per counted request. \"Our loop\" is our runtime's event-loop thread "
             "(`oaas-runtime`) inside the demo. Per core, \"benchmark\" is the pinned processes' CPU plus the "
             "core's irq/softirq time (the loopback packets), \"busy\" everything; \"other load\" is task time "
             "that none of our processes accounts for: other programs, which with real-time scheduling only get "
             "what the benchmark leaves idle.")
    L.append("")
    L.append("| run | nats-load (generator) | nats-server | responder | our loop thread | "
             + " | ".join(f"CPU {c}: benchmark / busy" for c in cores) + " | other load "
             + " / ".join(f"CPU {c}" for c in cores) + " |")
    L.append("|---|---:|---:|---:|---:|" + "---:|" * len(cores) + "---:|")
    flagged = {"generator": [], "client_core": [], "floor_capped": [], "ours_bound": [], "disturbed": []}
    for callers in args.callers:
        for target, r in zip(("ours", "floor"), medians[callers]):
            if not r:
                continue
            name = f"{target} x{callers}"
            loop = cpu_pct(r, "responder-loop")
            L.append(f"| {name} | {cpu_cell(r, 'generator')} | {cpu_cell(r, 'nats-server')} | "
                     f"{cpu_cell(r, 'responder')} | {pct(loop) if target == 'ours' else '—'} | "
                     + "".join(f"{pct(ours_on_core(r, c))} / {pct(core_busy(r, c))} | " for c in cores)
                     + " / ".join(pct(other_load(r, c)) for c in cores) + " |")
            if (cpu_pct(r, "generator") or 0) > 90:
                flagged["generator"].append(name)
            for c in cores:
                # A full core that holds only the responder is that responder's limit, which is
                # what the comparison is about; a full core with nats-server or nats-load on it
                # caps the run for other reasons.
                if (ours_on_core(r, c) or 0) > 90 and names[c] != "responder":
                    flagged["floor_capped" if target == "floor" else "client_core"].append(f"{name} (CPU {c}: {names[c]})")
            if target == "ours" and max(cpu_pct(r, "responder") or 0, loop or 0) > 90:
                flagged["ours_bound"].append(name)
            if args.sched != "rr" and max(other_load(r, c) or 0 for c in cores) > 10:
                flagged["disturbed"].append(name)
    L.append("")
    texts = {
        "generator": "nats-load itself was (nearly) saturated in {}: the generator may be the limit there.",
        "floor_capped": "A core holding nats-server or nats-load was saturated in {}: the floor is capped by that "
                        "core, not by the echo responder alone, so the ratio there flatters ours.",
        "client_core": "A core holding nats-server or nats-load was saturated in {}.",
        "ours_bound": "Our responder (or its loop thread) was near 100% of a core in {}: ours is CPU-bound there.",
        "disturbed": "More than 10% other load on a benchmark core in {}: another program competed; read those "
                     "rows with care.",
    }
    notes = [texts[key].format(", ".join(names)) for key, names in flagged.items() if names]
    for n in notes:
        L.append(f"- {n}")
    if notes:
        L.append("")
    unquiet = [q for q in quiet if not q["quiet"]]
    if unquiet and args.sched != "rr":
        L.append(f"- Before {len(unquiet)} of {len(quiet)} run pairs the cores were still busier than "
                 f"{args.quiet_threshold:g}% after waiting {args.quiet_wait:g} s (another program); they were "
                 "measured anyway.")
        L.append("")

    # Embedded.
    if args.embedded == "yes":
        L.extend(embedded_section(args, bus, chart_list))

    L.append("## How the numbers are counted")
    L.append("")
    L.append("- **req/s** = requests answered inside the measured window / its length. A request counts as "
             "answered when its reply reached nats-load (and, for sampled ones, passed the check); a timeout "
             "or any other failure after the warm-up counts as failed. Request timeout: 5 s.")
    L.append("- **Latency**: every counted request, from handing it to the client to its reply's callback "
             "(both on nats-load's one thread, so queueing in the generator is included, equally for both "
             "targets); exact percentiles from all samples (nearest rank).")
    L.append("- **ours/floor** compares the two responders under one generator, one nats-server and one "
             "pinning. The floor does no decoding and no work; ours does what an agent call is: decode, run "
             "the method on the object, store the state, encode the answer.")
    L.append("")
    L.append("### Exact commands (median runs)")
    L.append("")
    L.append(f"- nats-server: `taskset -c {nc} nats-server -a 127.0.0.1 -p <free port>` (`$NATS_URL`)")
    L.append(f"- floor: `taskset -c {rc} {rel(args.echo_bin)} $NATS_URL '{subject}'`")
    if args.demo_bin:
        L.append(f"- ours: `taskset -c {rc} {rel(args.demo_bin)} serve --no-server --bus $NATS_URL --agent math.Calculator`")
    for callers in args.callers:
        for target, r in zip(("ours", "floor"), medians[callers]):
            if r:
                L.append(f"- {target} x{callers}: `{r['command']}`")
    for pr in probes:
        L.append(f"- probe {pr['target']}: `{pr['result'].get('command')}`")
    if bus and bus.get("command"):
        L.append(f"- embedded: `{bus['command']}`")
    L.append("")
    L.append("Targets (printed as measured, not adjusted):")
    L.append("")
    L.append("| target | measured | verdict |")
    L.append("|---|---|---|")
    for name, measured, verdict in verdicts:
        L.append(f"| {name} | {measured} | **{verdict}** |")
    return "\n".join(L), verdicts


def embedded_section(args, bus, chart_list):
    L = ["## Embedded bus: one process, no sockets", ""]
    if not bus or "runs" not in bus:
        L.append(f"**bus-load gave no report** (exit {(bus or {}).get('exit_code')}): "
                 f"`{'; '.join((bus or {}).get('stderr_tail', []))}`")
        L.append("")
        return L
    L.append(f"`bus-load` (pinned to CPUs {args.bus_cpus}; nats-server stopped by then) registers a `math.Calculator` "
             "with the same `add`, starts the server in mock mode and a class-wide agent on the embedded bus, "
             "then calls `add` with N concurrent tasks (closed loop, objects 0..63 in rotation) through "
             "`oaas.invoke` (the in-process server path: the reference) and through `oaas.invokeViaBus` "
             "(ObjectInvocationRequest over the embedded bus to the agent, InvocationResponse back), "
             f"{bus.get('warmup_seconds')} s warm-up + {bus.get('duration_seconds')} s each. Both end in the "
             "same invocation engine on the runtime's one loop thread; every answer must be OKAY. No target "
             "is set for this path; the ratio shows what the bus adds.")
    L.append("")
    L.append("| callers | oaas.invoke req/s | invokeViaBus req/s | bus/invoke | invoke p50 / p99 | bus p50 / p99 | "
             "process CPU per call (invoke / bus) | loop thread busy (invoke / bus) | failed (invoke / bus) |")
    L.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    runs = bus_runs(bus)
    for callers in args.callers:
        s, b = runs.get(("server", callers)), runs.get(("bus", callers))
        per = lambda x: "n/a" if not x else f"{x['generator_cpu_us_per_request']:.1f} µs"  # noqa: E731
        loop = lambda x: "n/a" if not x or x.get("loop_thread_cpu_utilisation") is None \
            else pct(100 * x["loop_thread_cpu_utilisation"])  # noqa: E731
        L.append(f"| {callers} | {rate(rps(s))} | {rate(rps(b))} | {fmt_ratio(ratio(rps(b), rps(s)))} | "
                 f"{us(lat(s, 'p50'))} / {us(lat(s, 'p99'))} | {us(lat(b, 'p50'))} / {us(lat(b, 'p99'))} | "
                 f"{per(s)} / {per(b)} | {loop(s)} / {loop(b)} | {failed(s)} / {failed(b)} |")
    L.append("")
    L.append("Process CPU per call is getrusage of the whole process (caller tasks, Swift's cooperative threads, "
             "the runtime loop) over the window / calls answered; the loop thread's share comes from "
             "`/proc/self/task` (100% = it never idled, i.e. the one loop is the limit).")
    if bus.get("exit_code") != 0:
        L.append("")
        L.append(f"**bus-load exited {bus.get('exit_code')}**: `{'; '.join(bus.get('stderr_tail', []))}`")
    L.append("")
    L.extend(chart_links(chart_list, "agents-embedded", "Agent calls in one process (embedded bus): requests/s"))
    return L
