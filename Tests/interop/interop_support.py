"""Shared helpers for the interop tests: stub generation, the server process, gRPC framing,
an HTTP/2 client built on hyper-h2, and a tiny raw HTTP/2 frame codec for what h2 refuses
to do (reading on after a GOAWAY, sending malformed bytes)."""

from __future__ import annotations

import atexit
import gzip
import json
import os
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

# grpcio must not try to run fork handlers when the tests start subprocesses.
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")

import grpc  # noqa: E402
import h2.config  # noqa: E402
import h2.connection  # noqa: E402
import h2.events  # noqa: E402
import h2.exceptions  # noqa: E402
import hpack  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
PROTO_DIR = HERE / "protos"

# ---------------------------------------------------------------------------------------------
# Python stubs, generated once per test session into a temporary folder.


def _generate_stubs() -> Path:
    from grpc_tools import protoc

    out = Path(tempfile.mkdtemp(prefix="oaas-interop-stubs-"))
    atexit.register(shutil.rmtree, out, True)
    rc = protoc.main(
        [
            "grpc_tools.protoc",
            f"-I{PROTO_DIR}",
            f"--python_out={out}",
            f"--grpc_python_out={out}",
            str(PROTO_DIR / "oprc_invoke.proto"),
        ]
    )
    if rc != 0:
        raise RuntimeError(f"grpc_tools.protoc failed with {rc}")
    return out


sys.path.insert(0, str(_generate_stubs()))
import oprc_invoke_pb2 as pb  # noqa: E402
import oprc_invoke_pb2_grpc as pb_grpc  # noqa: E402

# ---------------------------------------------------------------------------------------------
# Finding (and if needed building) the server.

_binary_lock = threading.Lock()
_binary: Path | None = None


def server_binary() -> Path:
    """The `oaas-grpc-echo` executable: $OAAS_GRPC_ECHO_BIN, or a debug build made once."""
    global _binary
    with _binary_lock:
        if _binary is not None:
            return _binary
        given = os.environ.get("OAAS_GRPC_ECHO_BIN")
        if given:
            path = Path(given)
        else:
            swift = os.environ.get("SWIFT", "swift")
            subprocess.run(
                [swift, "build", "--product", "oaas-grpc-echo"],
                cwd=REPO_ROOT,
                check=True,
                timeout=1500,
            )
            bin_dir = subprocess.run(
                [swift, "build", "--show-bin-path"],
                cwd=REPO_ROOT,
                check=True,
                capture_output=True,
                text=True,
                timeout=300,
            ).stdout.strip()
            path = Path(bin_dir) / "oaas-grpc-echo"
        if not path.is_file() or not os.access(path, os.X_OK):
            raise RuntimeError(f"server binary not found or not executable: {path}")
        _binary = path
        return path


# ---------------------------------------------------------------------------------------------
# The server as a subprocess.


@dataclass
class ServerExit:
    returncode: int
    status_counts: dict[str, int] | None
    stdout: list[str]
    stderr: str
    seconds_after_signal: float

    def nonzero_counts(self) -> dict[str, int]:
        return {k: v for k, v in (self.status_counts or {}).items() if v}


_running: list["ListeningProcess"] = []


@atexit.register
def _kill_leftover_servers() -> None:
    for server in _running:
        server.kill()


_LISTENING = re.compile(r"^\s*LISTENING (\d+)\s*$")


class ListeningProcess:
    """A child process that prints `LISTENING <port>` once bound (oaas-grpc-echo, `demo
    serve`): started, its output read on two threads, its port learned, signalled, killed.
    Any other output is kept for messages; a leftover one is killed at exit."""

    name = "server"

    def __init__(self, argv: list[str], env: dict[str, str] | None = None, start_timeout: float = 30.0):
        self.lines: list[str] = []
        self.stderr_chunks: list[str] = []
        self._cond = threading.Condition()
        self.signalled_at: float | None = None
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
            errors="replace",
            bufsize=1,
        )
        _running.append(self)
        self._threads = [
            threading.Thread(target=self._read_stdout, daemon=True),
            threading.Thread(target=self._read_stderr, daemon=True),
        ]
        for t in self._threads:
            t.start()
        self.port = self._wait_listening(start_timeout)

    def _read_stdout(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._cond:
                self.lines.append(line.rstrip("\r\n"))
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        for chunk in self.proc.stderr:
            self.stderr_chunks.append(chunk)

    def _wait_listening(self, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for line in self.lines:
                    m = _LISTENING.match(line)
                    if m:
                        return int(m.group(1))
                if self.proc.poll() is not None and not self._threads[0].is_alive():
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(min(left, 0.1))
        self.kill()
        raise AssertionError(
            f"{self.name} did not print 'LISTENING <port>' (exit code {self.proc.poll()}); "
            f"stdout={self.lines[-20:]!r} stderr={self.stderr()[-2000:]!r}"
        )

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stderr(self) -> str:
        return "".join(self.stderr_chunks)

    def send_signal(self, sig: int = signal.SIGTERM) -> None:
        """Sends `sig` once per call (a second signal means "exit at once" to our servers)."""
        if self.signalled_at is None:
            self.signalled_at = time.monotonic()
        if self.proc.poll() is None:
            self.proc.send_signal(sig)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass


class ServerProcess(ListeningProcess):
    """One running `oaas-grpc-echo`. Start it, learn its port, signal it, read its exit."""

    def __init__(self, args: list[str], drain_seconds: float):
        self.args = args
        self.drain_seconds = drain_seconds
        self.exit: ServerExit | None = None
        super().__init__([str(server_binary()), *args])

    def wait_exit(self, timeout: float | None = None) -> ServerExit:
        """Waits for the process to end (after a signal) and parses STATUS_COUNTS."""
        if self.exit is not None:
            return self.exit
        if timeout is None:
            timeout = self.drain_seconds + 10.0
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(
                f"server did not exit within {timeout:.1f}s of the signal; "
                f"stdout={self.lines[-20:]!r}"
            ) from None
        elapsed = time.monotonic() - (self.signalled_at or time.monotonic())
        for t in self._threads:
            t.join(timeout=5)
        counts = None
        for line in self.lines:
            if line.startswith("STATUS_COUNTS "):
                raw = json.loads(line[len("STATUS_COUNTS ") :])
                assert isinstance(raw, dict), f"STATUS_COUNTS is not a JSON object: {line!r}"
                counts = {str(k): int(v) for k, v in raw.items()}
        self.exit = ServerExit(
            returncode=self.proc.returncode,
            status_counts=counts,
            stdout=list(self.lines),
            stderr="".join(self.stderr_chunks),
            seconds_after_signal=elapsed,
        )
        return self.exit

    def stop(self, sig: int = signal.SIGTERM, timeout: float | None = None) -> ServerExit:
        """SIGTERM (or `sig`) unless the test already sent one (a second signal means "exit at
        once"), wait, and check the graceful exit: code 0 and STATUS_COUNTS."""
        if self.exit is None and self.signalled_at is None and self.proc.poll() is None:
            self.send_signal(sig)
        result = self.wait_exit(timeout)
        assert result.returncode == 0, (
            f"server exited with {result.returncode}; stderr tail: {result.stderr[-2000:]!r}"
        )
        assert result.status_counts is not None, (
            f"no STATUS_COUNTS line on stdout: {result.stdout[-20:]!r}"
        )
        return result


def start_server(*extra: str, drain_seconds: float = 2.0) -> ServerProcess:
    args = ["--host", "127.0.0.1", "--port", "0", "--drain-seconds", _num(drain_seconds), *extra]
    return ServerProcess(args, drain_seconds)


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


# ---------------------------------------------------------------------------------------------
# grpcio helpers.

CHANNEL_OPTIONS = [
    ("grpc.enable_http_proxy", 0),
    ("grpc.max_send_message_length", 64 * 1024 * 1024),
    ("grpc.max_receive_message_length", 64 * 1024 * 1024),
    # One connection per channel object, never shared with another channel in this process.
    ("grpc.use_local_subchannel_pool", 1),
]


def channel(server: ServerProcess, extra_options: list | None = None, **kw) -> grpc.Channel:
    ch = grpc.insecure_channel(server.address, options=CHANNEL_OPTIONS + (extra_options or []), **kw)
    _opened.append(ch)
    return ch


def read_ready(sock: socket.socket, timeout: float) -> bytes | None:
    """One read of what arrives within `timeout`: None if nothing did, b"" at end of stream
    (a reset counts as one)."""
    ready, _, _ = select.select([sock], [], [], max(timeout, 0))
    if not ready:
        return None
    try:
        return sock.recv(65536)
    except (ConnectionResetError, BrokenPipeError):
        return b""


def fn_request(fn_id: str = "echo", payload: bytes = b"", **kw) -> pb.InvocationRequest:
    kw.setdefault("cls_id", "interop.Cls")
    return pb.InvocationRequest(fn_id=fn_id, payload=payload, **kw)


def assert_serving(server: ServerProcess, ch: grpc.Channel | None = None) -> None:
    """A normal call (on a fresh channel unless one is given) must succeed."""
    own = ch is None
    if own:
        ch = channel(server)
    try:
        stub = pb_grpc.OprcFunctionStub(ch)
        marker = os.urandom(12)
        resp = stub.InvokeFn(fn_request("echo", marker, partition_id=3), timeout=10)
        assert resp.status == pb.OKAY
        assert resp.payload == marker
    finally:
        if own:
            ch.close()


# ---------------------------------------------------------------------------------------------
# gRPC length-prefixed messages.


def grpc_frame(message: bytes, compressed: bool = False, declared_length: int | None = None) -> bytes:
    n = len(message) if declared_length is None else declared_length
    return struct.pack(">BI", 1 if compressed else 0, n) + message


def parse_grpc_frames(data: bytes, encoding: str | None = None) -> list[bytes]:
    out = []
    i = 0
    while i < len(data):
        assert len(data) - i >= 5, f"truncated gRPC prefix in response: {data[i:]!r}"
        flag, n = struct.unpack(">BI", data[i : i + 5])
        body = data[i + 5 : i + 5 + n]
        assert len(body) == n, "truncated gRPC message in response"
        if flag == 1:
            assert encoding == "gzip", f"compressed response with grpc-encoding {encoding!r}"
            body = gzip.decompress(body)
        out.append(body)
        i += 5 + n
    return out


# ---------------------------------------------------------------------------------------------
# Raw HTTP/2 frames (RFC 9113 section 4.1).

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE = range(9)
FLAG_END_STREAM, FLAG_ACK, FLAG_END_HEADERS = 0x1, 0x1, 0x4
NO_ERROR, PROTOCOL_ERROR, REFUSED_STREAM, CANCEL, ENHANCE_YOUR_CALM = 0x0, 0x1, 0x7, 0x8, 0xB


@dataclass
class Frame:
    type: int
    flags: int
    stream_id: int
    payload: bytes

    @property
    def goaway(self) -> tuple[int, int]:
        """(last_stream_id, error_code) of a GOAWAY frame."""
        last, code = struct.unpack(">II", self.payload[:8])
        return last & 0x7FFFFFFF, code


def frame(ftype: int, flags: int, stream_id: int, payload: bytes = b"") -> bytes:
    return struct.pack(">I", len(payload))[1:] + struct.pack(">BBI", ftype, flags, stream_id) + payload


def parse_frames(data: bytes) -> tuple[list[Frame], bytes]:
    """Whole frames in `data`, and the incomplete rest."""
    frames = []
    i = 0
    while len(data) - i >= 9:
        n = int.from_bytes(data[i : i + 3], "big")
        if len(data) - i < 9 + n:
            break
        ftype, flags, sid = struct.unpack(">BBI", data[i + 3 : i + 9])
        frames.append(Frame(ftype, flags, sid & 0x7FFFFFFF, data[i + 9 : i + 9 + n]))
        i += 9 + n
    return frames, data[i:]


def read_until_closed(sock: socket.socket, timeout: float) -> tuple[bytes, bool]:
    """Reads until the peer closes (EOF or reset) or `timeout` passes: (bytes, closed)."""
    deadline = time.monotonic() + timeout
    buf = bytearray()
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return bytes(buf), False
        ready, _, _ = select.select([sock], [], [], left)
        if not ready:
            continue
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            return bytes(buf), True
        if not chunk:
            return bytes(buf), True
        buf += chunk


def connect(port: int, timeout: float = 5.0) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    _opened.append(s)
    return s


# Sockets and channels a test opened, closed before its servers are stopped (so a failed test
# does not leave a connection that makes the drain wait for its deadline).
_opened: list = []


def close_everything_opened() -> None:
    while _opened:
        thing = _opened.pop()
        try:
            thing.close()
        except Exception:
            pass


# ---------------------------------------------------------------------------------------------
# An HTTP/2 client on hyper-h2.


@dataclass
class StreamResult:
    stream_id: int
    headers: list[tuple[str, str]] | None = None
    trailers: list[tuple[str, str]] | None = None
    data: bytearray = field(default_factory=bytearray)
    ended: bool = False
    reset_code: int | None = None

    @property
    def done(self) -> bool:
        return self.ended or self.reset_code is not None

    def header(self, name: str) -> str | None:
        for k, v in self.headers or []:
            if k == name:
                return v
        return None

    def meta(self, name: str) -> str | None:
        """A gRPC metadata value from the trailers, or from a trailers-only response."""
        for block in (self.trailers or [], self.headers or []):
            for k, v in block:
                if k == name:
                    return v
        return None

    @property
    def status(self) -> str | None:
        return self.header(":status")

    @property
    def grpc_status(self) -> int | None:
        v = self.meta("grpc-status")
        return None if v is None else int(v)

    def messages(self) -> list[bytes]:
        return parse_grpc_frames(bytes(self.data), self.header("grpc-encoding"))


class H2Client:
    """A client-side hyper-h2 connection over a blocking socket, pumped by hand."""

    def __init__(self, port: int, validate_outbound: bool = True, timeout: float = 5.0):
        self.port = port
        self.sock = connect(port, timeout)
        config = h2.config.H2Configuration(
            client_side=True,
            header_encoding="utf-8",
            validate_outbound_headers=validate_outbound,
            normalize_outbound_headers=validate_outbound,
            validate_inbound_headers=False,
        )
        self.conn = h2.connection.H2Connection(config=config)
        self.streams: dict[int, StreamResult] = {}
        self.raw_in = bytearray()
        self.terminated: h2.events.ConnectionTerminated | None = None
        self.settings_received = False
        self.eof = False
        self.h2_error: Exception | None = None
        self.conn.initiate_connection()
        self.flush()

    # --- I/O

    def flush(self) -> None:
        out = self.conn.data_to_send()
        if out:
            try:
                self.sock.sendall(out)
            except (BrokenPipeError, ConnectionResetError):
                self.eof = True

    def pump(self, timeout: float) -> None:
        """Reads what arrives within `timeout` once and feeds it to h2."""
        if self.eof:
            return
        chunk = read_ready(self.sock, timeout)
        if chunk is None:
            return
        if not chunk:
            self.eof = True
            return
        self.raw_in += chunk
        if self.h2_error is not None:
            return
        try:
            events = self.conn.receive_data(chunk)
        except h2.exceptions.ProtocolError as exc:
            self.h2_error = exc
            return
        for ev in events:
            self._on_event(ev)
        self.flush()

    def _stream(self, sid: int) -> StreamResult:
        return self.streams.setdefault(sid, StreamResult(sid))

    def _on_event(self, ev) -> None:
        if isinstance(ev, h2.events.ResponseReceived):
            self._stream(ev.stream_id).headers = list(ev.headers)
        elif isinstance(ev, h2.events.TrailersReceived):
            self._stream(ev.stream_id).trailers = list(ev.headers)
        elif isinstance(ev, h2.events.DataReceived):
            self._stream(ev.stream_id).data += ev.data
            try:
                self.conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            except h2.exceptions.StreamClosedError:
                pass
        elif isinstance(ev, h2.events.StreamEnded):
            self._stream(ev.stream_id).ended = True
        elif isinstance(ev, h2.events.StreamReset):
            self._stream(ev.stream_id).reset_code = int(ev.error_code)
        elif isinstance(ev, h2.events.ConnectionTerminated):
            self.terminated = ev
        elif isinstance(ev, h2.events.RemoteSettingsChanged):
            self.settings_received = True

    def wait_until(self, predicate, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not predicate():
            left = deadline - time.monotonic()
            if left <= 0 or self.eof:
                return bool(predicate())
            self.pump(min(left, 0.2))
        return True

    def wait_ready(self, timeout: float = 5.0) -> bool:
        return self.wait_until(lambda: self.settings_received or self.terminated is not None, timeout)

    def goaways(self) -> list[tuple[int, int]]:
        """(last_stream_id, error_code) of every GOAWAY received, read from the raw bytes."""
        frames, _ = parse_frames(bytes(self.raw_in))
        return [f.goaway for f in frames if f.type == GOAWAY]

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    # --- requests

    def request_headers(
        self,
        path: str | None,
        content_type: str | None = "application/grpc",
        extra: list[tuple[str, str]] | None = None,
    ) -> list[tuple[str, str]]:
        hs = [(":method", "POST"), (":scheme", "http")]
        if path is not None:
            hs.append((":path", path))
        hs.append((":authority", f"127.0.0.1:{self.port}"))
        if content_type is not None:
            hs.append(("content-type", content_type))
        hs.append(("te", "trailers"))
        return hs + (extra or [])

    def start(
        self,
        path: str | None,
        body: bytes = b"",
        end_stream: bool = True,
        content_type: str | None = "application/grpc",
        extra: list[tuple[str, str]] | None = None,
        timeout: float = 10.0,
    ) -> int:
        sid = self.conn.get_next_available_stream_id()
        self._stream(sid)
        hs = self.request_headers(path, content_type, extra)
        self.conn.send_headers(sid, hs, end_stream=end_stream and not body)
        self.flush()
        if body:
            self.send_body(sid, body, end_stream, timeout)
        return sid

    def send_body(self, sid: int, body: bytes, end_stream: bool, timeout: float) -> None:
        """Sends `body` within h2's flow-control windows; stops early if the stream closes."""
        view = memoryview(body)
        deadline = time.monotonic() + timeout
        while view:
            s = self.streams[sid]
            if s.done or self.terminated is not None or self.eof:
                return
            window = min(self.conn.local_flow_control_window(sid), self.conn.max_outbound_frame_size)
            if window <= 0:
                if time.monotonic() > deadline:
                    raise AssertionError("flow-control window stayed closed")
                self.pump(0.2)
                continue
            chunk = view[:window]
            view = view[window:]
            self.conn.send_data(sid, bytes(chunk), end_stream=end_stream and not view)
            self.flush()
            self.pump(0)

    def call(self, path: str | None, body: bytes = b"", timeout: float = 10.0, **kw) -> StreamResult:
        sid = self.start(path, body, timeout=timeout, **kw)
        s = self.streams[sid]
        self.wait_until(lambda: s.done or self.terminated is not None, timeout)
        return s


def echo_body(payload: bytes = b"ping", fn_id: str = "echo") -> bytes:
    return grpc_frame(fn_request(fn_id, payload).SerializeToString())


INVOKE_FN = "/oprc.OprcFunction/InvokeFn"
INVOKE_OBJ = "/oprc.OprcFunction/InvokeObj"


# ---------------------------------------------------------------------------------------------
# A minimal hand-written HTTP/2 client for what h2 will not do: keep reading after a GOAWAY.


def hpack_literal(headers: list[tuple[str, str]]) -> bytes:
    """HPACK 'literal header field without indexing, new name' for each header (RFC 7541
    6.2.2), no Huffman; leaves the peer's dynamic table alone."""

    def string(s: str) -> bytes:
        b = s.encode()
        assert len(b) < 127
        return bytes([len(b)]) + b

    return b"".join(b"\x00" + string(k) + string(v) for k, v in headers)


class RawH2:
    """Writes frames by hand and reads every frame the server sends, GOAWAY or not."""

    def __init__(self, port: int):
        self.port = port
        self.sock = connect(port)
        self.decoder = hpack.Decoder()
        self.frames: list[Frame] = []
        self.headers: dict[int, list[list[tuple[str, str]]]] = {}
        self.data: dict[int, bytearray] = {}
        self.ended: set[int] = set()
        self.resets: dict[int, int] = {}
        self.eof = False
        self._rest = b""
        self.sock.sendall(PREFACE + frame(SETTINGS, 0, 0))

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def open_call(self, sid: int, path: str, body: bytes) -> None:
        hs = [
            (":method", "POST"),
            (":scheme", "http"),
            (":path", path),
            (":authority", f"127.0.0.1:{self.port}"),
            ("content-type", "application/grpc"),
            ("te", "trailers"),
        ]
        self.send(
            frame(HEADERS, FLAG_END_HEADERS, sid, hpack_literal(hs))
            + frame(DATA, FLAG_END_STREAM, sid, body)
        )

    def pump(self, timeout: float) -> None:
        if self.eof:
            return
        chunk = read_ready(self.sock, timeout)
        if chunk is None:
            return
        if not chunk:
            self.eof = True
            return
        frames, self._rest = parse_frames(self._rest + chunk)
        replies = b""
        for f in frames:
            self.frames.append(f)
            if f.type == SETTINGS and not f.flags & FLAG_ACK:
                replies += frame(SETTINGS, FLAG_ACK, 0)
            elif f.type == PING and not f.flags & FLAG_ACK:
                replies += frame(PING, FLAG_ACK, 0, f.payload)
            elif f.type == HEADERS:
                block = f.payload
                if f.flags & 0x8:  # PADDED
                    pad = block[0]
                    block = block[1 : len(block) - pad]
                if f.flags & 0x20:  # PRIORITY
                    block = block[5:]
                assert f.flags & FLAG_END_HEADERS, "CONTINUATION frames are not handled here"
                decoded = [(k if isinstance(k, str) else k.decode(), v if isinstance(v, str) else v.decode())
                           for k, v in self.decoder.decode(block)]
                self.headers.setdefault(f.stream_id, []).append(decoded)
                if f.flags & FLAG_END_STREAM:
                    self.ended.add(f.stream_id)
            elif f.type == DATA:
                body = f.payload
                if f.flags & 0x8:
                    body = body[1 : len(body) - body[0]]
                self.data.setdefault(f.stream_id, bytearray()).extend(body)
                if f.payload:
                    replies += frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", len(f.payload)))
                if f.flags & FLAG_END_STREAM:
                    self.ended.add(f.stream_id)
            elif f.type == RST_STREAM:
                self.resets[f.stream_id] = struct.unpack(">I", f.payload[:4])[0]
        if replies:
            try:
                self.send(replies)
            except (BrokenPipeError, ConnectionResetError):
                self.eof = True

    def wait_until(self, predicate, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not predicate():
            left = deadline - time.monotonic()
            if left <= 0 or self.eof:
                return bool(predicate())
            self.pump(min(left, 0.2))
        return True

    def goaways(self) -> list[tuple[int, int]]:
        return [f.goaway for f in self.frames if f.type == GOAWAY]

    def grpc_status(self, sid: int) -> int | None:
        for block in reversed(self.headers.get(sid, [])):
            for k, v in block:
                if k == "grpc-status":
                    return int(v)
        return None

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass
