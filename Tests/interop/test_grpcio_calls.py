"""The echo service through the reference Python client, grpcio."""

from __future__ import annotations

import os
import time

import grpc
import pytest

import interop_support as sup
from interop_support import pb, pb_grpc

MiB = 1024 * 1024


def test_invoke_fn_echo(stub):
    payload = os.urandom(100) + b"\x00end"
    req = pb.InvocationRequest(
        partition_id=4294967295,
        cls_id="example.Counter-é",
        fn_id="increment",
        options={"k1": "v1", "k2": ""},
        payload=payload,
    )
    resp, call = stub.InvokeFn.with_call(req, timeout=10)
    assert call.code() == grpc.StatusCode.OK
    assert resp.status == pb.OKAY
    assert resp.HasField("payload") and resp.payload == payload
    assert resp.headers["cls_id"] == "example.Counter-é"
    assert resp.headers["fn_id"] == "increment"
    assert resp.headers["partition_id"] == "4294967295"
    assert resp.invocation_id != ""


def test_invoke_fn_empty_request(stub):
    resp = stub.InvokeFn(pb.InvocationRequest(), timeout=10)
    assert resp.status == pb.OKAY
    assert resp.payload == b""
    assert resp.headers["cls_id"] == ""
    assert resp.headers["fn_id"] == ""
    assert resp.headers["partition_id"] == "0"
    assert resp.invocation_id != ""


def test_invoke_obj_numeric_id(stub):
    req = pb.ObjectInvocationRequest(
        partition_id=12,
        object_id=18446744073709551615,  # the largest uint64: must not wrap or go negative
        cls_id="example.Account",
        fn_id="deposit",
        payload=b'{"amount": 5}',
    )
    resp = stub.InvokeObj(req, timeout=10)
    assert resp.status == pb.OKAY
    assert resp.payload == b'{"amount": 5}'
    assert resp.headers["object_id"] == "18446744073709551615"
    assert resp.headers["cls_id"] == "example.Account"
    assert resp.headers["fn_id"] == "deposit"
    assert resp.headers["partition_id"] == "12"
    assert resp.invocation_id != ""


def test_invoke_obj_string_id_wins_over_numeric(stub):
    req = pb.ObjectInvocationRequest(
        partition_id=1,
        object_id=77,
        object_id_str="acct/ü-42",
        cls_id="example.Account",
        fn_id="get",
        payload=b"p",
    )
    resp = stub.InvokeObj(req, timeout=10)
    assert resp.status == pb.OKAY
    assert resp.payload == b"p"
    assert resp.headers["object_id"] == "acct/ü-42"
    assert resp.headers["partition_id"] == "1"


def test_invoke_obj_string_id_only(stub):
    resp = stub.InvokeObj(pb.ObjectInvocationRequest(object_id_str="o-1", fn_id="x"), timeout=10)
    assert resp.headers["object_id"] == "o-1"


def test_invocation_ids_are_unique(stub):
    ids = set()
    for i in range(20):
        method = stub.InvokeFn if i % 2 else stub.InvokeObj
        req = sup.fn_request("echo", b"x") if i % 2 else pb.ObjectInvocationRequest(fn_id="echo")
        ids.add(method(req, timeout=10).invocation_id)
    assert "" not in ids
    assert len(ids) == 20


def test_3mib_payload_echo(stub):
    payload = os.urandom(3 * MiB)
    resp = stub.InvokeObj(
        pb.ObjectInvocationRequest(object_id=9, fn_id="echo", payload=payload), timeout=30
    )
    assert resp.status == pb.OKAY
    assert len(resp.payload) == len(payload)
    assert resp.payload == payload


def test_many_concurrent_calls_on_one_channel(stub):
    # One call first, so the client knows the server's SETTINGS (max concurrent streams)
    # before it opens more streams than that at once.
    assert stub.InvokeFn(sup.fn_request("echo", b"warm"), timeout=10).payload == b"warm"
    futures = [
        stub.InvokeFn.future(sup.fn_request("sleep" if i % 3 == 0 else "echo", b"50" if i % 3 == 0 else b"%d" % i), timeout=20)
        for i in range(80)
    ]
    for i, f in enumerate(futures):
        resp = f.result()
        assert resp.status == pb.OKAY
        assert resp.payload == (b"50" if i % 3 == 0 else b"%d" % i)


def test_sleep_echoes_after_the_delay(stub):
    start = time.monotonic()
    resp = stub.InvokeFn(sup.fn_request("sleep", b"300"), timeout=10)
    elapsed = time.monotonic() - start
    assert resp.status == pb.OKAY
    assert resp.payload == b"300"
    assert elapsed >= 0.28, f"replied after {elapsed:.3f}s, before the 300 ms sleep ended"


def test_deadline_exceeded_and_server_keeps_serving(server, stub):
    start = time.monotonic()
    with pytest.raises(grpc.RpcError) as err:
        stub.InvokeFn(sup.fn_request("sleep", b"2000"), timeout=0.2)
    assert err.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert time.monotonic() - start < 1.5
    with pytest.raises(grpc.RpcError) as err:
        stub.InvokeObj(pb.ObjectInvocationRequest(fn_id="sleep", payload=b"2000"), timeout=0.2)
    assert err.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    sup.assert_serving(server)
    assert stub.InvokeFn(sup.fn_request("echo", b"same channel"), timeout=10).payload == b"same channel"


def test_cancelled_call_is_counted_and_server_keeps_serving(server):
    ch = sup.channel(server)
    stub = pb_grpc.OprcFunctionStub(ch)
    assert stub.InvokeFn(sup.fn_request("echo", b"warm"), timeout=10).payload == b"warm"
    future = stub.InvokeFn.future(sup.fn_request("sleep", b"10000"), timeout=30)
    time.sleep(0.3)
    assert not future.done()
    assert future.cancel()
    assert future.cancelled()
    with pytest.raises(grpc.FutureCancelledError):
        future.result()
    time.sleep(0.2)  # let the RST_STREAM reach the server
    assert stub.InvokeFn(sup.fn_request("echo", b"after"), timeout=10).payload == b"after"
    sup.assert_serving(server)
    ch.close()
    result = server.stop()
    counts = result.nonzero_counts()
    assert counts.get("1", 0) >= 1, f"no CANCELLED in STATUS_COUNTS {result.status_counts}"
    assert counts.get("0") == 3, f"expected exactly 3 OK calls, STATUS_COUNTS {result.status_counts}"


def test_oversized_message_is_resource_exhausted(server, stub):
    with pytest.raises(grpc.RpcError) as err:
        stub.InvokeFn(sup.fn_request("echo", b"\xab" * (5 * MiB)), timeout=30)
    assert err.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    sup.assert_serving(server)


def test_max_receive_message_bytes_flag(server_factory):
    server = server_factory("--max-receive-message-bytes", "1024")
    with sup.channel(server) as ch:
        stub = pb_grpc.OprcFunctionStub(ch)
        assert stub.InvokeFn(sup.fn_request("echo", b"a" * 900), timeout=10).payload == b"a" * 900
        with pytest.raises(grpc.RpcError) as err:
            stub.InvokeFn(sup.fn_request("echo", b"a" * 2000), timeout=10)
        assert err.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert stub.InvokeFn(sup.fn_request("echo", b"b"), timeout=10).payload == b"b"
    counts = server.stop().nonzero_counts()
    assert counts.get("8") == 1, counts


@pytest.mark.parametrize("method", ["InvokeFn", "InvokeObj"])
def test_fail_is_app_error_in_band(stub, method):
    req = sup.fn_request("fail", b"x") if method == "InvokeFn" else pb.ObjectInvocationRequest(fn_id="fail", payload=b"x")
    resp, call = getattr(stub, method).with_call(req, timeout=10)
    assert call.code() == grpc.StatusCode.OK
    assert resp.status == pb.APP_ERROR
    assert resp.payload == b"failed on purpose"


@pytest.mark.parametrize("method", ["InvokeFn", "InvokeObj"])
def test_throw_is_unknown_with_message(stub, method):
    req = sup.fn_request("throw", b"x") if method == "InvokeFn" else pb.ObjectInvocationRequest(fn_id="throw", payload=b"x")
    with pytest.raises(grpc.RpcError) as err:
        getattr(stub, method)(req, timeout=10)
    assert err.value.code() == grpc.StatusCode.UNKNOWN
    assert err.value.details() == "thrown on purpose"


def test_status_counts_match_the_calls_made(server):
    with sup.channel(server) as ch:
        stub = pb_grpc.OprcFunctionStub(ch)
        for _ in range(3):
            stub.InvokeFn(sup.fn_request("echo", b"e"), timeout=10)
        stub.InvokeObj(pb.ObjectInvocationRequest(fn_id="fail"), timeout=10)
        for _ in range(2):
            with pytest.raises(grpc.RpcError):
                stub.InvokeObj(pb.ObjectInvocationRequest(fn_id="throw"), timeout=10)
    counts = server.stop().nonzero_counts()
    assert counts.get("0") == 4, counts
    assert counts.get("2") == 2, counts
    assert set(counts) <= {"0", "2", "12"}, counts


@pytest.mark.parametrize("path", ["/oprc.OprcFunction/Nope", "/no.Such/Service", "/oprc.OprcFunction/invokefn"])
def test_unknown_method_is_unimplemented(server, path):
    with sup.channel(server) as ch:
        call = ch.unary_unary(path, request_serializer=None, response_deserializer=None)
        with pytest.raises(grpc.RpcError) as err:
            call(b"", timeout=10)
        assert err.value.code() == grpc.StatusCode.UNIMPLEMENTED
        # the same channel still works
        stub = pb_grpc.OprcFunctionStub(ch)
        assert stub.InvokeFn(sup.fn_request("echo", b"ok"), timeout=10).payload == b"ok"


def test_gzip_compressed_call(stub):
    payload = b"compress me " * 5000
    resp = stub.InvokeFn(sup.fn_request("echo", payload), timeout=10, compression=grpc.Compression.Gzip)
    assert resp.status == pb.OKAY
    assert resp.payload == payload


def test_gzip_channel_default(server):
    ch = sup.channel(server, compression=grpc.Compression.Gzip)
    with ch:
        stub = pb_grpc.OprcFunctionStub(ch)
        resp = stub.InvokeObj(pb.ObjectInvocationRequest(object_id=5, payload=b"z" * 100000), timeout=10)
        assert resp.payload == b"z" * 100000
        assert resp.headers["object_id"] == "5"
