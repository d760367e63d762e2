"""The oaas-load part of benchmarks/RESULTS.md (see bench.py: LOAD_SCENARIOS).

Each load scenario runs oaas-load twice, against the load server (SERVER_CMD, or
oaas-grpc-echo) and against nghttpd in --http-only mode, so the ratio compares two servers
under the same generator. When the load server is oaas-grpc-echo and h2load measured it at the
same C x M, a second table sets the two generators side by side.
"""


from report_format import pct as _pct, rate as _rate, us as _us


def _lat(r, key):
    lat = (r or {}).get("latency_us") or {}
    return lat.get(key)


def _self_cpu_pct(r):
    """oaas-load's own getrusage figure over its measured window."""
    u = (r or {}).get("generator_cpu_utilisation")
    return None if u is None else 100 * u


def _per_call(r):
    """Generator CPU time per successful call in the window, from the /proc samples."""
    if r.get("client_cpu_pct") is None or not r.get("succeeded") or not r.get("window"):
        return "n/a"
    return f"{r['client_cpu_pct'] / 100 * r['window'] / r['succeeded'] * 1e6:.2f} µs"


def failed_calls(r):
    """Failures oaas-load counted (measured + warm-up), or None if the run gave no report."""
    if not r or "failed" not in r:
        return None
    return r["failed"] + r.get("warmup", {}).get("failed", 0)


def problems_of(r, target):
    """Reasons not to trust one oaas-load run (`target`: load-server or load-nghttpd)."""
    if not r:
        return ["not run"]
    out = []
    if "succeeded" not in r:
        out.append(f"no JSON report (exit {r.get('exit_code')}; {r.get('stderr_tail')})")
        return out
    if r.get("ended_early"):
        out.append(f"ended early, {r.get('measured_seconds')} s measured: no connection was left")
    if r.get("killed_after_timeout"):
        out.append("killed after the harness's timeout")
    conn = r.get("connection", {})
    if conn.get("connect_failed") or conn.get("lost"):
        out.append(f"connections: {conn.get('connect_failed')} failed to connect, {conn.get('lost')} lost "
                   f"({'; '.join(conn.get('errors', []))})")
    if failed_calls(r):
        out.append(f"{failed_calls(r)} failed calls: {r.get('failures')} (warm-up: {r.get('warmup', {}).get('failures')})")
    # nghttpd has no graceful SIGTERM (it dies of it); only the load server must drain.
    if target == "load-server" and r.get("server_exit") not in (0, None):
        out.append(f"server exit code {r.get('server_exit')} after SIGTERM")
    return out


def _h2load_rps(result, args):
    """Requests per second of an h2load timed run, or None."""
    if not result or "succeeded" not in result:
        return None
    return result["succeeded"] / args.duration


def load_section(args, load_results, load_probe, h2load_results):
    """Markdown lines for the oaas-load scenarios."""
    L = []
    server_name = "SERVER_CMD" if args.load_server_cmd else "oaas-grpc-echo"
    L.append("## oaas-load scenarios (a different object per call)")
    L.append("")
    L.append(f"- Generator: `oaas-load` (benchmarks/LoadGenerator), one thread pinned to CPU "
             f"{args.client_cpu}; each run {args.warmup:g} s warm-up + {args.duration:g} s measured, "
             "a fresh server for every run.")
    if args.load_server_cmd:
        L.append(f"- Load server: `{args.load_server_cmd}` (SERVER_CMD), pinned to CPU {args.server_cpu}.")
    else:
        L.append(f"- Load server: `oaas-grpc-echo --port 0 {args.server_args}` (no SERVER_CMD given), "
                 f"pinned to CPU {args.server_cpu}.")
    L.append(f"- Calls: `--invoke-obj {args.load_invoke}`: unary `POST {args.load_path_note}` with "
             f"{args.load_objects} pre-encoded bodies (object ids `obj-0`..`obj-{args.load_objects - 1}` "
             "in field 7), rotated per call; a call succeeds on `:status 200` and `grpc-status 0`.")
    L.append(f"- nghttpd (same generator, `--http-only`): `{args.load_nghttpd_method}` "
             f"{'of the obj-0 request body (same size) ' if args.load_nghttpd_method == 'POST' else ''}"
             f"to a {args.load_static_size}-byte static file (the load server's reply bytes); "
             "success = `:status 200`.")
    L.append("")
    probe = load_probe or {}
    if probe.get("problems"):
        L.append("**Load probe FAILED**: " + "; ".join(probe["problems"]))
    elif probe:
        L.append(f"Load probe passed: `oaas-load -n {probe['n']} --check-payload` got {probe['n']} "
                 "replies with grpc-status 0 and InvocationResponse status OKAY (server STATUS_COUNTS, "
                 f"with the one nghttp call that fetched the reply bytes: `{probe.get('status_counts')}`).")
    L.append("")
    L.append(f"| scenario | {server_name} req/s | nghttpd req/s | {server_name}/nghttpd | "
             f"{server_name} p50 / p99 | nghttpd p50 / p99 | {server_name} failed calls | "
             "oaas-load CPU (server run / nghttpd run) | server CPU (server run / nghttpd run) |")
    L.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for key in args.load_scenarios:
        o, n = load_results.get(("load-server", key)), load_results.get(("load-nghttpd", key))
        o_rps = (o or {}).get("requests_per_second")
        n_rps = (n or {}).get("requests_per_second")
        ratio = o_rps / n_rps if o_rps is not None and n_rps else None
        L.append(f"| {key} | {_rate(o_rps)} | {_rate(n_rps)} | {'n/a' if ratio is None else f'{ratio:.2f}'} | "
                 f"{_us(_lat(o, 'p50'))} / {_us(_lat(o, 'p99'))} | {_us(_lat(n, 'p50'))} / {_us(_lat(n, 'p99'))} | "
                 f"{'n/a' if failed_calls(o) is None else failed_calls(o)} | "
                 f"{_pct(_self_cpu_pct(o))} / {_pct(_self_cpu_pct(n))} | "
                 f"{_pct((o or {}).get('server_cpu_pct'))} / {_pct((n or {}).get('server_cpu_pct'))} |")
    L.append("")
    if args.load_server_cmd:
        # The target for the services scenario, judged against both nghttpd numbers of
        # this run: through the same generator (which may saturate on nghttpd, flattering the
        # ratio) and through h2load's GET rows above (a different generator, but not saturated).
        L.append("Targets (printed as measured, not adjusted):")
        L.append("")
        L.append("| target | measured | verdict |")
        L.append("|---|---|---|")
        for key in args.load_scenarios:
            o = load_results.get(("load-server", key)) or {}
            o_rps = o.get("requests_per_second")
            failed = failed_calls(o)
            for label, n_rps in (("nghttpd through oaas-load", (load_results.get(("load-nghttpd", key)) or {}).get("requests_per_second")),
                                 ("nghttpd through h2load", _h2load_rps(h2load_results.get(("nghttpd", key)), args))):
                if o_rps is None or not n_rps:
                    continue
                ratio = o_rps / n_rps
                verdict = "**PASS**" if ratio >= 0.4 and failed == 0 else "**FAIL**"
                L.append(f"| {key}: {server_name} ≥ 40% of {label} req/s, 0 failed calls | "
                         f"{ratio:.2f} of nghttpd, {failed} failed | {verdict} |")
        L.append("")
    troubles = [(t, k, p) for (t, k), r in sorted(load_results.items()) for p in problems_of(r, t)]
    if troubles:
        L.append("Problems seen:")
        L.append("")
        for t, k, p in troubles:
            L.append(f"- {t} {k}: {p}")
        L.append("")
    saturated = sorted(f"{t} {k}" for (t, k), r in load_results.items()
                       if (_self_cpu_pct(r) or 0) + (r.get("other_load_pct", {}).get(args.client_cpu, 0)) > 90)
    if saturated:
        L.append(f"**Note: oaas-load's CPU was (nearly) fully busy during: {', '.join(saturated)}**; there the "
                 "generator may be the limit.")
        L.append("")
    disturbed = sorted(f"{t} {k}" for (t, k), r in load_results.items()
                       if max(r.get("other_load_pct", {}).values(), default=0) > 10)
    if disturbed:
        L.append(f"**Warning: more than 10% other load on a benchmark CPU during: {', '.join(disturbed)}.**")
        L.append("")
    L.append("- **req/s** = calls that succeeded inside the measured window / its length (oaas-load's "
             "`requests_per_second`). Every reply is judged by oaas-load itself (grpc-status read from the "
             "trailers, or the headers of a Trailers-Only reply), so no server-side cross-check is needed; "
             "a failure after the warm-up is always counted, even after the window.")
    L.append("- **p50 / p99**: latency of the counted successes, from submitting the request to the stream's "
             "close, every call recorded (no sampling).")
    L.append("- **oaas-load CPU** is its own getrusage (user + sys) over the measured window, as a share of one "
             "core; near 100% would mean the generator, not the server, is the limit. **server CPU** is read "
             "from /proc at oaas-load's `phase=measuring` / `phase=draining` lines.")
    L.append("")

    rows = []
    if not args.load_server_cmd:
        for key in args.load_scenarios:
            h, o = h2load_results.get(("ours", key)), load_results.get(("load-server", key))
            if h and o and "succeeded" in h and "succeeded" in o:
                rows.append((key, h, o))
    if rows:
        L.append("### Generators side by side: h2load and oaas-load against oaas-grpc-echo")
        L.append("")
        L.append("Same server, same C x M, same pinning, same run. h2load sends one 45-byte body to every "
                 f"call; oaas-load rotates {args.load_objects} bodies and reads every grpc-status. Both "
                 "generators' CPU is read the same way, from /proc at the edges of their measured windows; "
                 "CPU per call = that CPU time / calls that succeeded in the window.")
        L.append("")
        L.append("| scenario | h2load req/s | oaas-load req/s | h2load CPU | oaas-load CPU | "
                 "h2load CPU per call | oaas-load CPU per call | server CPU (h2load run / oaas-load run) |")
        L.append("|---|---:|---:|---:|---:|---:|---:|---:|")
        for key, h, o in rows:
            h_rps = h["succeeded"] / args.duration
            L.append(f"| {key} | {_rate(h_rps)} | {_rate(o.get('requests_per_second'))} | "
                     f"{_pct(h.get('client_cpu_pct'))} | {_pct(o.get('client_cpu_pct'))} | "
                     f"{_per_call(h)} | {_per_call(o)} | "
                     f"{_pct(h.get('server_cpu_pct'))} / {_pct(o.get('server_cpu_pct'))} |")
        L.append("")

    L.append("### Exact oaas-load commands")
    L.append("")
    if probe.get("result"):
        L.append(f"- probe: `{probe['result']['command']}`")
    for key in args.load_scenarios:
        for target in ("load-server", "load-nghttpd"):
            r = load_results.get((target, key))
            if r:
                L.append(f"- {target} {key}: `{r['command']}`")
    L.append("")
    return L
