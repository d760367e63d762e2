"""Helpers for the tests of the demo's OaaS services: finding (or building) the `demo`
executable, running `demo serve --port 0` as a subprocess, and building requests."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import interop_support as sup  # noqa: F401  (generates the stubs, sets the fork env)
from interop_support import REPO_ROOT, pb

# ---------------------------------------------------------------------------------------------
# Finding (and if needed building) the demo.

_binary_lock = threading.Lock()
_binary: Path | None = None


def demo_binary() -> Path:
    """The `demo` executable: $OAAS_DEMO_BIN, or a debug build made once."""
    global _binary
    with _binary_lock:
        if _binary is not None:
            return _binary
        given = os.environ.get("OAAS_DEMO_BIN")
        if given:
            path = Path(given)
        else:
            swift = os.environ.get("SWIFT", "swift")
            subprocess.run(
                [swift, "build", "--product", "demo"], cwd=REPO_ROOT, check=True, timeout=1500
            )
            bin_dir = subprocess.run(
                [swift, "build", "--show-bin-path"],
                cwd=REPO_ROOT,
                check=True,
                capture_output=True,
                text=True,
                timeout=300,
            ).stdout.strip()
            path = Path(bin_dir) / "demo"
        if not path.is_file() or not os.access(path, os.X_OK):
            raise RuntimeError(f"demo binary not found or not executable: {path}")
        _binary = path
        return path


# ---------------------------------------------------------------------------------------------
# `demo serve` as a subprocess.

class DemoServer(sup.ListeningProcess):
    """One running `demo serve --port 0` (or `demo serve` with other `args`), bound to
    127.0.0.1. The port comes from the line `LISTENING <port>`; any other output (log lines on
    either stream) is kept for messages."""

    name = "demo"

    def __init__(self, extra_env: dict[str, str] | None = None, start_timeout: float = 30.0,
                 args: list[str] | None = None):
        env = dict(os.environ)
        # Only loopback: the demo's default host is 0.0.0.0.
        env["OAAS_SERVER_HOST"] = "127.0.0.1"
        # The bus is the test's choice (an argument or extra_env), never the caller's shell's.
        env.pop("OPRC_BUS_URL", None)
        # Objects in memory unless the test names a store (`--store` or extra_env): the
        # durable default would share ./oaas-data between runs and processes.
        env["OPRC_STORE_URL"] = "memory"
        env.update(extra_env or {})
        # `demo serve` takes SIGINT/SIGTERM from before it announces its port, so the
        # LISTENING line alone means a signal now starts a graceful stop.
        argv = [str(demo_binary()), "serve", *(args if args is not None else ["--port", "0"])]
        super().__init__(argv, env, start_timeout)

    def stop(self, timeout: float = 15.0) -> tuple[int, float]:
        """SIGTERM unless a signal was already sent, then wait: (exit code, seconds since the
        first signal). Kills the process and fails if it does not exit within `timeout`."""
        if self.signalled_at is None:
            self.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=max(0.0, self.signalled_at + timeout - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(
                f"demo did not exit within {timeout:.0f}s of SIGTERM; stdout={self.lines[-20:]!r} "
                f"stderr={self.stderr()[-2000:]!r}"
            ) from None
        elapsed = time.monotonic() - self.signalled_at
        for t in self._threads:
            t.join(timeout=5)
        return self.proc.returncode, elapsed


# ---------------------------------------------------------------------------------------------
# Requests.

CALC = "math.Calculator"
WORKER = "worker.BackgroundProcessor"
HYBRID = "hybrid.HybridService"


def json_bytes(value) -> bytes:
    """`value` as the Python SDK sends it: json.dumps with its default separators."""
    return json.dumps(value).encode()


def obj_request(cls_id: str, fn_id: str, payload: bytes = b"", object_id: str | int | None = None,
                partition_id: int = 0) -> pb.ObjectInvocationRequest:
    """An InvokeObj request; a str id goes into field 7, an int id into field 2."""
    req = pb.ObjectInvocationRequest(partition_id=partition_id, cls_id=cls_id, fn_id=fn_id, payload=payload)
    if isinstance(object_id, str):
        req.object_id_str = object_id
    elif isinstance(object_id, int):
        req.object_id = object_id
    return req


def fn_request(cls_id: str, fn_id: str, payload: bytes = b"") -> pb.InvocationRequest:
    return pb.InvocationRequest(cls_id=cls_id, fn_id=fn_id, payload=payload)


def status_name(status: int) -> str:
    return pb.ResponseStatus.Name(status)
