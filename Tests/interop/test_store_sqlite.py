"""The SQLite object store through real `demo serve` processes: objects outlive the process,
a kill -9 under load loses no acknowledged call, and a bad file, an unwritable place or a full
disk give clear errors without losing what was committed."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import grpc
import pytest

import interop_support as sup
from demo_support import CALC, DemoServer, demo_binary, obj_request, status_name


def add(stub, object_id: str, value: float, timeout: float = 10.0):
    return stub.InvokeObj(obj_request(CALC, "add", str(value).encode(), object_id=object_id), timeout=timeout)


def serve(store: str, **kwargs) -> DemoServer:
    return DemoServer(args=["--port", "0", "--store", store], **kwargs)


def value_of(server: DemoServer, object_id: str) -> float:
    """The object's result, read with add(0) (which changes nothing and commits nothing)."""
    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        response = add(sup.pb_grpc.OprcFunctionStub(channel), object_id, 0)
        assert response.status == 0, status_name(response.status)
        return float(response.payload)


def demo_objects(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(demo_binary()), "objects", *args], capture_output=True, text=True, timeout=60)


@pytest.fixture
def data_dir():
    path = Path(tempfile.mkdtemp(prefix="oaas-sqlite-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_objects_survive_a_restart_and_demo_objects_shows_them(data_dir):
    store = f"sqlite:{data_dir}/nested/objects.db"
    server = serve(store)
    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        stub = sup.pb_grpc.OprcFunctionStub(channel)
        for _ in range(3):
            assert add(stub, "kept", 2).status == 0
    code, _ = server.stop()
    assert code == 0
    assert any(line.startswith("STORE transactions=") for line in server.lines)

    again = serve(store)
    try:
        assert value_of(again, "kept") == 6.0
        # Read beside the running server, which holds the serving lock.
        listing = demo_objects("--store", store)
        assert listing.returncode == 0, listing.stderr
        assert "math.Calculator/0/kept" in listing.stdout.splitlines()
        shown = demo_objects("--store", store, CALC, "kept")
        assert shown.returncode == 0, shown.stderr
        assert shown.stdout.strip() == '{"result": 6.0}'
        missing = demo_objects("--store", store, CALC, "nobody")
        assert missing.returncode == 1
        assert "no object math.Calculator/0/nobody" in missing.stderr
    finally:
        again.stop()


def test_a_second_server_on_the_same_file_is_refused(data_dir):
    store = f"sqlite:{data_dir}/objects.db"
    first = serve(store)
    try:
        result = subprocess.run([str(demo_binary()), "serve", "--port", "0", "--store", store],
                                capture_output=True, text=True, timeout=60,
                                env={**os.environ, "OAAS_SERVER_HOST": "127.0.0.1"})
        assert result.returncode == 1
        assert f"pid {first.proc.pid}" in result.stderr
        assert "nats-kv://" in result.stderr
    finally:
        first.stop()


def test_kill_9_under_load_loses_no_acknowledged_add(data_dir):
    store = f"sqlite:{data_dir}/objects.db"
    server = serve(store)
    objects = [f"k{i}" for i in range(4)]
    acked = {o: 0 for o in objects}
    sent = {o: 0 for o in objects}
    lock = threading.Lock()
    stop = threading.Event()

    def client(index: int):
        object_id = objects[index % len(objects)]
        with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            stub = sup.pb_grpc.OprcFunctionStub(channel)
            while not stop.is_set():
                with lock:
                    sent[object_id] += 1
                try:
                    response = add(stub, object_id, 1, timeout=5)
                except grpc.RpcError:
                    return  # the server died under this call
                if response.status == 0:
                    with lock:
                        acked[object_id] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    time.sleep(2.0)
    server.proc.send_signal(signal.SIGKILL)
    server.proc.wait(timeout=10)
    stop.set()
    for thread in threads:
        thread.join(timeout=15)
    assert sum(acked.values()) > 50, f"too few calls were answered before the kill: {acked}"

    again = serve(store)
    try:
        for object_id in objects:
            value = value_of(again, object_id)
            assert acked[object_id] <= value <= sent[object_id], (object_id, acked[object_id], value, sent[object_id])
    finally:
        again.stop()


def test_a_file_that_is_not_sqlite_is_refused_at_start(data_dir):
    path = data_dir / "garbage.db"
    garbage = os.urandom(8192)
    path.write_bytes(garbage)
    result = subprocess.run([str(demo_binary()), "serve", "--port", "0", "--store", f"sqlite:{path}"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert str(path) in result.stderr
    assert "not a database" in result.stderr
    assert "READY" not in result.stdout
    assert path.read_bytes() == garbage


def test_a_place_that_cannot_be_written_is_refused_at_start(data_dir):
    blocker = data_dir / "a-file"
    blocker.write_text("not a directory")
    result = subprocess.run([str(demo_binary()), "serve", "--port", "0", "--store", f"sqlite:{blocker}/objects.db"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "cannot open the object store sqlite:" in result.stderr
    assert str(blocker) in result.stderr


def can_mount() -> bool:
    return os.geteuid() == 0 and shutil.which("mount") is not None


@pytest.mark.skipif(not can_mount(), reason="mounting a small tmpfs needs root")
def test_a_full_disk_fails_calls_with_the_cause_keeps_committed_objects_and_recovers(data_dir):
    mount_point = data_dir / "small"
    mount_point.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount_point)], check=True)
    server = None
    try:
        store = f"sqlite:{mount_point}/objects.db"
        server = serve(store)
        with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            stub = sup.pb_grpc.OprcFunctionStub(channel)
            assert add(stub, "safe", 5).status == 0
            # Fill what is left of the disk.
            filler = mount_point / "filler"
            descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT)
            try:
                while True:
                    os.write(descriptor, b"\0" * 4096)
            except OSError:
                pass  # ENOSPC: the disk is full
            finally:
                os.close(descriptor)
            failures = []
            for i in range(300):
                response = add(stub, f"new{i}", 1)
                if response.status != 0:
                    failures.append(response)
                    break
            assert failures, "no write failed although the disk is full"
            failed = failures[0]
            assert status_name(failed.status) == "SYSTEM_ERROR"
            assert "full" in failed.payload.decode().lower(), failed.payload
            # What was committed is still there.
            assert value_of(server, "safe") == 5.0
            # Space back: writes work again, on the same process and file.
            filler.unlink()
            assert add(stub, "safe", 1).status == 0
            assert value_of(server, "safe") == 6.0
        code, _ = server.stop()
        assert code == 0
        server = serve(store)
        assert value_of(server, "safe") == 6.0
    finally:
        if server is not None:
            server.stop()
        subprocess.run(["umount", "-l", str(mount_point)], check=False)
