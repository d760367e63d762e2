"""The demo's OaaS services (math.Calculator, worker.BackgroundProcessor, hybrid.HybridService)
through the reference Python client, grpcio, against a real `demo serve` process.

One demo server serves the whole module (the `demo_server` fixture); the SIGTERM tests start
their own. Tests that need state use object ids of their own, so any subset runs alone."""

from __future__ import annotations

import json
import math
import signal

import grpc
import pytest

import demo_support as d
import interop_support as sup
from demo_support import CALC, HYBRID, WORKER, json_bytes
from interop_support import pb, pb_grpc

RPC_TIMEOUT = 5.0


# ---------------------------------------------------------------------------------------------
# Helpers.


def invoke_obj(stub, cls_id: str, fn_id: str, payload: bytes = b"", object_id=None) -> pb.InvocationResponse:
    return stub.InvokeObj(d.obj_request(cls_id, fn_id, payload, object_id), timeout=RPC_TIMEOUT)


def describe(resp: pb.InvocationResponse) -> str:
    return f"{d.status_name(resp.status)} {resp.payload!r}"


def ok_json(resp: pb.InvocationResponse):
    assert resp.status == pb.OKAY, describe(resp)
    assert resp.HasField("payload"), "an OKAY response without a payload"
    return json.loads(resp.payload)


def add(stub, object_id, value) -> float:
    """`math.Calculator/add` on `object_id` (str: field 7, int: field 2); the new result."""
    result = ok_json(invoke_obj(stub, CALC, "add", json_bytes(value), object_id))
    assert isinstance(result, (int, float)) and not isinstance(result, bool), result
    return float(result)


def current(stub, object_id) -> float:
    """The object's result, read by adding 0 (which changes nothing)."""
    return add(stub, object_id, 0)


def assert_invalid_request(resp: pb.InvocationResponse, text: str | None = None) -> None:
    assert resp.status == pb.INVALID_REQUEST, describe(resp)
    if text is not None:
        assert resp.payload.decode() == text


# ---------------------------------------------------------------------------------------------
# 1, 2: state per object, and both wire forms of the object id.


def test_add_keeps_a_result_per_object(demo_stub):
    first = invoke_obj(demo_stub, CALC, "add", json_bytes(5), "7")
    assert ok_json(first) == 5  # the server answers 5.0: compared as numbers
    assert add(demo_stub, "7", 2.5) == 7.5
    # Another object starts from 0 and does not disturb "7".
    assert add(demo_stub, "8", 1) == 1
    assert add(demo_stub, "8", 1) == 2
    assert current(demo_stub, "7") == 7.5


def test_numeric_object_id_is_the_same_object_as_the_string_id(demo_stub):
    # After the test above object 7 holds 7.5, and this adds 1 through field 2: 8.5. Written
    # relative to what "7" holds so the test also runs alone.
    before = current(demo_stub, "7")
    assert add(demo_stub, 7, 1) == before + 1
    assert current(demo_stub, "7") == before + 1
    # And the other way round, on an object of this test only.
    assert add(demo_stub, 4242, 2) == 2
    assert add(demo_stub, "4242", 1) == 3
    assert add(demo_stub, 4242, 0) == 3
    # The largest uint64 is not wrapped or negated.
    assert add(demo_stub, 18446744073709551615, 1) == 1
    assert current(demo_stub, "18446744073709551615") == 1


def test_string_object_id_wins_over_the_numeric_one(demo_stub):
    req = d.obj_request(CALC, "add", b"4", "both-fields")
    req.object_id = 99_001
    assert ok_json(demo_stub.InvokeObj(req, timeout=RPC_TIMEOUT)) == 4
    assert current(demo_stub, "both-fields") == 4
    assert current(demo_stub, 99_001) == 0


def test_partitions_are_separate(demo_stub):
    a = d.obj_request(CALC, "add", b"1", "part", partition_id=0)
    b = d.obj_request(CALC, "add", b"10", "part", partition_id=5)
    assert ok_json(demo_stub.InvokeObj(a, timeout=RPC_TIMEOUT)) == 1
    assert ok_json(demo_stub.InvokeObj(b, timeout=RPC_TIMEOUT)) == 10
    assert ok_json(demo_stub.InvokeObj(a, timeout=RPC_TIMEOUT)) == 2


# ---------------------------------------------------------------------------------------------
# 3: bad arguments.

ERROR_KEYS = {"error_type", "parameter_type", "error_message", "error_code", "details"}


@pytest.mark.parametrize(
    "payload, code, message",
    [
        (json_bytes("five"), "TYPE_MISMATCH_ERROR", "Type mismatch: expected Double, got string"),
        (b"not json", "DESERIALIZATION_ERROR", None),
        (json_bytes([1]), "TYPE_MISMATCH_ERROR", "Type mismatch: expected Double, got array"),
        (json_bytes({"value": 1}), "TYPE_MISMATCH_ERROR", "Type mismatch: expected Double, got object"),
        (json_bytes(True), "TYPE_MISMATCH_ERROR", "Type mismatch: expected Double, got boolean"),
    ],
    ids=["string", "not-json", "array", "object", "bool"],
)
def test_bad_argument_is_app_error_and_leaves_state_alone(demo_stub, payload, code, message):
    oid = f"bad-arg-{code}-{payload.hex()}"
    assert add(demo_stub, oid, 3) == 3
    resp = invoke_obj(demo_stub, CALC, "add", payload, oid)
    assert resp.status == pb.APP_ERROR, describe(resp)
    error = json.loads(resp.payload)
    assert isinstance(error, dict) and set(error) == ERROR_KEYS, error
    assert error["error_type"] == "SerializationError"
    assert error["parameter_type"] == "Double"
    assert error["error_code"] == code
    assert isinstance(error["error_message"], str) and error["error_message"]
    if message is not None:
        assert error["error_message"] == message
    assert error["details"] == {}
    assert current(demo_stub, oid) == 3


def test_bad_argument_error_payload_is_exactly_the_python_sdk_one(demo_stub):
    resp = invoke_obj(demo_stub, CALC, "add", json_bytes("five"), "bad-arg-exact")
    assert resp.status == pb.APP_ERROR, describe(resp)
    assert json.loads(resp.payload) == {
        "error_type": "SerializationError",
        "parameter_type": "Double",
        "error_message": "Type mismatch: expected Double, got string",
        "error_code": "TYPE_MISMATCH_ERROR",
        "details": {},
    }
    # json.dumps's separators, as the Python SDK writes it.
    assert resp.payload.startswith(b'{"error_type": "SerializationError", ')


# ---------------------------------------------------------------------------------------------
# 4: unknown class and method.


def test_unknown_class_is_invalid_request(demo_stub):
    resp = invoke_obj(demo_stub, "math.Nope", "add", b"1", "7")
    assert_invalid_request(resp, "cls_id 'math.Nope' not found")
    resp = demo_stub.InvokeFn(d.fn_request("math.Nope", "add", b"1"), timeout=RPC_TIMEOUT)
    assert_invalid_request(resp, "cls_id 'math.Nope' not found")


def test_unknown_method_is_invalid_request(demo_stub):
    resp = invoke_obj(demo_stub, CALC, "subtract", b"1", "7")
    assert_invalid_request(resp, "fn_id 'subtract' not found")
    resp = demo_stub.InvokeFn(d.fn_request(CALC, "subtract", b"1"), timeout=RPC_TIMEOUT)
    assert_invalid_request(resp, "fn_id 'subtract' not found")
    # A method of another class is not one of this class.
    resp = invoke_obj(demo_stub, CALC, "quick_info", b"", "7")
    assert_invalid_request(resp, "fn_id 'quick_info' not found")


# ---------------------------------------------------------------------------------------------
# 5: the other methods.


def test_complex_calculation_uses_the_stored_result(demo_stub):
    assert add(demo_stub, "cc", 2) == 2
    resp = invoke_obj(demo_stub, CALC, "complex_calculation", json_bytes([1, 2, 3]), "cc")
    assert ok_json(resp) == 12
    assert current(demo_stub, "cc") == 2  # reading the result does not change it
    # A fresh object's result is 0.
    resp = invoke_obj(demo_stub, CALC, "complex_calculation", json_bytes([1, 2, 3]), "cc-fresh")
    assert ok_json(resp) == 0


def test_quick_info_answers_raw_text(demo_stub):
    resp = invoke_obj(demo_stub, HYBRID, "quick_info", b"", "456")
    assert resp.status == pb.OKAY, describe(resp)
    assert resp.payload == b"This is served by the server"  # raw UTF-8, not a JSON string


def test_heavy_work_counts_its_items(demo_stub):
    resp = invoke_obj(demo_stub, HYBRID, "heavy_work", json_bytes(["a", "b"]), "456")
    assert ok_json(resp) == {"processed_count": 2}


def test_process_data_echoes_its_argument(demo_stub):
    resp = invoke_obj(demo_stub, WORKER, "process_data", json_bytes({"job": 1}), "123")
    assert ok_json(resp) == {"processed": True, "result": {"job": 1}}


def test_invoke_fn_runs_the_stateless_path(demo_stub):
    resp = demo_stub.InvokeFn(d.fn_request(HYBRID, "quick_info"), timeout=RPC_TIMEOUT)
    assert resp.status == pb.OKAY, describe(resp)
    assert resp.payload == b"This is served by the server"
    resp = demo_stub.InvokeFn(d.fn_request(HYBRID, "heavy_work", json_bytes([1, 2, 3])), timeout=RPC_TIMEOUT)
    assert ok_json(resp) == {"processed_count": 3}
    # No object: every call starts from a fresh result, and nothing is stored.
    for _ in range(2):
        resp = demo_stub.InvokeFn(d.fn_request(CALC, "add", json_bytes(3)), timeout=RPC_TIMEOUT)
        assert ok_json(resp) == 3


# ---------------------------------------------------------------------------------------------
# 6: object ids.


@pytest.mark.parametrize(
    "object_id, why",
    [
        ("", "empty string in field 7"),
        (None, "no id at all"),
        (0, "numeric 0 in field 2"),
        ("x" * 1024, "1 KiB"),
        ("😀" * 128 + "x", "513 UTF-8 bytes"),
        ("a/b", "slash"),
        ("/", "only a slash"),
        ("a\nb", "control character"),
    ],
    ids=["empty", "absent", "zero", "1KiB", "513-bytes", "slash", "only-slash", "newline"],
)
def test_bad_object_id_is_invalid_request(demo_stub, object_id, why):
    resp = invoke_obj(demo_stub, CALC, "add", b"1", object_id)
    assert_invalid_request(resp)
    assert resp.payload, f"INVALID_REQUEST without a reason for {why}"


def test_object_id_limit_counts_utf8_bytes(demo_stub):
    oid = "😀" * 128  # exactly 512 bytes
    assert add(demo_stub, oid, 1) == 1
    assert add(demo_stub, oid, 1) == 2


def test_non_ascii_object_ids(demo_stub):
    assert add(demo_stub, "ü-😀", 3) == 3
    assert add(demo_stub, "u-😀", 1) == 1
    assert current(demo_stub, "ü-😀") == 3
    assert current(demo_stub, "u-😀") == 1


def test_canonically_equivalent_object_ids_are_distinct_objects(demo_stub):
    composed, decomposed = "nfc-\u00fc", "nfc-u\u0308"
    assert composed.encode() != decomposed.encode()
    assert add(demo_stub, composed, 3) == 3
    assert add(demo_stub, decomposed, 1) == 1


# ---------------------------------------------------------------------------------------------
# 7: concurrent calls on one object.


def test_1000_concurrent_adds_on_one_object(demo_stub):
    oid = "concurrent-1000"
    # One call first, so the client knows the server's SETTINGS before opening its streams
    # (grpcio queues what exceeds the server's 100 concurrent streams).
    assert current(demo_stub, oid) == 0
    futures = [
        demo_stub.InvokeObj.future(d.obj_request(CALC, "add", b"1", oid), timeout=15.0) for _ in range(1000)
    ]
    values = []
    for f in futures:
        values.append(ok_json(f.result(timeout=20.0)))
    # Calls of one object run one at a time: every call saw a different result.
    assert sorted(values) == list(range(1, 1001))
    assert current(demo_stub, oid) == 1000


# ---------------------------------------------------------------------------------------------
# 8: SIGTERM with calls in flight, on a server of its own.


@pytest.mark.parametrize("signal_after", [1, 30, 100], ids=lambda n: f"after-{n}-issued")
def test_sigterm_with_calls_in_flight(demo_server, signal_after):
    # `demo_server` is asked for only so this test runs beside the module's server; it gets a
    # second one of its own to stop.
    server = d.DemoServer()
    ch = grpc.insecure_channel(server.address, options=sup.CHANNEL_OPTIONS)
    try:
        stub = pb_grpc.OprcFunctionStub(ch)
        oid = "drained"
        assert current(stub, oid) == 0  # the connection is up and SETTINGS are known
        futures = []
        for i in range(100):
            if i == signal_after:
                server.send_signal()
            futures.append(stub.InvokeObj.future(d.obj_request(CALC, "add", b"1", oid), timeout=10.0))
        if signal_after >= 100:
            server.send_signal()

        code, seconds = server.stop(timeout=15.0)
        assert code == 0, f"demo exited with {code}; stderr tail: {server.stderr()[-2000:]!r}"
        assert "stopped" in server.lines, server.lines[-10:]

        values, unavailable, wrong = [], 0, []
        for i, f in enumerate(futures):
            try:
                resp = f.result(timeout=15.0)
            except grpc.FutureTimeoutError:
                wrong.append((i, "no answer within 15 s"))
                continue
            except grpc.RpcError as exc:
                if exc.code() == grpc.StatusCode.UNAVAILABLE:
                    unavailable += 1
                else:
                    wrong.append((i, f"{exc.code()}: {exc.details()}"))
                continue
            if resp.status != pb.OKAY:
                wrong.append((i, describe(resp)))
                continue
            values.append(json.loads(resp.payload))
        assert not wrong, f"calls neither OK nor UNAVAILABLE: {wrong[:10]}"
        assert len(values) + unavailable == 100
        # Every answered add was committed in order: the results are 1..n, none twice.
        assert sorted(values) == list(range(1, len(values) + 1)), sorted(values)
        assert all(not math.isnan(v) for v in values)
        print(f"SIGTERM after {signal_after} issued: {len(values)} OK, {unavailable} UNAVAILABLE, "
              f"exit 0 after {seconds:.3f}s")
    finally:
        ch.close()
        server.kill()


def test_sigterm_right_after_listening_is_graceful(demo_server):
    # Each attempt almost always hits the window; ten graceful exits in a row mean it is fixed.
    for attempt in range(10):
        server = d.DemoServer()
        try:
            server.send_signal(signal.SIGTERM)
            code, _ = server.stop(timeout=3.0)
            assert code == 0, f"attempt {attempt}: SIGTERM right after LISTENING gave exit code {code}"
        finally:
            server.kill()
