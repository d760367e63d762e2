"""Load and inspection with nghttp2's own command-line clients, h2load and nghttp."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

import interop_support as sup
from interop_support import pb


@pytest.fixture(autouse=True)
def nghttp2_clients():
    for tool in ("h2load", "nghttp"):
        assert shutil.which(tool), f"{tool} missing: scripts/install-deps.sh test installs nghttp2-client"

GRPC_HEADERS = ["-H", "content-type: application/grpc", "-H", "te: trailers"]


def obj_body(tmp_path, payload: bytes = b"load-test-payload") -> str:
    req = pb.ObjectInvocationRequest(
        partition_id=2, object_id=42, cls_id="bench.Obj", fn_id="echo", payload=payload
    )
    path = tmp_path / "request.bin"
    path.write_bytes(sup.grpc_frame(req.SerializeToString()))
    return str(path)


def parse_h2load(out: str) -> dict[str, int]:
    m = re.search(
        r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, "
        r"(\d+) errored, (\d+) timeout",
        out,
    )
    assert m, f"no requests line in h2load output:\n{out}"
    keys = ["total", "started", "done", "succeeded", "failed", "errored", "timeout"]
    result = dict(zip(keys, map(int, m.groups())))
    m = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", out)
    assert m, f"no status codes line in h2load output:\n{out}"
    result["2xx"] = int(m.group(1))
    return result


@pytest.mark.timeout(240)
def test_h2load_many_connections_and_streams(server_factory, tmp_path):
    server = server_factory()
    n = 20000
    proc = subprocess.run(
        ["h2load", "-n", str(n), "-c", "16", "-m", "10", *GRPC_HEADERS, "-d", obj_body(tmp_path),
         f"http://{server.address}{sup.INVOKE_OBJ}"],
        capture_output=True, text=True, timeout=200,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    stats = parse_h2load(proc.stdout)
    assert stats == {"total": n, "started": n, "done": n, "succeeded": n, "failed": 0,
                     "errored": 0, "timeout": 0, "2xx": n}, proc.stdout
    sup.assert_serving(server)
    result = server.stop()
    # h2load cannot read trailers; the server's own count proves every call ended with OK.
    assert result.nonzero_counts() == {"0": n + 1}, result.status_counts


def test_nghttp_shows_grpc_status_trailer(server, tmp_path):
    proc = subprocess.run(
        ["nghttp", "-v", *GRPC_HEADERS, "-d", obj_body(tmp_path, b"nghttp!"),
         f"http://{server.address}{sup.INVOKE_OBJ}"],
        capture_output=True, timeout=30,
    )
    out = proc.stdout.decode("utf-8", "replace")
    assert proc.returncode == 0, out + proc.stderr.decode("utf-8", "replace")
    received = re.findall(r"recv \(stream_id=\d+\) (:?[^:\s]+): (.*)", out)
    fields = [(k, v.strip()) for k, v in received]
    assert (":status", "200") in fields, out
    assert any(k == "content-type" and v.startswith("application/grpc") for k, v in fields), out
    assert ("grpc-status", "0") in fields, out
    # grpc-status must come in the trailers: a HEADERS frame after the DATA.
    frames = re.findall(r"recv (HEADERS|DATA) frame <length=\d+, flags=(0x[0-9a-f]+)", out)
    kinds = [k for k, _ in frames]
    assert kinds[:1] == ["HEADERS"] and "DATA" in kinds and kinds[-1] == "HEADERS", frames
    assert int(frames[-1][1], 16) & 0x1, "trailers HEADERS frame lacks END_STREAM"
    assert b"nghttp!" in proc.stdout
    sup.assert_serving(server)


def test_nghttp_text_plain_is_415(server, tmp_path):
    proc = subprocess.run(
        ["nghttp", "-v", "-H", "content-type: text/plain", "-d", obj_body(tmp_path),
         f"http://{server.address}{sup.INVOKE_OBJ}"],
        capture_output=True, timeout=30,
    )
    out = proc.stdout.decode("utf-8", "replace")
    assert re.search(r"recv \(stream_id=\d+\) :status: 415", out), out
    sup.assert_serving(server)


def test_nghttp_unknown_method_trailers(server, tmp_path):
    proc = subprocess.run(
        ["nghttp", "-v", *GRPC_HEADERS, "-d", obj_body(tmp_path),
         f"http://{server.address}/oprc.OprcFunction/Nope"],
        capture_output=True, timeout=30,
    )
    out = proc.stdout.decode("utf-8", "replace")
    assert re.search(r"recv \(stream_id=\d+\) grpc-status: 12", out), out
    sup.assert_serving(server)
