#!/usr/bin/env python3
"""Checks that grpc-swift-reference answers as our servers do, through Python grpcio.

A reference that answered differently (another payload, a failed status) would make the
benchmark compare unlike work, so run this after building it:

    .venv-interop/bin/python benchmarks/grpc-swift-reference/check_reference.py [BINARY]

BINARY defaults to this folder's .build/release/grpc-swift-reference. The messages come from
Tests/interop/protos (the interop tests' independent copy of the wire contract), compiled with
grpc_tools into a temporary folder. Each check starts from a fresh server; prints one line per
check and closes with 'N passed, N failed'; exits 1 on any failure.
"""
import concurrent.futures
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import grpc
from grpc_tools import protoc

HERE = Path(__file__).resolve().parent
PROTOS = HERE.parents[1] / "Tests" / "interop" / "protos"


def load_messages():
    out = tempfile.mkdtemp(prefix="grpc-swift-reference-check-")
    if protoc.main(["grpc_tools.protoc", f"-I{PROTOS}", f"--python_out={out}",
                    str(PROTOS / "oprc_invoke.proto")]) != 0:
        sys.exit("grpc_tools.protoc failed")
    sys.path.insert(0, out)
    import oprc_invoke_pb2
    return out, oprc_invoke_pb2


class Server:
    """The reference on a free port; stopped with SIGTERM, which must exit 0."""

    def __init__(self, binary, *extra):
        self.process = subprocess.Popen([str(binary), "--port", "0", *extra],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.process.stdout.readline().split()
        if len(line) != 2 or line[0] != "LISTENING":
            self.process.kill()
            raise RuntimeError(f"no LISTENING line: {line}, stderr: {self.process.stderr.read()}")
        self.port = int(line[1])

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return "did not exit within 10 s of SIGTERM"


def main():
    binary = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / ".build" / "release" / "grpc-swift-reference"
    stubs, pb = load_messages()
    results = []

    def check(name, condition, detail=""):
        results.append(bool(condition))
        print(f"{'ok  ' if condition else 'FAIL'} {name}{'' if condition else ': ' + str(detail)}")

    def calls(channel):
        obj = channel.unary_unary("/oprc.OprcFunction/InvokeObj",
                                  request_serializer=pb.ObjectInvocationRequest.SerializeToString,
                                  response_deserializer=pb.InvocationResponse.FromString)
        fn = channel.unary_unary("/oprc.OprcFunction/InvokeFn",
                                 request_serializer=pb.InvocationRequest.SerializeToString,
                                 response_deserializer=pb.InvocationResponse.FromString)
        return obj, fn

    def add(obj, payload, **ids):
        return obj(pb.ObjectInvocationRequest(cls_id="math.Calculator", fn_id="add",
                                              payload=payload, **ids), timeout=5)

    for extra in ([], ["--one-thread"]):
        mode = " ".join(extra) or "default"
        server = Server(binary, *extra)
        with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            obj, fn = calls(channel)
            reply = obj(pb.ObjectInvocationRequest(cls_id="math.Calculator", fn_id="echo",
                                                   payload=b'{"a":1,"b":2}'), timeout=5)
            check(f"[{mode}] InvokeObj echo", reply.status == pb.OKAY and reply.payload == b'{"a":1,"b":2}', reply)
            reply = fn(pb.InvocationRequest(cls_id="x", fn_id="anything", payload=b"hello"), timeout=5)
            check(f"[{mode}] InvokeFn echoes", reply.status == pb.OKAY and reply.payload == b"hello", reply)

            totals = [add(obj, p, object_id_str="a").payload for p in (b"5", b" 2.5\n", b"-1e1")]
            check(f"[{mode}] add keeps a running total", totals == [b"5.0", b"7.5", b"-2.5"], totals)
            reply = add(obj, b"1", object_id_str="b")
            check(f"[{mode}] objects are apart", reply.payload == b"1.0", reply)
            first = add(obj, b"3", object_id=7).payload
            second = add(obj, b"1", object_id_str="7").payload
            check(f"[{mode}] numeric id 7 is object '7'", (first, second) == (b"3.0", b"4.0"), (first, second))
            reply = add(obj, b"1", object_id_str="a", partition_id=1)
            check(f"[{mode}] partitions are apart", reply.payload == b"1.0", reply)

            for bad in (b"abc", b'"5"', b"01", b"1.", b".5", b"inf", b""):
                reply = add(obj, bad, object_id_str="a")
                check(f"[{mode}] payload {bad!r} is APP_ERROR", reply.status == pb.APP_ERROR and reply.payload, reply)
            reply = add(obj, b"1")
            check(f"[{mode}] add without object id is INVALID_REQUEST", reply.status == pb.INVALID_REQUEST, reply)
            reply = obj(pb.ObjectInvocationRequest(cls_id="math.Calculator", fn_id="nope", object_id_str="a"), timeout=5)
            check(f"[{mode}] unknown fn is INVALID_REQUEST", reply.status == pb.INVALID_REQUEST, reply)

            # 400 concurrent adds of 0.5 on one object over 4 channels: no update may be lost.
            channels = [grpc.insecure_channel(f"127.0.0.1:{server.port}") for _ in range(4)]
            with concurrent.futures.ThreadPoolExecutor(16) as pool:
                list(pool.map(lambda i: add(calls(channels[i % 4])[0], b"0.5", object_id_str="c"), range(400)))
            for extra_channel in channels:
                extra_channel.close()
            reply = add(obj, b"0", object_id_str="c")
            check(f"[{mode}] 400 concurrent adds lose nothing", reply.payload == b"200.0", reply)
        status = server.stop()
        check(f"[{mode}] SIGTERM exits 0", status == 0, status)

    shutil.rmtree(stubs, ignore_errors=True)
    passed = sum(results)
    print(f"{passed} passed, {len(results) - passed} failed")
    sys.exit(0 if passed == len(results) else 1)


if __name__ == "__main__":
    main()
