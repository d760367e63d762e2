"""A real NATS server for the agents' interop tests, and the client side of an agent call.

- `NATSServer`: `nats-server` bound to 127.0.0.1 on a port of its own, optionally with a token,
  a user and password, a smaller `max_payload`, or JetStream (its file store kept across
  restarts); it can be SIGKILLed and restarted on the same port, which is how the tests take
  the bus away under a running agent.
- `nats_servers` / `nats_server` fixtures: every server a test started is killed at teardown,
  and an atexit hook kills what a crash left behind, so none outlives the session.
- `subject_for_key`: the bus's key-to-subject rule, written here from the rule itself (not
  from the runtime's code) so the tests check the runtime against the spec.
- `call_agent`, `connect`, `settle`: one InvokeObj-style call through nats-py's request/reply,
  a client that reconnects, and a bound on how long a call may take to succeed or fail."""

from __future__ import annotations

import asyncio
import atexit
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import nats
import nats.errors
import pytest

from interop_support import pb

# ---------------------------------------------------------------------------------------------
# Keys and subjects.

# Bytes that stay as they are in a subject token; every other byte is escaped.
_PLAIN = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


def _token(segment: str) -> str:
    if not segment:
        return "~"
    return "".join(chr(b) if b in _PLAIN else f"~{b:02X}" for b in segment.encode())


def subject_for_key(key: str) -> str:
    """The NATS subject of a bus key: one token per `/`-segment, joined with `.`."""
    return ".".join(_token(segment) for segment in key.split("/"))


def object_key(cls_id: str, object_id: str, fn_id: str, partition: int = 0) -> str:
    """The key of method `fn_id` of one object, as the platform names it."""
    return f"oprc/{cls_id}/{partition}/objects/{object_id}/invokes/{fn_id}"


def agent_request(cls_id: str, object_id: str, fn_id: str, payload: bytes = b"",
                  partition: int = 0) -> pb.ObjectInvocationRequest:
    """The request an agent expects on its subject: the string id in field 7."""
    return pb.ObjectInvocationRequest(
        partition_id=partition, cls_id=cls_id, fn_id=fn_id, payload=payload, object_id_str=str(object_id)
    )


async def call_agent(nc, cls_id: str, object_id: str, fn_id: str, payload: bytes = b"",
                     timeout: float = 5.0, partition: int = 0) -> pb.InvocationResponse:
    """Calls the agent serving `cls_id/object_id` through nats-py `nc` and parses its reply.
    nats-py's errors (NoRespondersError, TimeoutError, connection errors) pass through."""
    subject = subject_for_key(object_key(cls_id, str(object_id), fn_id, partition))
    request = agent_request(cls_id, object_id, fn_id, payload, partition)
    msg = await nc.request(subject, request.SerializeToString(), timeout=timeout)
    return pb.InvocationResponse.FromString(msg.data)


async def connect(url: str, **options):
    """A nats-py client for the tests. By default it reconnects quickly and for ever, since
    the fault tests take the server away on purpose and expect the client to come back with
    it. Its error callback is silent: nats-py would log every lost connection, and the tests
    judge the calls' results instead."""

    async def ignore(_exc: BaseException) -> None:
        pass

    settings = dict(connect_timeout=2, allow_reconnect=True, max_reconnect_attempts=-1,
                    reconnect_time_wait=0.1, error_cb=ignore)
    settings.update(options)
    return await nats.connect(url, **settings)


async def settle(awaitable, bound: float):
    """(result, None) if `awaitable` returned, (None, error) if it failed the way a call may
    while the bus is away (a nats-py error or a socket one, timeouts included); an
    AssertionError if it did neither within `bound` seconds, i.e. it hung. nats-py's timeout
    is itself a TimeoutError, so the call's failures are caught inside the bound."""

    async def attempt():
        try:
            return await awaitable, None
        except (nats.errors.Error, OSError) as exc:
            return None, exc

    try:
        return await asyncio.wait_for(attempt(), bound)
    except TimeoutError:
        raise AssertionError(f"a call neither answered nor failed within {bound} s") from None


# ---------------------------------------------------------------------------------------------
# The server process.


def nats_server_binary() -> Path:
    """$NATS_SERVER_BIN, else `nats-server` on PATH, else where Debian puts it (/usr/sbin)."""
    given = os.environ.get("NATS_SERVER_BIN")
    candidates = [given] if given else [shutil.which("nats-server"), "/usr/sbin/nats-server", "/usr/bin/nats-server"]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return Path(candidate)
    raise RuntimeError(f"nats-server not found (tried {candidates}); run scripts/install-deps.sh test")


_running: list["NATSServer"] = []


@atexit.register
def _kill_leftover_servers() -> None:
    for server in list(_running):
        server.close()


_LISTENING = re.compile(r"Listening for client connections on [^\s]*:(\d+)")
_READY = "Server is ready"
_PORT_BUSY = "address already in use"


class NATSServer:
    """One `nats-server -a 127.0.0.1`. The first start takes any free port (`-p -1`) and learns
    it from the log, so two servers never race for a port picked in advance; `restart()` asks
    for that same port again, as a real server coming back would."""

    def __init__(self, token: str | None = None, user: str | None = None, password: str | None = None,
                 max_payload: int | None = None, start_timeout: float = 10.0, jetstream: bool = False):
        if (user is None) != (password is None):
            raise ValueError("user and password go together")
        if token is not None and user is not None:
            raise ValueError("nats-server takes a token or a user, not both")
        self.token, self.user, self.password = token, user, password
        # JetStream's file store stays in `dir` across kill and restart, as a real server's disk.
        self.jetstream = jetstream
        self.dir = Path(tempfile.mkdtemp(prefix="oaas-nats-"))
        self.config = self._write_config(max_payload)
        self.port: int | None = None
        self.proc: subprocess.Popen | None = None
        self.log: list[str] = []
        self._cond = threading.Condition()
        _running.append(self)
        try:
            self.port = self._start(-1, start_timeout)
        except BaseException:
            self.close()
            raise

    def _write_config(self, max_payload: int | None) -> Path | None:
        lines = []
        if max_payload is not None:
            lines.append(f"max_payload: {int(max_payload)}")
        if self.token is not None:
            lines.append(f"authorization {{ token: {_quoted(self.token)} }}")
        if self.user is not None:
            lines.append(f"authorization {{ user: {_quoted(self.user)}, password: {_quoted(self.password)} }}")
        if not lines:
            return None
        path = self.dir / "nats-server.conf"
        path.write_text("\n".join(lines) + "\n")
        return path

    def _start(self, port: int, timeout: float) -> int:
        """Starts one process and waits for "Server is ready"; the port from its log line."""
        argv = [str(nats_server_binary()), "-a", "127.0.0.1", "-p", str(port)]
        if self.jetstream:
            argv += ["-js", "-sd", str(self.dir / "jetstream")]
        if self.config is not None:
            argv += ["-c", str(self.config)]
        with self._cond:
            self.log = []
        # Same process group as pytest: `timeout` in run-interop-tests.sh signals the whole group.
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, errors="replace", bufsize=1)
        self.proc = proc
        reader = threading.Thread(target=self._read, args=(proc,), daemon=True)
        reader.start()
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = next((m for m in map(_LISTENING.search, self.log) if m), None)
                if found and any(_READY in line for line in self.log):
                    return int(found.group(1))
                if proc.poll() is not None and not reader.is_alive():
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(min(left, 0.1))
        self.kill()
        raise NATSStartError(
            f"nats-server on port {port} did not become ready (exit code {proc.poll()}): {self.log[-15:]!r}",
            port_busy=any(_PORT_BUSY in line for line in self.log),
        )

    def _read(self, proc: subprocess.Popen) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            with self._cond:
                if self.proc is proc:
                    self.log.append(line.rstrip("\n"))
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    # --- addresses

    @property
    def url(self) -> str:
        """The URL without credentials."""
        return f"nats://127.0.0.1:{self.port}"

    def url_with(self, userinfo: str) -> str:
        """The URL with `userinfo` (`token` or `user:password`) before the host."""
        return f"nats://{userinfo}@127.0.0.1:{self.port}"

    @property
    def client_url(self) -> str:
        """The URL with this server's own credentials, if it has any."""
        if self.token is not None:
            return self.url_with(self.token)
        if self.user is not None:
            return self.url_with(f"{self.user}:{self.password}")
        return self.url

    # --- life cycle

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: the server vanishes without telling its clients anything."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass

    def restart(self, timeout: float = 10.0) -> None:
        """Starts the server again on the same port (after `kill()`), retrying while the port
        is still held (for example by a socket the old process left in the kernel)."""
        assert self.port is not None, "restart() of a server that never started"
        self.kill()
        deadline = time.monotonic() + timeout
        while True:
            try:
                port = self._start(self.port, max(1.0, deadline - time.monotonic()))
                assert port == self.port, f"nats-server came back on {port}, not {self.port}"
                return
            except NATSStartError as exc:
                if not exc.port_busy or time.monotonic() >= deadline:
                    raise
                time.sleep(0.1)

    def close(self) -> None:
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)
        if self in _running:
            _running.remove(self)


class NATSStartError(RuntimeError):
    def __init__(self, message: str, port_busy: bool):
        super().__init__(message)
        self.port_busy = port_busy


def _quoted(text: str) -> str:
    """A string for nats-server's config syntax, where quotes keep any characters literal."""
    if '"' in text or "\\" in text or "\n" in text:
        raise ValueError(f"not usable in the test config: {text!r}")
    return f'"{text}"'


# ---------------------------------------------------------------------------------------------
# Fixtures (import them into a test module to use them).


@pytest.fixture
def nats_servers():
    """start(**options) -> NATSServer; every server started is killed at teardown."""
    started: list[NATSServer] = []

    def start(**options) -> NATSServer:
        server = NATSServer(**options)
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()


@pytest.fixture
def nats_server(nats_servers) -> NATSServer:
    """A server without authentication and with the default limits."""
    return nats_servers()
