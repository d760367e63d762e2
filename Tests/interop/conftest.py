"""Fixtures: the echo server binary (built once per session), echo servers started per test,
and the demo's OaaS services (`demo serve`), started once per module that uses them."""

from __future__ import annotations

import grpc
import pytest

import demo_support
import interop_support as sup


@pytest.fixture(scope="session", autouse=True)
def server_binary():
    """Builds (once) or locates `oaas-grpc-echo` before any test starts a server."""
    try:
        return sup.server_binary()
    except Exception as exc:  # a missing server is one clear error, not forty
        pytest.exit(f"cannot get the oaas-grpc-echo binary: {exc}", returncode=3)


@pytest.fixture
def server_factory():
    """start(*flags, drain_seconds=2) -> ServerProcess. Every server a test started is stopped
    with SIGTERM at teardown (unless the test did it) and must exit 0 with STATUS_COUNTS."""
    started: list[sup.ServerProcess] = []

    def start(*flags: str, drain_seconds: float = 2.0) -> sup.ServerProcess:
        server = sup.start_server(*flags, drain_seconds=drain_seconds)
        started.append(server)
        return server

    yield start
    sup.close_everything_opened()
    problems = []
    for server in started:
        try:
            server.stop()
        except AssertionError as exc:
            problems.append(str(exc))
        finally:
            server.kill()
    if problems:
        pytest.fail("graceful stop failed: " + "; ".join(problems))


@pytest.fixture
def server(server_factory) -> sup.ServerProcess:
    """A server with the default limits."""
    return server_factory()


@pytest.fixture
def stub(server):
    ch = sup.channel(server)
    yield sup.pb_grpc.OprcFunctionStub(ch)
    ch.close()


# ---------------------------------------------------------------------------------------------
# The demo's OaaS services (`demo serve`), one server per test module that asks for it.


@pytest.fixture(scope="module")
def demo_server():
    """A running `demo serve --port 0` shared by the module's tests; at teardown it gets
    SIGTERM and must exit 0 within 15 s."""
    try:
        demo_support.demo_binary()
    except Exception as exc:
        pytest.fail(f"cannot get the demo binary: {exc}", pytrace=False)
    server = demo_support.DemoServer()
    try:
        yield server
    finally:
        try:
            code, seconds = server.stop(timeout=15.0)
        finally:
            server.kill()
        assert code == 0, f"demo exited with {code}; stderr tail: {server.stderr()[-2000:]!r}"


@pytest.fixture(scope="module")
def demo_channel(demo_server):
    """One grpcio channel to the module's demo server, closed before the server stops."""
    ch = grpc.insecure_channel(demo_server.address, options=sup.CHANNEL_OPTIONS)
    yield ch
    ch.close()


@pytest.fixture(scope="module")
def demo_stub(demo_channel):
    return sup.pb_grpc.OprcFunctionStub(demo_channel)
