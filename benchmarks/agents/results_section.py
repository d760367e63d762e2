"""Sections of benchmarks/RESULTS.md that belong to one harness each.

Two harnesses write RESULTS.md: bench-grpc.sh (benchmarks/grpc/bench.py) writes the whole file,
bench-agents.sh (bench_agents.py) only its section between `<!-- agents:begin -->` and
`<!-- agents:end -->`. Each keeps what the other wrote: bench_agents replaces its section or
appends it, and bench.py re-appends the agents section to the file it regenerates.
"""
import os
import re

AGENTS = "agents"


def markers(name):
    return f"<!-- {name}:begin -->", f"<!-- {name}:end -->"


def _pattern(name):
    begin, end = markers(name)
    return re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)


def read_section(path, name):
    """The section `name` of the file at `path`, markers included, or None."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError:
        return None
    m = _pattern(name).search(text)
    return m.group(0) if m else None


def replace_section(path, name, body):
    """Writes `body` between the markers of section `name` in the file at `path`: in place of
    the section if it is there, else appended at the end. The rest of the file is untouched."""
    begin, end = markers(name)
    block = f"{begin}\n{body.rstrip()}\n{end}"
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        text = ""
    pattern = _pattern(name)
    if pattern.search(text):
        text = pattern.sub(lambda _m: block, text, count=1)
    else:
        text = (text.rstrip("\n") + "\n\n" if text.strip() else "") + block
    _write(path, text.rstrip("\n") + "\n")


def write_keeping(path, text, names=(AGENTS,)):
    """Writes `text` as the whole file at `path`, then puts back the sections `names` the old
    file had (for a harness that regenerates the file but does not own those sections)."""
    kept = [(name, read_section(path, name)) for name in names]
    _write(path, text)
    for name, section in kept:
        if section:
            begin, end = markers(name)
            replace_section(path, name, section[len(begin):-len(end)].strip("\n"))


def _write(path, text):
    """Through a temporary file and a rename, so an interrupted write leaves the old file."""
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)
