#!/usr/bin/env python3
"""Load benchmark of oaas-grpc-echo beside nghttpd, driven by h2load; writes benchmarks/RESULTS.md.

Called by scripts/bench-grpc.sh, which installs the tools and builds the server first. Each
scenario (C connections x M concurrent streams per connection) is run against a freshly started
server, so the server's STATUS_COUNTS cover that scenario alone:

  timed run   h2load -D <duration> --warm-up-time <warm-up>: req/s, mean latency, the CPU time of
              h2load and of the server over the main phase (read from /proc at h2load's
              "Main benchmark duration is started / over" lines).
  count run   (ours only) h2load -n <N> on another fresh server, without warm-up, so h2load's
              counts and the server's STATUS_COUNTS describe exactly the same N calls.

h2load judges a reply by its HTTP status only (a gRPC error is an HTTP 200 with grpc-status in
the trailers, which h2load never reads), so every call is cross-checked against the server's own
per-grpc-status counts; see the notes written into RESULTS.md.

oaas-load scenarios (--load-scenarios, LOAD_SCENARIOS in bench-grpc.sh): our own generator
(benchmarks/LoadGenerator), which rotates pre-encoded InvokeObj bodies over many objects and
reads every grpc-status itself. Each scenario runs it against the load server (SERVER_CMD, else
oaas-grpc-echo) and against nghttpd in --http-only mode, so the ratio uses one generator; see
run_oaas_load and load_report.py.
"""
import argparse
import datetime
import json
import os
import platform
import re
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "agents"))
import grpc_body  # noqa: E402
import proc_cpu  # noqa: E402  (benchmarks/agents)
import load_report  # noqa: E402
from report_format import pct as fmt_pct, rate as fmt_rate, ratio as fmt_ratio  # noqa: E402
import results_section  # noqa: E402  (the agents section of RESULTS.md is bench-agents.sh's)

RPC_PATH = "/oprc.OprcFunction/InvokeObj"
PAYLOAD = b'{"a":1,"b":2}'
# What nghttpd serves: replaced by the bytes of our echo reply (same DATA size) once the
# probe has read one; this stand-in is used when ours is not measured.
STATIC_FILE = b'{"a":1,"b":2,"c":3}\n'
CLK_TCK = os.sysconf("SC_CLK_TCK")
SPAWNED = []  # every process we started, for cleanup


# --------------------------------------------------------------------------- processes

def record_pid(pid):
    path = os.environ.get("BENCH_PIDFILE")
    if path:
        with open(path, "a") as f:
            f.write(f"{pid}\n")


def spawn(cmd, **kwargs):
    proc = subprocess.Popen(cmd, **kwargs)
    SPAWNED.append(proc)
    record_pid(proc.pid)
    return proc


def cleanup():
    for proc in SPAWNED:
        if proc.poll() is None:
            proc.kill()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass


def core_busy_seconds():
    """Busy seconds of each CPU from /proc/stat: user, nice, system and steal. Interrupt and
    softirq time is left out: on loopback it is mostly the benchmark's own packets. (The "in
    tasks" half of proc_cpu's per-core reading.)"""
    return {cpu: in_tasks for cpu, (_, in_tasks) in proc_cpu.core_busy_seconds().items()}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, proc, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.05)
    return False


class ManagedProcess:
    """A pinned child process (`cpus`: what taskset -c takes) whose stdout lines a thread
    collects; `announced` is set by the first line `_announces` accepts, or when output ends.
    Subclasses say what announces them (LISTENING <port>, READY)."""

    def __init__(self, name, cmd, cpus, stderr_path, env=None):
        self.name = name
        self.cmd = ["taskset", "-c", str(cpus)] + cmd
        self.stderr_path = stderr_path
        self.lines = []
        self.announced = threading.Event()
        self.stderr_file = open(stderr_path, "ab")
        self.proc = spawn(self.cmd, stdout=subprocess.PIPE, stderr=self.stderr_file,
                          stdin=subprocess.DEVNULL, env=env)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _announces(self, line):
        return False

    def _read(self):
        for raw in self.proc.stdout:
            line = raw.decode(errors="replace").rstrip("\n")
            self.lines.append(line)
            if not self.announced.is_set() and self._announces(line):
                self.announced.set()
        self.announced.set()  # end of output: wake up a waiter

    def wait_announced(self, timeout):
        """True when the process announced itself within `timeout` and still runs."""
        self.announced.wait(timeout)
        return self.proc.poll() is None and any(self._announces(line) for line in list(self.lines))

    def stop(self, timeout=20):
        """SIGTERM, wait; returns (exit code or None if it had to be killed, seconds to exit)."""
        start = time.monotonic()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            code = None
        self.reader.join(timeout=5)
        self.stderr_file.close()
        return code, time.monotonic() - start

    def stderr_tail(self, n=15):
        try:
            with open(self.stderr_path, errors="replace") as f:
                return f.read().splitlines()[-n:]
        except OSError:
            return []


class Server(ManagedProcess):
    """A server that prints `LISTENING <port>` once bound."""

    def __init__(self, name, cmd, cpu, stderr_path):
        self.port = None
        super().__init__(name, cmd, cpu, stderr_path)

    def _announces(self, line):
        m = re.match(r"^LISTENING (\d+)\s*$", line)
        if m and self.port is None:
            self.port = int(m.group(1))
        return m is not None

    def wait_listening(self, timeout):
        return self.wait_announced(timeout) and self.port is not None

    def cpu(self):
        return proc_cpu.process_seconds(self.proc.pid)

    def status_counts(self):
        for line in reversed(self.lines):
            if line.startswith("STATUS_COUNTS"):
                try:
                    return {str(k): int(v) for k, v in json.loads(line[len("STATUS_COUNTS"):]).items()}
                except (ValueError, AttributeError):
                    return None
        return None


def run_generator(cmd, limit, on_stderr_line=lambda proc, line: None, on_spawn=lambda proc: None):
    """Runs a load generator (oaas-load, nats-load) that prints phase lines on stderr and one
    JSON report as the last line of stdout; kills it after `limit` seconds. `on_spawn(proc)`
    runs once it is started; `on_stderr_line(proc, line)` sees each stderr line as it comes
    (to sample CPU at the phase lines). Returns (its report, or {"unparsed_output": ...};
    exit code; whether it was killed; its stderr lines)."""
    proc = spawn(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    on_spawn(proc)
    killer = threading.Timer(limit, proc.kill)
    killer.daemon = True
    killer.start()
    stdout = []
    reader = threading.Thread(target=lambda: stdout.append(proc.stdout.read()), daemon=True)
    reader.start()
    stderr = []
    for raw in proc.stderr:
        line = raw.decode(errors="replace").rstrip("\n")
        on_stderr_line(proc, line)
        stderr.append(line)
    code = proc.wait()
    reader.join(timeout=5)
    killed = not killer.is_alive() and code != 0
    killer.cancel()
    text = b"".join(stdout).decode(errors="replace").strip()
    try:
        result = json.loads(text.splitlines()[-1]) if text else {}
    except ValueError:
        result = {"unparsed_output": text[-2000:]}
    return result, code, killed, stderr


# --------------------------------------------------------------------------- h2load

def parse_duration(text):
    m = re.match(r"^([\d.]+)(us|ms|s)$", text)
    if not m:
        return None
    return float(m.group(1)) * {"us": 1e-6, "ms": 1e-3, "s": 1.0}[m.group(2)]


def parse_h2load(text):
    out = {}
    m = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, "
                  r"(\d+) failed, (\d+) errored, (\d+) timeout", text)
    if m:
        keys = ["total", "started", "done", "succeeded", "failed", "errored", "timeout"]
        out.update(zip(keys, map(int, m.groups())))
    m = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", text)
    if m:
        out["status"] = dict(zip(["2xx", "3xx", "4xx", "5xx"], map(int, m.groups())))
    m = re.search(r"finished in ([\d.]+\w+), ([\d.]+) req/s", text)
    if m:
        out["finished_in"] = parse_duration(m.group(1))
        out["h2load_rps"] = float(m.group(2))
    m = re.search(r"time for request:\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)", text)
    if m:
        out["latency"] = dict(zip(["min", "max", "mean", "sd"], map(parse_duration, m.groups())))
    return out


def cpu_sample(pid, server):
    """CPU times at one instant: the load generator `pid`, the server, every core."""
    try:
        return {
            "wall": time.monotonic(),
            "client": proc_cpu.process_seconds(pid),
            "server": server.cpu() if server else None,
            "cores": core_busy_seconds(),
        }
    except OSError:
        return None


def window_cpu(args, a, b, server):
    """CPU use between two samples: generator and server %, other load on their two CPUs."""
    out = {}
    wall = b["wall"] - a["wall"]
    out["window"] = wall
    out["client_cpu_pct"] = 100 * (b["client"] - a["client"]) / wall
    if server:
        out["server_cpu_s"] = b["server"] - a["server"]
        out["server_cpu_pct"] = 100 * out["server_cpu_s"] / wall
    other = {}
    for cpu, owner in ((args.server_cpu, out.get("server_cpu_s")),
                       (args.client_cpu, b["client"] - a["client"])):
        if cpu in a["cores"] and cpu in b["cores"] and owner is not None:
            other[cpu] = 100 * max(0.0, (b["cores"][cpu] - a["cores"][cpu] - owner)) / wall
    out["other_load_pct"] = other
    return out


def run_h2load(args, cmd, server, timeout):
    """Runs h2load pinned to the client CPU; samples CPU times at the main phase's edges."""
    full = ["taskset", "-c", str(args.client_cpu)] + cmd
    proc = spawn(full, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    samples = {}
    lines = []
    killer = threading.Timer(timeout, proc.kill)
    killer.daemon = True
    killer.start()

    def sample(label):
        taken = cpu_sample(proc.pid, server)
        if taken:
            samples[label] = taken

    sample("start")
    for raw in proc.stdout:
        line = raw.decode(errors="replace")
        lines.append(line)
        if "Main benchmark duration is started" in line:
            sample("main_start")
        elif "Main benchmark duration is over" in line:
            sample("main_end")
    code = proc.wait()
    timed_out = not killer.is_alive() and code != 0
    killer.cancel()
    text = "".join(lines)
    result = parse_h2load(text)
    result.update(exit_code=code, killed_after_timeout=timed_out, output=text,
                  command=" ".join(shlex.quote(c) for c in full))
    a, b = samples.get("main_start") or samples.get("start"), samples.get("main_end")
    if a and b:
        result.update(window_cpu(args, a, b, server))
    return result


def h2load_base(args, conns, streams):
    return ["h2load", "-t", "1", "-c", str(conns), "-m", str(streams),
            "-N", f"{args.inactivity_timeout}s"]


# --------------------------------------------------------------------------- oaas-load

def run_oaas_load(args, port, conns, streams, request_args, server=None, warmup=0,
                  duration=None, count=None):
    """Runs oaas-load pinned to the client CPU against 127.0.0.1:`port` with `conns` x
    `streams`, for `warmup` + `duration` seconds (or `count` requests, -n), with
    `request_args` saying what to send (e.g. ["--invoke-obj", ...] or ["--http-only", ...]).

    Returns oaas-load's JSON report (empty if it printed none), plus exit_code, command,
    killed_after_timeout, the tail of its stderr, and - as run_h2load does at h2load's
    "Main benchmark duration" lines - the generator's and the server's CPU over the measured
    window, sampled from /proc at oaas-load's `phase=measuring` / `phase=draining` lines."""
    full = ["taskset", "-c", str(args.client_cpu), args.load_bin, "--host", "127.0.0.1",
            "--port", str(port), "-c", str(conns), "-m", str(streams), "--warmup", str(warmup),
            "--timeout", str(args.inactivity_timeout), "--json"]
    full += ["-n", str(count)] if count else ["--duration", str(duration)]
    full += request_args
    limit = warmup + (duration or 0) + args.inactivity_timeout + 60 + (count or 0) / 1000
    samples = {}

    def on_line(proc, line):
        if "phase=measuring" in line:
            samples["main_start"] = cpu_sample(proc.pid, server)
        elif "phase=draining" in line:
            samples["main_end"] = cpu_sample(proc.pid, server)

    result, code, timed_out, lines = run_generator(full, limit, on_line)
    stderr = [line for line in lines if not line.startswith("t=")]  # progress lines are not worth keeping
    shown = [os.path.relpath(c, args.repo) if c == args.load_bin else c for c in full]
    result.update(exit_code=code, killed_after_timeout=timed_out, stderr_tail=stderr[-10:],
                  command=" ".join(shlex.quote(c) for c in shown))
    a, b = samples.get("main_start"), samples.get("main_end")
    if a and b:
        result.update(window_cpu(args, a, b, server))
    return result


def parse_invoke(spec):
    """CLS:FN:PAYLOAD:OBJECTS as oaas-load splits it (the payload may contain ':')."""
    parts = spec.split(":")
    if len(parts) < 4 or not parts[-1].isdigit():
        raise ValueError(f"--load-invoke needs CLS:FN:PAYLOAD:OBJECTS, not {spec!r}")
    return parts[0], parts[1], ":".join(parts[2:-1]), int(parts[-1])


def load_request_args(args, target):
    """What oaas-load sends: InvokeObj calls to the load server, or (http-only) the same-size
    request body POSTed to nghttpd's static file holding a reply of the load server's size."""
    if target == "load-server":
        return ["--path", RPC_PATH, "--invoke-obj", args.load_invoke]
    extra = ["--http-only", "--method", args.load_nghttpd_method, "--path", "/" + args.load_static_name]
    if args.load_nghttpd_method == "POST":
        extra += ["--body-file", args.load_body]
    return extra


def start_load_server(args, workdir, label):
    """SERVER_CMD when given (it must print `LISTENING <port>`), else oaas-grpc-echo."""
    if not args.load_server_cmd:
        return start_ours(args, workdir, label)
    server = Server("load-server", shlex.split(args.load_server_cmd), args.server_cpu,
                    os.path.join(workdir, f"load-server-{label}.stderr"))
    if not server.wait_listening(args.start_timeout):
        code, _ = server.stop(timeout=5)
        detail = "; ".join((server.lines + server.stderr_tail())[-10:])
        raise RuntimeError(f"SERVER_CMD did not print 'LISTENING <port>' within {args.start_timeout:g} s "
                           f"(exit code {code}); its output: {detail!r}")
    return server


def probe_load_server(args, workdir, docroot):
    """Before the load scenarios: one call with nghttp, whose reply becomes nghttpd's static
    file (same DATA size), then every object once or more through oaas-load --check-payload
    (each reply must be grpc-status 0 and an InvocationResponse with status OKAY)."""
    problems = []
    server = start_load_server(args, workdir, "probe")
    try:
        url = f"http://127.0.0.1:{server.port}{RPC_PATH}"
        hdrs = ["-H", "content-type: application/grpc", "-H", "te: trailers"]
        try:
            reply = subprocess.run(["nghttp", "-d", args.load_body] + hdrs + [url],
                                   capture_output=True, timeout=20).stdout
        except subprocess.TimeoutExpired:
            reply = b""
            problems.append("nghttp got no reply within 20 s")
        with open(os.path.join(docroot, args.load_static_name), "wb") as f:
            f.write(reply or STATIC_FILE)
        args.load_static_size = len(reply or STATIC_FILE)
        n = max(256, 4 * args.load_objects)
        r = run_oaas_load(args, server.port, 1, 4, load_request_args(args, "load-server") + ["--check-payload"],
                          server=server, count=n)
        if r.get("succeeded") != n or r.get("failed"):
            problems.append(f"oaas-load -n {n} --check-payload: {r.get('succeeded')} succeeded, "
                            f"{r.get('failed')} failed {r.get('failures')}, exit {r.get('exit_code')}, "
                            f"connection {r.get('connection')}, stderr {r.get('stderr_tail')}")
    finally:
        code, _ = server.stop()
    if code != 0:
        problems.append(f"exit code {code} after SIGTERM (expected 0)")
    return {"problems": problems, "n": n, "result": r, "status_counts": server.status_counts()}


def measure_load(args, target, conns, streams, docroot, workdir):
    """One oaas-load scenario on a fresh server: the load server, or nghttpd (http-only)."""
    label = f"load-{conns}x{streams}"
    if target == "load-server":
        server = start_load_server(args, workdir, label)
    else:
        server = start_nghttpd(args, docroot, workdir, label)
    try:
        result = run_oaas_load(args, server.port, conns, streams, load_request_args(args, target),
                               server=server, warmup=args.warmup, duration=args.duration)
    finally:
        code, secs = server.stop()
    result.update(server_exit=code, stop_seconds=secs, status_counts=server.status_counts(),
                  server_stderr=server.stderr_tail(5), conns=conns, streams=streams)
    return result


# --------------------------------------------------------------------------- servers

def start_ours(args, workdir, label):
    cmd = [args.server_bin, "--port", "0"] + shlex.split(args.server_args)
    server = Server("ours", cmd, args.server_cpu, os.path.join(workdir, f"ours-{label}.stderr"))
    if not server.wait_listening(args.start_timeout):
        code, _ = server.stop(timeout=5)
        detail = "; ".join((server.lines + server.stderr_tail())[-10:])
        raise RuntimeError(f"oaas-grpc-echo did not print 'LISTENING <port>' within "
                           f"{args.start_timeout:g} s (exit code {code}); its output: {detail!r}")
    return server


def start_nghttpd(args, docroot, workdir, label):
    port = free_port()
    cmd = ["nghttpd", "--no-tls", "-d", docroot, str(port)]
    server = Server("nghttpd", cmd, args.server_cpu, os.path.join(workdir, f"nghttpd-{label}.stderr"))
    if not wait_for_port(port, server.proc, args.start_timeout):
        server.stop(timeout=5)
        raise RuntimeError(f"nghttpd did not accept connections on port {port}: "
                           f"{server.stderr_tail()}")
    server.port = port
    return server


def probe_ours(args, body_path, workdir):
    """One call with nghttp -v (reads the trailers) and one reading the reply body."""
    server = start_ours(args, workdir, "probe")
    url = f"http://127.0.0.1:{server.port}{RPC_PATH}"
    hdrs = ["-H", "content-type: application/grpc", "-H", "te: trailers"]
    problems = []
    try:
        verbose = subprocess.run(["nghttp", "-v", "-n", "-d", body_path] + hdrs + [url],
                                 capture_output=True, timeout=20).stdout.decode(errors="replace")
        statuses = re.findall(r"recv \(stream_id=\d+\) grpc-status: (\S+)", verbose)
        http = re.findall(r"recv \(stream_id=\d+\) :status: (\S+)", verbose)
        if http[:1] != ["200"]:
            problems.append(f"HTTP :status {http[:1] or 'missing'}")
        if statuses[-1:] != ["0"]:
            problems.append(f"grpc-status {statuses[-1:] or 'missing'} (expected 0)")
        reply = subprocess.run(["nghttp", "-d", body_path] + hdrs + [url],
                               capture_output=True, timeout=20).stdout
        if not grpc_body.response_echoes(reply, PAYLOAD):
            problems.append(f"reply body {reply[:80]!r} does not carry the payload {PAYLOAD!r}")
        elif args.static_path:
            with open(args.static_path, "wb") as f:  # nghttpd then sends as many DATA bytes
                f.write(reply)
    except subprocess.TimeoutExpired:
        problems.append("nghttp got no reply within 20 s")
    code, secs = server.stop()
    counts = server.status_counts()
    if code != 0:
        problems.append(f"exit code {code} after SIGTERM (expected 0)")
    if counts != {"0": 2}:
        problems.append(f"STATUS_COUNTS {counts} after two calls (expected {{'0': 2}})")
    return problems


# --------------------------------------------------------------------------- scenarios

def measure(args, target, conns, streams, body_path, docroot, workdir):
    label = f"{conns}x{streams}"
    timed = ["-D", f"{args.duration}s", "--warm-up-time", f"{args.warmup}s"]
    timeout = args.duration + args.warmup + args.inactivity_timeout + 60
    if target == "ours":
        server = start_ours(args, workdir, label)
        url = f"http://127.0.0.1:{server.port}{RPC_PATH}"
        req = ["-d", body_path, "-H", "content-type: application/grpc", "-H", "te: trailers"]
    else:
        server = start_nghttpd(args, docroot, workdir, label)
        url = f"http://127.0.0.1:{server.port}/{os.path.basename(args.static_name)}"
        req = []
    try:
        result = run_h2load(args, h2load_base(args, conns, streams) + timed + req + [url],
                            server, timeout)
    finally:
        code, secs = server.stop()
    result.update(server_exit=code, stop_seconds=secs, status_counts=server.status_counts(),
                  server_stderr=server.stderr_tail(5), conns=conns, streams=streams)
    if target == "ours":
        count_n = max(args.count_requests, 4 * conns * streams)
        server = start_ours(args, workdir, label + "-count")
        url = f"http://127.0.0.1:{server.port}{RPC_PATH}"
        try:
            count = run_h2load(args, h2load_base(args, conns, streams) + ["-n", str(count_n)]
                               + req + [url], server,
                               timeout=args.inactivity_timeout + 60 + count_n / 1000)
        finally:
            code, secs = server.stop()
        count.update(n=count_n, server_exit=code, stop_seconds=secs,
                     status_counts=server.status_counts(), server_stderr=server.stderr_tail(5))
        result["count_run"] = count
    return result


def account_ours(r):
    """Per-scenario call accounting for our server; see the notes in RESULTS.md."""
    acc = {"problems": []}
    counts = r.get("status_counts")
    succeeded = r.get("succeeded", 0)
    h2_fail = r.get("failed", 0) + r.get("errored", 0)
    if "succeeded" not in r:
        acc["problems"].append("timed run: could not parse h2load's output")
    # Streams open when h2load stopped: at most C x M. (h2load's `started - done` does not
    # tell: with a warm-up, streams begun in the warm-up and closed in the measured phase are
    # counted as done, so the two balance out.)
    cut = r["conns"] * r["streams"]
    if counts is None:
        acc["problems"].append("timed run: no STATUS_COUNTS line after SIGTERM")
        nonzero_timed = 0
    else:
        nonzero_timed = sum(v for k, v in counts.items() if k != "0")
        if counts.get("0", 0) < succeeded:
            acc["problems"].append(f"timed run: server counted {counts.get('0', 0)} grpc-status 0, "
                                   f"fewer than h2load's {succeeded} succeeded")
    if r.get("server_exit") != 0:
        acc["problems"].append(f"timed run: server exit code {r.get('server_exit')} after SIGTERM")
    unexplained = max(0, nonzero_timed - cut)
    acc.update(timed_h2load_failed=h2_fail, timed_nonzero=nonzero_timed, timed_cut=cut,
               timed_unexplained_nonzero=unexplained)
    acc["ok_timed"] = max(0, succeeded - unexplained)
    c = r.get("count_run", {})
    ccounts = c.get("status_counts")
    c_fail = c.get("failed", 0) + c.get("errored", 0)
    if "succeeded" not in c:
        acc["problems"].append("count run: could not parse h2load's output")
    if ccounts is None:
        acc["problems"].append("count run: no STATUS_COUNTS line after SIGTERM")
        c_nonzero, c_ok_server = 0, 0
    else:
        c_nonzero = sum(v for k, v in ccounts.items() if k != "0")
        c_ok_server = ccounts.get("0", 0)
    if c.get("server_exit") != 0:
        acc["problems"].append(f"count run: server exit code {c.get('server_exit')} after SIGTERM")
    if c.get("killed_after_timeout"):
        acc["problems"].append("count run: h2load did not finish and was killed")
    acc.update(count_n=c.get("n"), count_ok=min(c.get("succeeded", 0), c_ok_server),
               count_failed=c_fail + c_nonzero, count_h2load_failed=c_fail,
               count_nonzero=c_nonzero, count_status_counts=ccounts)
    missing = (c.get("n") or 0) - acc["count_ok"] - acc["count_failed"]
    if missing > 0:
        acc["problems"].append(f"count run: {missing} of {c.get('n')} calls neither ok nor failed")
        acc["count_failed"] += missing
    acc["failed"] = h2_fail + unexplained + acc["count_failed"]
    return acc


# --------------------------------------------------------------------------- report

def fmt_lat(x):
    if x is None:
        return "n/a"
    return f"{x * 1e6:,.0f} µs" if x < 1e-3 else f"{x * 1e3:,.2f} ms"


def exit_status(probe_failed, verdicts):
    """Every harness's exit status: 1 when a correctness probe failed, else 3 under STRICT=1
    when a target FAILed (verdicts: [(name, measured, PASS/FAIL/n/a)]), else 0."""
    if probe_failed:
        return 1
    if os.environ.get("STRICT") == "1" and any(v == "FAIL" for _, _, v in verdicts):
        return 3
    return 0


def machine_info():
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    with open("/proc/loadavg") as f:
        load = f.read().split()[:3]
    return {"nproc": os.cpu_count(), "cpu": model, "kernel": platform.release(),
            "load": " ".join(load)}


# What the benchmarks themselves write: a change there says nothing about the code measured.
BENCH_OUTPUTS = ("README.md", "benchmarks/RESULTS", "benchmarks/charts/")


def git_commit(repo):
    """The short HEAD commit, flagged when the work tree has changes other than the
    benchmarks' own outputs (an earlier step of the same `make bench` writes those)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=repo,
                              capture_output=True, text=True).stdout.strip()
        status = subprocess.run(["git", "--no-optional-locks", "status", "--porcelain"],
                                cwd=repo, capture_output=True, text=True).stdout.splitlines()
        dirty = [line for line in status if not line[3:].startswith(BENCH_OUTPUTS)]
        return head + (" (with uncommitted changes in the work tree)" if dirty else "")
    except OSError:
        return "unknown"


def tool_version(cmd):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True).stdout
        return out.strip().splitlines()[0] if out.strip() else "unknown"
    except OSError:
        return "unknown"


def write_report(args, results, probe_problems, started, out_path, load_results=None, load_probe=None):
    mi = machine_info()
    scen = [tuple(map(int, s.split("x"))) for s in args.scenarios]
    L = []
    L.append("# gRPC load benchmark: oaas-grpc-echo beside nghttpd")
    L.append("")
    L.append("Generated by `scripts/bench-grpc.sh` (`make bench-grpc`); do not edit by hand.")
    L.append("")
    L.append(f"- Date: {started.strftime('%Y-%m-%d %H:%M:%S %Z').strip()}")
    L.append(f"- Machine: {mi['nproc']} CPUs, {mi['cpu']}, Linux {mi['kernel']} "
             f"(load average at start: {mi['load']})")
    L.append(f"- Commit: {git_commit(args.repo)}")
    L.append(f"- Command: `{args.command_line}`")
    L.append(f"- Tools: {tool_version(['h2load', '--version'])}, "
             f"{tool_version(['nghttpd', '--version'])}")
    L.append(f"- Pinning: servers on CPU {args.server_cpu} (`taskset`), h2load on CPU "
             f"{args.client_cpu} with `-t 1`; each run {args.warmup:g} s warm-up + "
             f"{args.duration:g} s measured; a fresh server for every run")
    if "ours" in args.targets:
        L.append(f"- Ours: `{os.path.relpath(args.server_bin, args.repo)} --port 0 "
                 f"{args.server_args}`, unary `POST {RPC_PATH}` (fn_id `echo`, payload "
                 f"`{PAYLOAD.decode()}`, {os.path.getsize(args.body)}-byte request body)")
    else:
        L.append("- Ours: not measured in this run (`TARGETS` without `ours`)")
    static_size = os.path.getsize(args.static_path)
    same = " (our echo reply's bytes, so the same DATA size)" if static_size != len(STATIC_FILE) else ""
    if scen:
        L.append(f"- nghttpd: `nghttpd --no-tls -d <dir> <port>`, `GET` of a "
                 f"{static_size}-byte static file{same}: the HTTP/2 floor of this machine")
    L.append("")
    if "ours" in args.targets and probe_problems:
        L.append("**Correctness probe FAILED** (one call read with `nghttp -v`): "
                 + "; ".join(probe_problems))
        L.append("")
    elif "ours" in args.targets:
        L.append("Correctness probe passed: `nghttp -v` saw `:status 200`, trailer "
                 "`grpc-status: 0`, a reply carrying the payload, and the server reported "
                 "`STATUS_COUNTS {\"0\": 2}` for the two probe calls.")
        L.append("")

    if not scen:  # SCENARIOS=none: only the oaas-load scenarios ran
        L.extend(load_report.load_section(args, load_results or {}, load_probe, results))
        results_section.write_keeping(out_path, "\n".join(L))
        return []

    L.append("| scenario (conns x streams) | ours req/s | nghttpd req/s | ours/nghttpd | "
             "ours mean latency | nghttpd mean latency | latency ratio | ours failed calls | "
             "h2load CPU% (ours / nghttpd) |")
    L.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    verdicts = []
    accounts = {}
    for c, m in scen:
        key = f"{c}x{m}"
        o, n = results.get(("ours", key)), results.get(("nghttpd", key))
        acc = account_ours(o) if o else None
        accounts[key] = acc
        o_rps = acc["ok_timed"] / args.duration if acc else None
        n_rps = n.get("succeeded", 0) / args.duration if n else None
        o_lat = (o or {}).get("latency", {}).get("mean")
        n_lat = (n or {}).get("latency", {}).get("mean")
        ratio = o_rps / n_rps if o_rps is not None and n_rps else None
        lat_ratio = o_lat / n_lat if o_lat and n_lat else None
        failed = acc["failed"] if acc else None
        cpu = f"{fmt_pct((o or {}).get('client_cpu_pct'))} / {fmt_pct((n or {}).get('client_cpu_pct'))}"
        L.append(f"| {key} | {fmt_rate(o_rps)} | {fmt_rate(n_rps)} | {fmt_ratio(ratio)} | "
                 f"{fmt_lat(o_lat)} | {fmt_lat(n_lat)} | {fmt_ratio(lat_ratio)} | "
                 f"{'n/a' if failed is None else failed} | {cpu} |")
        if key in ("16x10", "64x100"):
            ok = ratio is not None and ratio >= 0.60 and failed == 0 and not acc["problems"]
            verdicts.append((f"{key}: ours ≥ 60% of nghttpd req/s with 0 failed calls",
                             f"{fmt_ratio(ratio)} of nghttpd, {'n/a' if failed is None else failed} failed",
                             "n/a" if ratio is None else ("PASS" if ok else "FAIL")))
        if key == "1x1":
            ok = lat_ratio is not None and lat_ratio <= 1.3
            verdicts.append(("1x1: ours mean latency within 1.3x of nghttpd's",
                             "n/a" if lat_ratio is None else f"{lat_ratio:.2f}x",
                             "n/a" if lat_ratio is None else ("PASS" if ok else "FAIL")))
    L.append("")
    L.append("Targets (printed as measured, not adjusted):")
    L.append("")
    L.append("| target | measured | verdict |")
    L.append("|---|---|---|")
    for name, measured, verdict in verdicts:
        L.append(f"| {name} | {measured} | **{verdict}** |")
    L.append("")

    if "ours" in args.targets:
        L.append("## Call accounting (ours)")
        L.append("")
        L.append("| scenario | timed: h2load succeeded | timed: h2load failed+errored | "
                 "timed: server STATUS_COUNTS | timed: open at stop (≤ C×M) | count run: N | "
                 "count run: ok calls | count run: failed | count run: server STATUS_COUNTS |")
        L.append("|---|---:|---:|---|---:|---:|---:|---:|---|")
        for c, m in scen:
            key = f"{c}x{m}"
            o, acc = results.get(("ours", key)), accounts.get(key)
            if not o:
                continue
            L.append(f"| {key} | {o.get('succeeded', 'n/a')} | {acc['timed_h2load_failed']} | "
                     f"`{json.dumps(o.get('status_counts'))}` | {acc['timed_cut']} | "
                     f"{acc['count_n']} | {acc['count_ok']} | {acc['count_failed']} | "
                     f"`{json.dumps(acc['count_status_counts'])}` |")
        problems = [(k, p) for k, a in accounts.items() if a for p in a["problems"]]
        L.append("")
        if problems:
            L.append("Problems seen:")
            L.append("")
            for k, p in problems:
                L.append(f"- {k}: {p}")
            L.append("")

    L.append("## CPU")
    L.append("")
    L.append("Over the measured phase only, from `/proc/<pid>/stat` (utime + stime, "
             f"{CLK_TCK} ticks/s) and `/proc/stat`. \"Other load\" is the busy time of the "
             "server's and h2load's CPUs not accounted for by them (other processes, steal; "
             "interrupt and softirq time, mostly the loopback traffic itself, is left out): high values mean the numbers are disturbed. h2load CPU% + other load on "
             f"CPU {args.client_cpu} near 100% means the load generator, not the server, was the "
             "limit.")
    L.append("")
    disturbed = sorted({f"{t} {k}" for (t, k), r in results.items()
                        if max(r.get("other_load_pct", {}).values(), default=0) > 10})
    if disturbed:
        L.append(f"**Warning: more than 10% other load on a benchmark CPU during: "
                 f"{', '.join(disturbed)}.** Another process (e.g. a build) was competing; "
                 "rerun on a quiet machine before trusting those rows.")
        L.append("")
    saturated = sorted({f"{t} {k}" for (t, k), r in results.items()
                        if (r.get("client_cpu_pct") or 0)
                        + r.get("other_load_pct", {}).get(args.client_cpu, 0) > 90})
    if saturated:
        L.append(f"**Note: h2load's CPU was (nearly) fully busy during: {', '.join(saturated)}**; "
                 "there the generator may be the limit, and the ratio understates the faster "
                 "server.")
        L.append("")
    L.append("| run | h2load CPU% | server CPU% | server CPU per request | other load on "
             f"CPU {args.server_cpu} / CPU {args.client_cpu} |")
    L.append("|---|---:|---:|---:|---:|")
    for c, m in scen:
        key = f"{c}x{m}"
        for target in args.targets:
            r = results.get((target, key))
            if not r:
                continue
            per_req = (r["server_cpu_s"] / r["succeeded"]
                       if r.get("server_cpu_s") is not None and r.get("succeeded") else None)
            other = r.get("other_load_pct", {})
            L.append(f"| {target} {key} | {fmt_pct(r.get('client_cpu_pct'))} | "
                     f"{fmt_pct(r.get('server_cpu_pct'))} | "
                     f"{'n/a' if per_req is None else f'{per_req * 1e6:.1f} µs'} | "
                     f"{fmt_pct(other.get(args.server_cpu))} / {fmt_pct(other.get(args.client_cpu))} |")
    L.append("")

    if args.load_scenarios:
        L.extend(load_report.load_section(args, load_results or {}, load_probe, results))

    L.append("## How the numbers are counted" + (" (h2load scenarios)" if args.load_scenarios else ""))
    L.append("")
    L.append(f"- **req/s** = calls completed in the measured phase / {args.duration:g} s. For "
             "nghttpd, h2load's `succeeded` (2xx). For ours, h2load's `succeeded` minus any "
             "non-zero grpc-status the server counted beyond those explained below, because "
             "h2load sees only the HTTP status: a gRPC error is an HTTP 200 with `grpc-status` in "
             "the trailers, which h2load never reads.")
    L.append("- **Mean latency** is h2load's `time for request` mean (request sent to stream "
             "closed) over the measured phase.")
    L.append("- **Warm-up**: h2load counts nothing during `--warm-up-time`, but the server does, "
             "and h2load does not print how many calls the warm-up made. So the timed run's "
             "STATUS_COUNTS cannot be matched call for call. Ours is therefore also run with "
             "`-n N` (no warm-up, all N calls completed) against a fresh server: there "
             "**ok calls** = min(h2load succeeded, server \"0\") and **failed** = h2load failed + "
             "errored + every non-zero status the server counted (+ any call neither side "
             "accounts for). That run is the exact check.")
    L.append("- In the timed run, h2load stops at the end of `-D` by sending GOAWAY and closing "
             "its connections with up to C×M streams still open; it counts those neither as done "
             "nor as failed. The server may end them with a non-zero status (e.g. CANCELLED), so "
             "up to C×M non-zero statuses in the timed run are not counted as failures; any "
             "beyond are. The count run has no such allowance. (h2load's own `started − done` "
             "does not give the number cut: with a warm-up, calls begun in the warm-up and "
             "finished in the measured phase are counted as done.)")
    L.append("- **ours failed calls** = timed run (h2load failed + errored + unexplained "
             "non-zero statuses) + count run (failed as above).")
    L.append("- Ours answers `POST` with a body and a trailer HEADERS frame; nghttpd answers a "
             "`GET` with HEADERS + DATA. nghttpd is the floor for HTTP/2 on this machine, not "
             "the same work.")
    L.append("")
    L.append("## Exact h2load commands")
    L.append("")
    for c, m in scen:
        key = f"{c}x{m}"
        for target in args.targets:
            r = results.get((target, key))
            if r:
                L.append(f"- {target} {key}: `{r['command']}`")
                if r.get("count_run"):
                    L.append(f"- {target} {key} count run: `{r['count_run']['command']}`")
    L.append("")
    # The whole file is regenerated, except the section scripts/bench-agents.sh writes.
    results_section.write_keeping(out_path, "\n".join(L))
    return verdicts


def main():
    p = argparse.ArgumentParser(description="gRPC load benchmark (see scripts/bench-grpc.sh)")
    p.add_argument("--repo", required=True)
    # The server's path comes through the environment (BENCH_SERVER_BIN) so that this
    # process's command line does not contain the server's name (`pkill -f <name>` elsewhere).
    p.add_argument("--server-bin", default=os.environ.get("BENCH_SERVER_BIN"))
    p.add_argument("--server-args", default="--max-concurrent-streams 100 --max-connections 256")
    p.add_argument("--targets", default="ours,nghttpd")
    p.add_argument("--scenarios", default="1x1,16x10,64x100")
    p.add_argument("--duration", type=float, default=10)
    p.add_argument("--warmup", type=float, default=2)
    p.add_argument("--count-requests", type=int, default=20000)
    p.add_argument("--server-cpu", type=int, default=0)
    p.add_argument("--client-cpu", type=int, default=1)
    p.add_argument("--start-timeout", type=float, default=30)
    p.add_argument("--inactivity-timeout", type=int, default=15)
    p.add_argument("--out", required=True)
    p.add_argument("--command-line", default="scripts/bench-grpc.sh")
    # oaas-load scenarios (LOAD_SCENARIOS in bench-grpc.sh). The server command comes through
    # the environment, like the server binary, to keep it off this process's command line.
    p.add_argument("--load-scenarios", default="")
    p.add_argument("--load-bin", default=os.environ.get("BENCH_LOAD_BIN"))
    p.add_argument("--load-server-cmd", default=os.environ.get("BENCH_LOAD_SERVER_CMD", ""))
    p.add_argument("--load-invoke", default=None,
                   help="CLS:FN:PAYLOAD:OBJECTS; default math.Calculator:add:1:64 with a server "
                        "command, else math.Calculator:echo:<h2load's payload>:64 for oaas-grpc-echo")
    p.add_argument("--load-nghttpd-method", default="POST", choices=["POST", "GET"])
    args = p.parse_args()
    args.targets = [t for t in args.targets.split(",") if t]
    args.scenarios = [s for s in args.scenarios.split(",") if s and s != "none"]
    args.load_scenarios = [s for s in args.load_scenarios.split(",") if s and s != "none"]
    if args.load_invoke is None:
        args.load_invoke = ("math.Calculator:add:1:64" if args.load_server_cmd
                            else f"math.Calculator:echo:{PAYLOAD.decode()}:64")
    if args.load_scenarios:
        try:
            load_cls, load_fn, load_payload, args.load_objects = parse_invoke(args.load_invoke)
        except ValueError as e:
            p.error(str(e))
        if not args.load_bin:
            p.error("--load-bin (BENCH_LOAD_BIN) is needed for LOAD_SCENARIOS")
        if not args.load_server_cmd and not args.server_bin:
            p.error("LOAD_SCENARIOS without SERVER_CMD run against oaas-grpc-echo: --server-bin is needed")
    args.load_path_note = RPC_PATH
    args.load_static_name = "load-reply.bin"
    args.load_static_size = len(STATIC_FILE)
    if args.duration != int(args.duration) or args.warmup != int(args.warmup):
        p.error("durations are whole seconds")
    args.duration, args.warmup = int(args.duration), int(args.warmup)
    if "ours" in args.targets and not args.server_bin:
        p.error("--server-bin is needed to measure ours")

    started = datetime.datetime.now().astimezone()
    workdir = tempfile.mkdtemp(prefix="bench-grpc-")
    args.body = os.path.join(workdir, "invoke-echo.bin")
    with open(args.body, "wb") as f:
        f.write(grpc_body.grpc_frame(grpc_body.invocation_request(
            object_id=7, cls_id="math.Calculator", fn_id="echo", payload=PAYLOAD)))
    docroot = os.path.join(workdir, "docroot")
    os.mkdir(docroot)
    args.static_name = "echo.json"
    args.static_path = os.path.join(docroot, args.static_name)
    with open(args.static_path, "wb") as f:
        f.write(STATIC_FILE)
    if args.load_scenarios:
        # The nghttpd runs POST this (the obj-0 call) so the request is the same size.
        args.load_body = os.path.join(workdir, "load-obj-0.bin")
        with open(args.load_body, "wb") as f:
            f.write(grpc_body.grpc_frame(grpc_body.invocation_request(
                cls_id=load_cls, fn_id=load_fn, payload=load_payload.encode(), object_id_str="obj-0")))
        with open(os.path.join(docroot, args.load_static_name), "wb") as f:
            f.write(STATIC_FILE)

    def on_signal(signum, _frame):
        cleanup()
        sys.exit(128 + signum)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    results = {}
    load_results, load_probe = {}, None
    probe_problems = []
    try:
        if "ours" in args.targets:
            print("== correctness probe of oaas-grpc-echo", flush=True)
            try:
                probe_problems = probe_ours(args, args.body, workdir)
            except RuntimeError as e:
                print(f"error: {e}", file=sys.stderr)
                return 2
            print("   " + ("; ".join(probe_problems) if probe_problems else "ok"), flush=True)
        for s in args.scenarios:
            conns, streams = map(int, s.split("x"))
            for target in args.targets:  # interleaved, so drift hits both alike
                print(f"== {target} {s}: {args.warmup} s warm-up + {args.duration} s", flush=True)
                try:
                    r = measure(args, target, conns, streams, args.body, docroot, workdir)
                except RuntimeError as e:
                    print(f"error: {e}", file=sys.stderr)
                    return 2
                results[(target, s)] = r
                lat = r.get("latency", {}).get("mean")
                print(f"   succeeded {r.get('succeeded')}, failed {r.get('failed')}, errored "
                      f"{r.get('errored')}, {r.get('succeeded', 0) / args.duration:,.0f} req/s, mean "
                      f"{fmt_lat(lat)}, h2load CPU {fmt_pct(r.get('client_cpu_pct'))}, server CPU "
                      f"{fmt_pct(r.get('server_cpu_pct'))}, STATUS_COUNTS {r.get('status_counts')}",
                      flush=True)
                if r.get("count_run"):
                    cr = r["count_run"]
                    print(f"   count run -n {cr['n']}: succeeded {cr.get('succeeded')}, failed "
                          f"{cr.get('failed')}, errored {cr.get('errored')}, STATUS_COUNTS "
                          f"{cr.get('status_counts')}", flush=True)
                if "succeeded" not in r:
                    print("   h2load output:\n" + r["output"][-2000:], file=sys.stderr)
        if args.load_scenarios:
            print("== oaas-load probe of the load server", flush=True)
            try:
                load_probe = probe_load_server(args, workdir, docroot)
            except RuntimeError as e:
                print(f"error: {e}", file=sys.stderr)
                return 2
            print("   " + ("; ".join(load_probe["problems"]) if load_probe["problems"] else "ok"), flush=True)
        for s in args.load_scenarios:
            conns, streams = map(int, s.split("x"))
            targets = ["load-server"] + (["load-nghttpd"] if "nghttpd" in args.targets else [])
            for target in targets:
                print(f"== oaas-load {target} {s}: {args.warmup} s warm-up + {args.duration} s", flush=True)
                try:
                    r = measure_load(args, target, conns, streams, docroot, workdir)
                except RuntimeError as e:
                    print(f"error: {e}", file=sys.stderr)
                    return 2
                load_results[(target, s)] = r
                print(f"   succeeded {r.get('succeeded')}, failed {r.get('failed')} {r.get('failures', '')}, "
                      f"{r.get('requests_per_second', 0):,.0f} req/s, p50 {load_report._us(load_report._lat(r, 'p50'))}, "
                      f"p99 {load_report._us(load_report._lat(r, 'p99'))}, oaas-load CPU "
                      f"{fmt_pct(load_report._self_cpu_pct(r))}, server CPU {fmt_pct(r.get('server_cpu_pct'))}",
                      flush=True)
                for problem in load_report.problems_of(r, target):
                    print(f"   problem: {problem}", file=sys.stderr, flush=True)
        with open(os.path.join(workdir, "raw.json"), "w") as f:
            raw = {f"{t} {s}": r for (t, s), r in results.items()}
            raw.update({f"{t} {s}": r for (t, s), r in load_results.items()})
            json.dump(raw, f, indent=1, default=str)
        verdicts = write_report(args, results, probe_problems, started, args.out, load_results, load_probe)
        if any(load_report.problems_of(r, t) for (t, _), r in load_results.items()) or (load_probe or {}).get("problems"):
            verdicts.append(("oaas-load scenarios without problems", "see RESULTS.md", "FAIL"))
    finally:
        cleanup()
    print(f"\nwrote {args.out} (raw generator output in {workdir})\n")
    with open(args.out) as f:
        print(f.read())
    return exit_status(bool(probe_problems or (load_probe or {}).get("problems")), verdicts)


if __name__ == "__main__":
    sys.exit(main())
