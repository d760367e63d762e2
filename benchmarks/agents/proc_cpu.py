"""CPU counters from /proc, sampled by bench_agents.py at the edges of each measured window.

A sample holds, at one instant: the CPU time of each process of the run (all its threads), of
one named thread of a process (our runtime's event loop, `oaas-runtime`), and the busy time of
every core. Two samples give each one's CPU use over the window, per request and as a share of
one core, and the load on the benchmark's cores that none of our processes account for (other
programs on a shared machine), which says how far to trust a row.
"""
import os
import re
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


def _ticks(stat_text):
    """utime + stime (fields 14 and 15 of stat(5)), counted after the ')' that closes the name."""
    fields = stat_text.rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def process_seconds(pid):
    """utime + stime of a whole process (all threads), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        return _ticks(f.read()) / CLK_TCK


def thread_seconds(pid, name):
    """CPU seconds of the threads of `pid` named `name` (their comm), or None if none is."""
    total, found = 0, False
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return None
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                if f.read().strip() != name:
                    continue
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                total += _ticks(f.read())
                found = True
        except OSError:
            continue
    return total / CLK_TCK if found else None


def core_busy_seconds():
    """Per core: (busy seconds, of which in tasks). Busy is user, nice, system, irq, softirq and
    steal: request-reply over loopback is mostly small packets, and their softirq time is part
    of what a core spends on the benchmark. "In tasks" leaves irq and softirq out (steal stays):
    the time that process counters can account for, to work out the load of other programs."""
    busy = {}
    with open("/proc/stat") as f:
        for line in f:
            m = re.match(r"^cpu(\d+) (.*)$", line)
            if m:
                v = [int(x) for x in m.group(2).split()]
                tasks = v[0] + v[1] + v[2] + v[7]
                busy[int(m.group(1))] = ((tasks + v[5] + v[6]) / CLK_TCK, tasks / CLK_TCK)
    return busy


def sample(pids, threads=None):
    """`pids`: {label: pid}; `threads`: {label: (pid, thread name)}. Missing ones are None."""
    out = {"wall": time.monotonic(), "cores": core_busy_seconds(), "procs": {}, "threads": {}}
    for label, pid in pids.items():
        try:
            out["procs"][label] = process_seconds(pid)
        except (OSError, IndexError, ValueError):
            out["procs"][label] = None
    for label, (pid, name) in (threads or {}).items():
        out["threads"][label] = thread_seconds(pid, name)
    return out


def window(a, b, placement):
    """CPU use between samples `a` and `b`. `placement`: {label: cpu} of the pinned processes,
    to work out each core's load that none of them accounts for."""
    wall = b["wall"] - a["wall"]
    out = {"window_seconds": wall, "cpu_seconds": {}, "cpu_pct": {}, "core_busy_pct": {}, "other_load_pct": {},
           "ours_pct": {}}
    for group in ("procs", "threads"):
        for label, start in a[group].items():
            end = b[group].get(label)
            if start is None or end is None:
                continue
            out["cpu_seconds"][label] = end - start
            out["cpu_pct"][label] = 100 * (end - start) / wall if wall > 0 else None
    for cpu in sorted(set(a["cores"]) & set(b["cores"])):
        busy = b["cores"][cpu][0] - a["cores"][cpu][0]
        tasks = b["cores"][cpu][1] - a["cores"][cpu][1]
        out["core_busy_pct"][cpu] = 100 * busy / wall if wall > 0 else None
        ours = sum(out["cpu_seconds"].get(label, 0) for label, where in placement.items() if where == cpu)
        out["other_load_pct"][cpu] = 100 * max(0.0, tasks - ours) / wall if wall > 0 else None
        # Our processes on the core plus its irq/softirq time (the loopback traffic): how
        # close the benchmark itself came to filling the core, whatever else ran there.
        out["ours_pct"][cpu] = 100 * (min(ours, tasks) + busy - tasks) / wall if wall > 0 else None
    return out
