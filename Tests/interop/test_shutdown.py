"""Graceful shutdown on SIGTERM/SIGINT: in-flight calls finish, new ones are refused, two-step
GOAWAY, STATUS_COUNTS, exit 0."""

from __future__ import annotations

import signal
import time

import grpc
import pytest

import interop_support as sup
from interop_support import pb_grpc


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_in_flight_call_completes_during_drain(server_factory, sig):
    server = server_factory(drain_seconds=5)
    ch = sup.channel(server)
    stub = pb_grpc.OprcFunctionStub(ch)
    future = stub.InvokeFn.future(sup.fn_request("sleep", b"500"), timeout=10)
    time.sleep(0.15)  # the call is in the handler now
    assert not future.done()
    server.send_signal(sig)
    resp = future.result()
    assert resp.payload == b"500"
    ch.close()
    result = server.stop()
    assert result.nonzero_counts() == {"0": 1}, result.status_counts
    assert result.seconds_after_signal < 5 + 2


def test_new_calls_during_drain_are_refused(server_factory):
    server = server_factory(drain_seconds=5)
    ch = sup.channel(server)
    stub = pb_grpc.OprcFunctionStub(ch)
    long_call = stub.InvokeFn.future(sup.fn_request("sleep", b"1500"), timeout=10)
    time.sleep(0.15)
    server.send_signal(signal.SIGTERM)
    time.sleep(0.4)
    # On the draining connection, and on a new one: never served.
    for attempt_channel in (ch, sup.channel(server)):
        with pytest.raises(grpc.RpcError) as err:
            pb_grpc.OprcFunctionStub(attempt_channel).InvokeFn(sup.fn_request("echo", b"late"), timeout=3)
        assert err.value.code() == grpc.StatusCode.UNAVAILABLE, err.value
    assert long_call.result().payload == b"1500"
    ch.close()
    result = server.stop()
    assert result.nonzero_counts().get("0") == 1, result.status_counts


def test_drain_deadline_cuts_long_calls(server_factory):
    server = server_factory(drain_seconds=1)
    ch = sup.channel(server)
    stub = pb_grpc.OprcFunctionStub(ch)
    long_call = stub.InvokeFn.future(sup.fn_request("sleep", b"20000"), timeout=30)
    time.sleep(0.2)
    server.send_signal(signal.SIGTERM)
    with pytest.raises(grpc.RpcError) as err:
        long_call.result(timeout=10)
    assert err.value.code() != grpc.StatusCode.OK
    result = server.stop()
    assert result.seconds_after_signal < 1 + 3, f"exit took {result.seconds_after_signal:.2f}s"
    assert result.nonzero_counts().get("0", 0) == 0, result.status_counts
    ch.close()


def test_idle_server_stops_cleanly(server_factory):
    server = server_factory(drain_seconds=5)
    sup.assert_serving(server)
    result = server.stop()
    assert result.nonzero_counts() == {"0": 1}, result.status_counts
    assert result.seconds_after_signal < 5 + 2


def test_two_step_goaway_and_in_flight_stream(server_factory):
    """Seen on the wire: the first GOAWAY announces 2^31-1, a later one the last stream the
    server took; the stream opened before the signal still gets grpc-status 0."""
    server = server_factory(drain_seconds=5)
    raw = sup.RawH2(server.port)
    raw.open_call(1, sup.INVOKE_FN, sup.echo_body(b"700", fn_id="sleep"))
    raw.wait_until(lambda: any(f.type == sup.SETTINGS for f in raw.frames), 5)
    time.sleep(0.2)
    server.send_signal(signal.SIGTERM)
    assert raw.wait_until(lambda: len(raw.goaways()) >= 1, 3), "no GOAWAY after SIGTERM"
    # A stream opened now, after the first GOAWAY, must not be served.
    raw.open_call(3, sup.INVOKE_FN, sup.echo_body(b"late"))
    assert raw.wait_until(lambda: 1 in raw.ended or 1 in raw.resets, 5)
    assert raw.grpc_status(1) == 0
    (message,) = sup.parse_grpc_frames(bytes(raw.data.get(1, b"")))
    assert sup.pb.InvocationResponse.FromString(message).payload == b"700"
    raw.wait_until(lambda: len(raw.goaways()) >= 2 and (3 in raw.ended or 3 in raw.resets), 3)
    goaways = raw.goaways()
    assert len(goaways) >= 2, f"expected a two-step GOAWAY, got {goaways}"
    assert goaways[0] == (0x7FFFFFFF, sup.NO_ERROR), goaways
    last_ids = [last for last, _ in goaways]
    assert last_ids == sorted(last_ids, reverse=True), f"GOAWAY last-stream-ids increase: {goaways}"
    assert goaways[-1][1] == sup.NO_ERROR and 1 <= goaways[-1][0] <= 3, goaways
    late_status = raw.grpc_status(3)
    late_served = late_status == 0
    assert not late_served, "a stream opened after GOAWAY was served"
    if goaways[-1][0] >= 3:
        # The server took stream 3: then it must answer it, with UNAVAILABLE or REFUSED_STREAM.
        assert late_status == 14 or raw.resets.get(3) == sup.REFUSED_STREAM, (late_status, raw.resets)
    raw.close()
    result = server.stop()
    assert result.nonzero_counts().get("0") == 1, result.status_counts
    if goaways[-1][0] < 3:
        # Above the final GOAWAY's last stream: never processed, so not counted as a call.
        assert result.nonzero_counts() == {"0": 1}, result.status_counts
