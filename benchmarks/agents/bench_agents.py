#!/usr/bin/env python3
"""Agent benchmarks: request-reply invocations through a local nats-server, ours beside a plain
libnats echo responder in the same run, then the embedded bus in one process. Called by
scripts/bench-agents.sh, which installs the tools and builds everything first; writes the
agents section of benchmarks/RESULTS.md (see results_section.py).

NATS scenarios (1 and 64 concurrent callers by default), each round and each caller count
running both targets back to back, each on a freshly started responder:

  floor  benchmarks/nats-echo/echo_responder (libnats): reflects each request's bytes.
  ours   `demo serve --no-server --bus nats://... --agent math.Calculator`: a class-wide agent
         that decodes the ObjectInvocationRequest, runs Calculator/add on the object, commits
         its state and answers an InvocationResponse.

Both get the very same requests from the same generator (nats-load: OaasBus's NATSClient on
one thread, pre-encoded ObjectInvocationRequests for objects 0..63). Before the timed runs, a
probe sends N requests to each with every reply checked (echo: the same bytes; ours: an
InvocationResponse with status OKAY and a payload); the timed runs check a sample.

CPU: /proc is sampled at nats-load's `phase=measuring` / `phase=draining` lines, for the
generator, nats-server, the responder (and our runtime's loop thread), and every core.

Embedded scenario: bus-load (one process) measures oaas.invokeViaBus (embedded bus, class-wide
agent) beside oaas.invoke (mock-mode server path) with the same caller counts.

Everything measured, with the run's settings, is saved as raw.json in the work folder; with
--from-raw that file is rendered again (section and charts) without running anything:
  python3 benchmarks/agents/bench_agents.py --repo . --out benchmarks/RESULTS.md --from-raw <work folder>/raw.json
"""
import argparse
import datetime
import json
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import agents_report  # noqa: E402
import proc_cpu  # noqa: E402
import results_section  # noqa: E402
sys.path.insert(0, os.path.join(HERE, "..", "grpc"))
# Process handling shared with the gRPC harness: every process started through `spawn` is
# recorded (BENCH_PIDFILE) and killed by `cleanup`.
from bench import ManagedProcess, cleanup, exit_status, free_port, run_generator, spawn, wait_for_port  # noqa: E402

LOOP_THREAD = "oaas-runtime"  # the name of our runtime's event-loop thread


# --------------------------------------------------------------------------- processes

NICE = 0  # set from --nice in main()
REALTIME = 0  # set from --realtime in main(): a SCHED_RR priority, 0 = normal scheduling


def pinned(cpus, cmd):
    return ["taskset", "-c", str(cpus)] + cmd


def renice(*pids):
    """Gives every thread of `pids` the run's scheduling (--sched): SCHED_RR priority 1, or nice
    -10, or nothing. On a shared machine, background jobs (builds) otherwise take the
    benchmark's cores mid-window and delay every wake-up; a request-reply chain is a string of
    wake-ups, so the numbers then measure the neighbours. With SCHED_RR the benchmark's threads
    run whenever they are runnable (the kernel still keeps 5% of each core for everyone else),
    as on an idle machine, and other programs get the idle time in between.
    Per thread, not per process: on Linux scheduling belongs to each thread, and a thread
    inherits its creator's, so `chrt`/`nice` on the command line does not reach threads that
    Swift's concurrency pool starts at its own level (our runtime's loop thread among them).
    Called when a process is ready and again when a window starts, so that both targets'
    threads, however they came to be, are scheduled alike."""
    if not NICE and not REALTIME:
        return
    for pid in pids:
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tids:
            try:
                if REALTIME:
                    os.sched_setscheduler(int(tid), os.SCHED_RR, os.sched_param(REALTIME))
                else:
                    os.setpriority(os.PRIO_PROCESS, int(tid), NICE)
            except OSError:
                pass


class Responder(ManagedProcess):
    """A responder (our agent, the libnats floor) that prints READY once it serves."""

    def _announces(self, line):
        return line.strip() == "READY"


# --------------------------------------------------------------------------- runs

def start_nats_server(args, workdir):
    port = free_port()
    proc = spawn(pinned(args.nats_cpu, ["nats-server", "-a", "127.0.0.1", "-p", str(port)]),
                 stdout=subprocess.DEVNULL, stderr=open(os.path.join(workdir, "nats-server.log"), "ab"),
                 stdin=subprocess.DEVNULL)
    if not wait_for_port(port, proc, 10):
        raise RuntimeError(f"nats-server did not accept connections on port {port}")
    renice(proc.pid)
    return proc, f"nats://127.0.0.1:{port}"


def start_responder(args, target, url, subject, workdir, label):
    if target == "floor":
        cmd = [args.echo_bin, url, subject]
    else:
        cmd = [args.demo_bin, "serve", "--no-server", "--store", "memory", "--bus", url, "--agent", "math.Calculator"]
    responder = Responder(target, cmd, args.responder_cpu, os.path.join(workdir, f"{target}-{label}.stderr"))
    if not responder.wait_announced(args.start_timeout):
        code, _ = responder.stop(timeout=5)
        raise RuntimeError(f"{target} did not print READY within {args.start_timeout:g} s (exit code {code}); "
                           f"stdout {responder.lines[-5:]}, stderr {responder.stderr_tail()}")
    renice(responder.proc.pid)
    return responder


def run_nats_load(args, url, extra, pids, threads, timeout):
    """Runs nats-load pinned to the client CPU with `extra` options and --json; samples /proc at
    its phase lines. Returns its JSON report plus exit_code, command and the CPU window."""
    full = pinned(args.client_cpu, [args.nats_load_bin, "--url", url, "--json", "--quiet"] + extra)
    pids = dict(pids)
    samples = {}

    def on_spawn(proc):
        pids["generator"] = proc.pid
        renice(proc.pid)

    def on_line(proc, line):
        if "phase=measuring" in line:
            renice(*pids.values())
            samples["start"] = proc_cpu.sample(pids, threads)
        elif "phase=draining" in line:
            samples["end"] = proc_cpu.sample(pids, threads)

    result, code, killed, stderr = run_generator(full, timeout, on_line, on_spawn)
    shown = [os.path.relpath(c, args.repo) if c == args.nats_load_bin else c for c in full]
    result.update(exit_code=code, killed_after_timeout=killed, stderr_tail=stderr[-8:],
                  command=" ".join(shlex.quote(c) for c in shown).replace(url, "$NATS_URL"))
    if "start" in samples and "end" in samples:
        placement = {"generator": args.client_cpu, "nats-server": args.nats_cpu, "responder": args.responder_cpu}
        result["cpu"] = proc_cpu.window(samples["start"], samples["end"], placement)
    return result


def probe(args, target, url, subject, nats_pid, workdir):
    """N requests, every reply checked, on a fresh responder; then a graceful stop."""
    responder = start_responder(args, target, url, subject, workdir, "probe")
    check = "echo" if target == "floor" else "invocation-response"
    try:
        r = run_nats_load(args, url, ["-n", str(args.probe_requests), "-c", "4", "--check", check],
                          {"nats-server": nats_pid, "responder": responder.proc.pid}, {}, 120)
    finally:
        code, secs = responder.stop()
    problems = []
    if r.get("succeeded") != args.probe_requests or r.get("failed"):
        problems.append(f"{r.get('succeeded')} of {args.probe_requests} succeeded, failures {r.get('failures')}, "
                        f"exit {r.get('exit_code')}, stderr {r.get('stderr_tail')}")
    if r.get("checked_replies") != args.probe_requests:
        problems.append(f"only {r.get('checked_replies')} replies were checked")
    if code != 0:
        problems.append(f"exit code {code} after SIGTERM (expected 0)")
    return {"target": target, "check": check, "result": r, "exit_code": code, "stop_seconds": secs,
            "stdout_tail": responder.lines[-3:], "problems": problems}


def measure(args, target, callers, url, subject, nats_pid, workdir, label):
    responder = start_responder(args, target, url, subject, workdir, label)
    check = "echo" if target == "floor" else "invocation-response"
    threads = {"responder-loop": (responder.proc.pid, LOOP_THREAD)} if target == "ours" else {}
    try:
        r = run_nats_load(args, url, ["-c", str(callers), "--warmup", str(args.warmup), "--duration", str(args.duration),
                                      "--check", check, "--check-every", str(args.check_every)],
                          {"nats-server": nats_pid, "responder": responder.proc.pid}, threads,
                          args.warmup + args.duration + 60)
    finally:
        code, secs = responder.stop()
    r.update(target=target, callers=callers, responder_exit=code, stop_seconds=secs,
             responder_stdout_tail=responder.lines[-3:], responder_stderr=responder.stderr_tail(5))
    return r


def wait_until_quiet(args):
    """On a shared machine, waits (up to --quiet-wait s) for the benchmark's cores to be mostly
    idle before a pair of runs: one second's busy time under --quiet-threshold % on each."""
    deadline = time.monotonic() + args.quiet_wait
    cpus = {int(c) for c in str(args.cpus_used).split(",")}
    while True:
        a = proc_cpu.core_busy_seconds()
        time.sleep(1)
        b = proc_cpu.core_busy_seconds()
        busy = {c: 100 * (b[c][0] - a[c][0]) for c in cpus if c in a and c in b}
        if all(v < args.quiet_threshold for v in busy.values()):
            return busy, True
        if time.monotonic() >= deadline:
            return busy, False


def run_bus_load(args):
    cmd = pinned(args.bus_cpus, [args.bus_load_bin, "--callers", ",".join(map(str, args.callers)),
                                 "--warmup", str(args.warmup), "--duration", str(args.duration), "--json"])
    limit = (args.warmup + args.duration + 30) * 2 * len(args.callers) + 60

    def on_line(proc, line):
        if "warm-up" in line or "phase=measuring" in line:
            renice(proc.pid)  # the loop thread and the caller tasks' threads too

    result, code, _, stderr = run_generator(cmd, limit, on_line)
    shown = [os.path.relpath(c, args.repo) if c == args.bus_load_bin else c for c in cmd]
    result.update(exit_code=code, command=" ".join(shlex.quote(c) for c in shown), stderr_tail=stderr[-12:])
    return result


# --------------------------------------------------------------------------- main

def run_all(args, subject, workdir):
    """The probes, the timed rounds and the embedded bus: the run's record, as raw.json keeps
    it (without its "meta")."""
    runs, probes, quiet, bus = [], [], [], None
    nats, url = start_nats_server(args, workdir)
    print(f"== nats-server on {url} (CPU {args.nats_cpu}); subject {subject}", flush=True)
    for target in args.targets:
        print(f"== probe {target}: {args.probe_requests} requests, every reply checked", flush=True)
        pr = probe(args, target, url, subject, nats.pid, workdir)
        probes.append(pr)
        print("   " + ("; ".join(pr["problems"]) if pr["problems"] else "ok"), flush=True)
    for rnd in range(1, args.rounds + 1):
        for callers in args.callers:
            busy, ok = wait_until_quiet(args)
            quiet.append({"round": rnd, "callers": callers, "busy_pct": busy, "quiet": ok})
            if not ok:
                print(f"   (cores still busy before round {rnd}, {callers} callers: "
                      f"{ {c: round(v) for c, v in busy.items()} }%; measuring anyway)", flush=True)
            for target in args.targets:  # back to back, so drift hits both alike
                label = f"r{rnd}-c{callers}"
                print(f"== round {rnd}: {target}, {callers} callers: {args.warmup} s warm-up + "
                      f"{args.duration} s", flush=True)
                r = measure(args, target, callers, url, subject, nats.pid, workdir, label)
                r["round"] = rnd
                runs.append(r)
                print("   " + agents_report.one_line(r), flush=True)
    nats.terminate()
    try:
        nats.wait(timeout=10)
    except subprocess.TimeoutExpired:
        nats.kill()
    if args.embedded == "yes":
        print(f"== embedded bus: bus-load (CPUs {args.bus_cpus}), callers {args.callers}, "
              f"{args.warmup} s warm-up + {args.duration} s per path", flush=True)
        busy, ok = wait_until_quiet(args)
        bus = run_bus_load(args)
        bus["quiet_before"] = {"busy_pct": busy, "quiet": ok}
        for line in agents_report.bus_lines(bus):
            print("   " + line, flush=True)
    return {"probes": probes, "runs": runs, "bus": bus, "quiet": quiet}


def print_subject(args):
    """The wildcard subject the responders serve, as nats-load computes it."""
    return subprocess.run([args.nats_load_bin, "--print-subject"], capture_output=True, text=True,
                          check=True).stdout.strip()


# Options that belong to one invocation of this script, not to the run a raw.json records.
NOT_RECORDED = ("repo", "out", "from_raw", "charts_dir")


def record_meta(args, started, subject):
    """What the report needs besides the measurements, kept in raw.json for --from-raw: the
    start, the subject, the machine/commit/tools lines and every setting of the run."""
    return {"started": started.isoformat(), "zone": started.strftime("%Z"), "subject": subject,
            "environment": agents_report.environment(args),
            "settings": {k: v for k, v in vars(args).items() if k not in NOT_RECORDED}}


def measure_everything(args, started):
    """Runs the benchmarks; (record, work folder), the record also saved there as raw.json."""
    workdir = tempfile.mkdtemp(prefix="bench-agents-")

    def on_signal(signum, _frame):
        cleanup()
        sys.exit(128 + signum)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    subject = print_subject(args)
    meta = record_meta(args, started, subject)
    try:
        raw = dict(run_all(args, subject, workdir), meta=meta)
    finally:
        cleanup()
    text = json.dumps(raw, indent=1, default=str)
    with open(os.path.join(workdir, "raw.json"), "w") as f:
        f.write(text)
    # Rendered from the record as saved (JSON: CPU numbers as keys become text), so that a
    # --from-raw rewrite of it gives the same section.
    return json.loads(text), workdir


def main():
    p = argparse.ArgumentParser(description="agent benchmarks (see scripts/bench-agents.sh)")
    p.add_argument("--repo", required=True)
    # Binaries come through the environment, to keep their names off this process's command line.
    p.add_argument("--nats-load-bin", default=os.environ.get("BENCH_NATS_LOAD_BIN"))
    p.add_argument("--bus-load-bin", default=os.environ.get("BENCH_BUS_LOAD_BIN"))
    p.add_argument("--demo-bin", default=os.environ.get("BENCH_DEMO_BIN"))
    p.add_argument("--echo-bin", default=os.environ.get("BENCH_ECHO_BIN"))
    p.add_argument("--callers", default="1,64")
    p.add_argument("--targets", default="ours,floor")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--duration", type=int, default=10)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--probe-requests", type=int, default=1024)
    p.add_argument("--check-every", type=int, default=1000)
    p.add_argument("--responder-cpu", type=int, default=0)
    p.add_argument("--nats-cpu", type=int, default=1)
    p.add_argument("--client-cpu", type=int, default=1)
    p.add_argument("--bus-cpus", default="0,1")
    p.add_argument("--embedded", default="yes", choices=["yes", "no"])
    p.add_argument("--quiet-wait", type=float, default=60)
    p.add_argument("--quiet-threshold", type=float, default=25)
    # How the benchmark's threads are scheduled: rr = SCHED_RR priority 1 (needs root), nice =
    # nice -10, normal = as started. See renice().
    p.add_argument("--sched", default="normal", choices=["rr", "nice", "normal"])
    p.add_argument("--start-timeout", type=float, default=30)
    p.add_argument("--out", required=True)
    p.add_argument("--command-line", default="scripts/bench-agents.sh")
    p.add_argument("--from-raw", help="re-write the section and charts from a run's raw.json, running nothing; "
                   "a raw.json without \"meta\" (older runs) needs the run's options and binaries again, and "
                   "gets today's date, machine, commit and tools")
    args = p.parse_args()
    global NICE, REALTIME
    NICE, REALTIME = (-10 if args.sched == "nice" else 0), (1 if args.sched == "rr" else 0)
    args.callers = [int(c) for c in args.callers.split(",") if c]
    args.targets = [t for t in args.targets.split(",") if t]
    args.cpus_used = ",".join(sorted({str(args.responder_cpu), str(args.nats_cpu), str(args.client_cpu)}))
    args.charts_dir = os.path.join(os.path.dirname(os.path.abspath(args.out)), "charts")
    raw = None
    if args.from_raw:
        with open(args.from_raw) as f:
            raw = json.load(f)
        for name, value in (raw.get("meta") or {}).get("settings", {}).items():
            setattr(args, name, value)
    if raw is None or "meta" not in raw:  # a run, or a record that does not name its binaries
        for name in ("nats_load_bin", "echo_bin") + (("demo_bin",) if "ours" in args.targets else ()) \
                + (("bus_load_bin",) if args.embedded == "yes" and raw is None else ()):
            if not getattr(args, name):
                p.error(f"--{name.replace('_', '-')} is needed")

    started = datetime.datetime.now().astimezone()
    if raw is None:
        raw, workdir = measure_everything(args, started)
        source = f"raw output in {workdir}"
    else:
        if "meta" not in raw:  # an older record: the command line's settings, today's machine
            raw["meta"] = record_meta(args, started, print_subject(args))
        source = f"from {args.from_raw}"
    chart_list = agents_report.charts(args, raw["runs"], raw["bus"])
    body, verdicts = agents_report.section(args, raw, chart_list)
    results_section.replace_section(args.out, results_section.AGENTS, body)
    print(f"\nwrote the agents section of {args.out} and {len(chart_list)} charts in "
          f"{os.path.relpath(args.charts_dir, args.repo)} ({source})\n")
    print(results_section.read_section(args.out, results_section.AGENTS))
    return exit_status(any(pr["problems"] for pr in raw["probes"]), verdicts)


if __name__ == "__main__":
    sys.exit(main())
