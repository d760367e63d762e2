"""`demo serve` with agents on a message bus, for the agents' interop tests.

The demo prints `AGENT <class>:<object>` per agent it started, then `LISTENING <port>` if its
gRPC server runs, then `READY`; a demo that cannot start an agent exits 1 before READY.
`AgentDemo` waits for READY (not for LISTENING, which `--no-server` never prints) and keeps
the agent ids and the port it saw; with `expect_ready=False` an exit before READY is a result
the test inspects rather than a failure here."""

from __future__ import annotations

import re
import subprocess
import time

import pytest

import demo_support as d

_AGENT = re.compile(r"^\s*AGENT (\S+)\s*$")
_LISTENING = re.compile(r"^\s*LISTENING (\d+)\s*$")

# What `demo serve` starts on a NATS bus when no --agent is given.
DEFAULT_AGENTS = ["worker.BackgroundProcessor:123", "hybrid.HybridService:456", "math.Calculator:7"]


def serve_args(bus: str | None, agents=(), server: bool = True) -> list[str]:
    args = ["--port", "0"] if server else ["--no-server"]
    if bus is not None:
        args += ["--bus", bus]
    for agent in agents:
        args += ["--agent", agent]
    return args


class AgentDemo(d.DemoServer):
    """One `demo serve [--port 0 | --no-server] [--bus URL] [--agent CLASS:OBJECT]...`.
    `agents` are the ids of the AGENT lines before READY; `port` is None without a server."""

    name = "demo (agents)"

    def __init__(self, bus: str | None, agents=(), server: bool = True, extra_env: dict[str, str] | None = None,
                 expect_ready: bool = True, start_timeout: float = 30.0):
        self.expect_ready = expect_ready
        self.agents: list[str] = []
        self.ready = False
        super().__init__(extra_env, start_timeout, args=serve_args(bus, agents, server))

    def _wait_listening(self, timeout: float) -> int | None:
        """Replaces the wait for LISTENING: waits for READY (or, if allowed, for an exit)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                if "READY" in (line.strip() for line in self.lines):
                    try:
                        return self._parse_announcements()
                    except AssertionError:
                        self.kill()  # the test gets no object to stop
                        raise
                exited = self.proc.poll() is not None and not self._threads[0].is_alive()
                if exited and not self.expect_ready:
                    break
                left = deadline - time.monotonic()
                if exited or left <= 0:
                    self.kill()
                    what = "did not print READY" if self.expect_ready else "neither exited nor printed READY"
                    raise AssertionError(
                        f"{self.name} {what} within {timeout:.0f} s (exit code {self.proc.poll()}); "
                        f"stdout={self.lines[-20:]!r} stderr={self.stderr()[-2000:]!r}"
                    )
                self._cond.wait(min(left, 0.1))
        self._threads[1].join(timeout=5)  # all of stderr, for the test's message checks
        return None

    def _parse_announcements(self) -> int | None:
        """The agent ids and the port announced before READY, in the contract's order."""
        self.ready = True
        port = None
        for line in self.lines:
            if line.strip() == "READY":
                break
            if m := _AGENT.match(line):
                assert port is None, f"AGENT after LISTENING: {self.lines!r}"
                self.agents.append(m.group(1))
            elif m := _LISTENING.match(line):
                port = int(m.group(1))
        return port

    def exit_code(self, timeout: float = 15.0) -> int | None:
        """The exit code once the process ended by itself within `timeout`, else None."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None


@pytest.fixture
def agent_demos(nats_servers):
    """start(bus, agents=(), server=True, extra_env=None, expect_ready=True) -> AgentDemo.

    Asks for `nats_servers` so that it is torn down first: the demos stop (draining) while
    their bus is still there. A demo still running at teardown gets SIGTERM and must exit 0."""
    started: list[AgentDemo] = []

    def start(bus, agents=(), server=True, extra_env=None, expect_ready=True) -> AgentDemo:
        demo = AgentDemo(bus, agents, server, extra_env, expect_ready)
        started.append(demo)
        return demo

    yield start
    problems = []
    for demo in started:
        try:
            # A demo that never got READY has been judged by its test already; one the test
            # signalled has had its exit code checked there.
            if demo.ready and demo.signalled_at is None:
                code, _ = demo.stop(timeout=15.0)
                if code != 0:
                    problems.append(f"exit code {code}; stderr tail: {demo.stderr()[-1000:]!r}")
        except AssertionError as exc:
            problems.append(str(exc))
        finally:
            demo.kill()
    if problems:
        pytest.fail("demo did not stop cleanly: " + "; ".join(problems))
