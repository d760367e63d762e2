"""Bad and hostile input from raw sockets and from hyper-h2 (a third-party HTTP/2 stack).
After every case a normal grpcio call on a fresh channel must still succeed."""

from __future__ import annotations

import gzip
import os
import socket
import struct
import time

import pytest

import interop_support as sup
from interop_support import pb

MiB = 1024 * 1024


def response_payload(result: sup.StreamResult) -> bytes:
    (message,) = result.messages()
    return pb.InvocationResponse.FromString(message).payload


def h2_client(server, **kw) -> sup.H2Client:
    c = sup.H2Client(server.port, **kw)
    assert c.wait_ready(), "no SETTINGS from the server"
    assert c.terminated is None
    return c


def assert_h2_call_ok(c: sup.H2Client, payload: bytes = b"fine") -> None:
    r = c.call(sup.INVOKE_FN, sup.echo_body(payload))
    assert r.status == "200", r
    assert r.grpc_status == 0, r
    assert response_payload(r) == payload
    assert c.terminated is None and not c.eof


def close_abruptly(sock: socket.socket, mode: str) -> None:
    if mode == "rst":  # SO_LINGER 0: the close sends a TCP RST
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


# --- the connection preface


@pytest.mark.parametrize(
    "garbage",
    [
        b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        b"PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n" + b"\x00" * 9,
        bytes(range(256)) * 4,
    ],
    ids=["http1", "near-miss-preface", "binary"],
)
def test_garbage_preface_closes_only_that_connection(server, garbage):
    keep = sup.channel(server)
    sup.assert_serving(server, keep)
    s = sup.connect(server.port)
    s.sendall(garbage)
    _, closed = sup.read_until_closed(s, 5)
    s.close()
    assert closed, "the server kept a connection open after a bad preface"
    sup.assert_serving(server, keep)  # the connection opened before is unaffected
    keep.close()
    sup.assert_serving(server)


# --- truncated input, then the peer goes away


_HEADERS_16K = struct.pack(">I", 16384)[1:] + struct.pack(">BBI", sup.HEADERS, sup.FLAG_END_HEADERS, 1)
_SETTINGS_12 = struct.pack(">I", 12)[1:] + struct.pack(">BBI", sup.SETTINGS, 0, 0)
_START = sup.PREFACE + sup.frame(sup.SETTINGS, 0, 0)
TRUNCATED = {
    "mid-preface": sup.PREFACE[:10],
    "mid-frame-header": _START + _HEADERS_16K[:5],
    "short-headers-frame": _START + _HEADERS_16K + b"\x82" * 10,  # announces 16 KiB, sends 10 bytes
    "short-settings-frame": sup.PREFACE + _SETTINGS_12 + b"\x00\x03",
}


@pytest.mark.parametrize("mode", ["fin", "rst"])
@pytest.mark.parametrize("case", sorted(TRUNCATED))
def test_truncated_frame_then_close(server, case, mode):
    s = sup.connect(server.port)
    s.sendall(TRUNCATED[case])
    time.sleep(0.05)
    close_abruptly(s, mode)
    time.sleep(0.1)
    assert server.proc.poll() is None, "the server died"
    sup.assert_serving(server)


@pytest.mark.parametrize("mode", ["fin", "rst"])
def test_peer_vanishes_mid_message(server, mode):
    c = h2_client(server)
    sid = c.start(sup.INVOKE_FN, end_stream=False)
    c.conn.send_data(sid, sup.grpc_frame(b"\x22\x05ab", declared_length=100))
    c.flush()
    time.sleep(0.1)
    close_abruptly(c.sock, mode)
    time.sleep(0.1)
    assert server.proc.poll() is None
    sup.assert_serving(server)


# --- malformed requests on a good connection


def test_headers_without_path(server):
    c = h2_client(server, validate_outbound=False)
    sid = c.start(None, sup.echo_body(b"nopath"))
    s = c.streams[sid]
    c.wait_until(lambda: s.done or c.terminated is not None, 5)
    assert c.terminated is None and not c.eof, "the connection was closed for one bad stream"
    rejected = s.reset_code == sup.PROTOCOL_ERROR or (
        s.headers is not None and (s.status != "200" or s.grpc_status not in (None, 0))
    )
    assert rejected, f"stream without :path was neither reset nor answered with an error: {s}"
    assert_h2_call_ok(c, b"same connection")
    c.close()
    sup.assert_serving(server)


def test_text_plain_is_415(server):
    c = h2_client(server)
    r = c.call(sup.INVOKE_FN, sup.echo_body(), content_type="text/plain")
    assert r.status == "415", r
    assert_h2_call_ok(c)
    c.close()
    sup.assert_serving(server)


def test_application_grpc_proto_is_accepted(server):
    c = h2_client(server)
    r = c.call(sup.INVOKE_FN, sup.echo_body(b"plus-proto"), content_type="application/grpc+proto")
    assert r.status == "200" and r.grpc_status == 0, r
    assert response_payload(r) == b"plus-proto"
    c.close()


def test_length_prefix_above_limit_complete_message(server_factory):
    server = server_factory("--max-receive-message-bytes", "1024")
    c = h2_client(server)
    r = c.call(sup.INVOKE_FN, sup.grpc_frame(b"\x00" * 2048))
    assert r.grpc_status == 8, r
    assert_h2_call_ok(c)
    c.close()
    sup.assert_serving(server)


def test_length_prefix_above_limit_is_refused_early(server):
    """The prefix announces 64 MiB against the default 4 MiB: the server answers without
    waiting for (or buffering) the rest, while the stream is still open."""
    c = h2_client(server)
    sid = c.start(sup.INVOKE_FN, sup.grpc_frame(b"\x00" * 16384, declared_length=64 * MiB), end_stream=False)
    s = c.streams[sid]
    c.wait_until(lambda: s.done or c.terminated is not None, 5)
    assert s.grpc_status == 8, s
    assert c.terminated is None
    assert_h2_call_ok(c)
    c.close()
    sup.assert_serving(server)


def test_length_prefix_longer_than_data_is_internal(server):
    c = h2_client(server)
    msg = sup.fn_request("echo", b"short").SerializeToString()
    r = c.call(sup.INVOKE_FN, sup.grpc_frame(msg, declared_length=len(msg) + 100))
    assert r.grpc_status == 13, r
    assert_h2_call_ok(c)
    c.close()
    sup.assert_serving(server)


@pytest.mark.parametrize(
    "message",
    [b"\x32\x0aabc", b"\x0f\x01", b"\x08\xff\xff", b"\x22\x80\x80\x80\x80\x10"],
    ids=["truncated-bytes", "wire-type-7", "truncated-varint", "length-beyond-4GiB"],
)
@pytest.mark.parametrize("path", [sup.INVOKE_FN, sup.INVOKE_OBJ])
def test_invalid_protobuf_is_internal(server, message, path):
    c = h2_client(server)
    r = c.call(path, sup.grpc_frame(message))
    assert r.grpc_status == 13, r
    assert_h2_call_ok(c)
    c.close()
    sup.assert_serving(server)


def test_unsupported_encoding_is_unimplemented(server):
    c = h2_client(server)
    msg = sup.fn_request("echo", b"x").SerializeToString()
    r = c.call(sup.INVOKE_FN, sup.grpc_frame(msg, compressed=True), extra=[("grpc-encoding", "snappy")])
    assert r.grpc_status == 12, r
    accept = r.meta("grpc-accept-encoding")
    assert accept is not None, r
    assert "gzip" in [e.strip() for e in accept.split(",")], accept
    assert_h2_call_ok(c)
    c.close()
    sup.assert_serving(server)


@pytest.mark.parametrize("compressed_flag", [True, False], ids=["gzip-message", "uncompressed-message"])
def test_gzip_request_works(server, compressed_flag):
    c = h2_client(server)
    payload = b"zip me please " * 2000
    msg = sup.fn_request("echo", payload).SerializeToString()
    body = sup.grpc_frame(gzip.compress(msg), compressed=True) if compressed_flag else sup.grpc_frame(msg)
    r = c.call(sup.INVOKE_FN, body, extra=[("grpc-encoding", "gzip"), ("grpc-accept-encoding", "gzip,identity")])
    assert r.status == "200" and r.grpc_status == 0, r
    assert response_payload(r) == payload
    c.close()
    sup.assert_serving(server)


def test_server_side_grpc_timeout(server):
    c = h2_client(server)
    start = time.monotonic()
    r = c.call(sup.INVOKE_FN, sup.echo_body(b"3000", fn_id="sleep"), extra=[("grpc-timeout", "200m")], timeout=5)
    elapsed = time.monotonic() - start
    assert r.grpc_status == 4, r
    assert elapsed < 2.0, f"DEADLINE_EXCEEDED after {elapsed:.2f}s for a 200 ms timeout"
    assert_h2_call_ok(c)
    c.close()
    result = server.stop()
    assert result.nonzero_counts().get("4") == 1, result.status_counts


def test_client_rst_stream_cancels(server):
    c = h2_client(server)
    sid = c.start(sup.INVOKE_FN, sup.echo_body(b"10000", fn_id="sleep"))
    time.sleep(0.3)
    c.conn.reset_stream(sid, error_code=sup.CANCEL)
    c.flush()
    assert_h2_call_ok(c)
    c.close()
    result = server.stop()
    assert result.nonzero_counts().get("1") == 1, result.status_counts
    assert result.nonzero_counts().get("0") == 1, result.status_counts


@pytest.mark.parametrize("limit", [None, 3])
def test_max_concurrent_streams_is_advertised(server_factory, limit):
    server = server_factory(*(["--max-concurrent-streams", str(limit)] if limit else []))
    c = h2_client(server)
    want = limit or 100
    assert c.conn.remote_settings.max_concurrent_streams == want
    sids = [c.start(sup.INVOKE_FN, sup.echo_body(b"200", fn_id="sleep")) for _ in range(want if limit else 10)]
    assert c.wait_until(lambda: all(c.streams[i].done for i in sids), 10)
    assert all(c.streams[i].grpc_status == 0 for i in sids)
    c.close()


# --- abuse: rapid reset, too many connections


def test_rst_stream_flood_gets_enhance_your_calm(server):
    keep = sup.channel(server)
    sup.assert_serving(server, keep)
    c = h2_client(server)
    hs = c.request_headers(sup.INVOKE_FN)
    sent = 0
    try:
        while sent < 2000 and c.terminated is None and not c.eof:
            for _ in range(100):
                sid = c.conn.get_next_available_stream_id()
                c.conn.send_headers(sid, hs)
                c.conn.reset_stream(sid, error_code=sup.CANCEL)
                sent += 1
            c.flush()
            c.pump(0)
    except OSError:
        pass
    c.wait_until(lambda: c.eof, 10)
    goaways = c.goaways()
    assert any(code == sup.ENHANCE_YOUR_CALM for _, code in goaways), (
        f"after {sent} HEADERS+RST_STREAM pairs: GOAWAYs {goaways}, closed={c.eof}"
    )
    assert c.eof, "connection still open after GOAWAY ENHANCE_YOUR_CALM"
    last_ids = [last for last, _ in goaways]
    # RFC 9113 6.8: an endpoint MUST NOT increase the last stream id in later GOAWAYs.
    assert last_ids == sorted(last_ids, reverse=True), f"GOAWAY last-stream-ids increase: {goaways}"
    c.close()
    sup.assert_serving(server, keep)  # another connection was not affected
    keep.close()
    sup.assert_serving(server)


def test_a_few_cancellations_are_not_a_flood(server):
    c = h2_client(server)
    for _ in range(20):
        sid = c.start(sup.INVOKE_FN, sup.echo_body(b"5000", fn_id="sleep"))
        c.pump(0.02)
        c.conn.reset_stream(sid, error_code=sup.CANCEL)
        c.flush()
    assert_h2_call_ok(c)
    assert not c.goaways()
    c.close()


def test_connections_above_the_limit_are_closed(server_factory):
    server = server_factory("--max-connections", "4")
    clients = [h2_client(server) for _ in range(4)]
    extras = []
    for _ in range(2):
        s = sup.connect(server.port)
        s.sendall(sup.PREFACE + sup.frame(sup.SETTINGS, 0, 0))
        extras.append(s)
    for s in extras:
        data, closed = sup.read_until_closed(s, 5)
        s.close()
        assert closed, "a connection above --max-connections was kept open"
        frames, _ = sup.parse_frames(data)
        assert any(f.type == sup.GOAWAY for f in frames), f"closed without a GOAWAY: {frames}"
    for i, c in enumerate(clients):
        assert_h2_call_ok(c, b"conn %d" % i)
    for c in clients:
        c.close()
    time.sleep(0.3)  # let the server see the closes and free the slots
    sup.assert_serving(server)


def test_many_connections_within_the_limit(server_factory):
    server = server_factory("--max-connections", "50")
    clients = [h2_client(server) for _ in range(40)]
    for i, c in enumerate(clients):
        assert_h2_call_ok(c, os.urandom(8) + b"%d" % i)
    for c in clients:
        c.close()
    time.sleep(0.3)
    sup.assert_serving(server)
