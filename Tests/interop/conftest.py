"""Fixtures: the server binary (built once per session) and servers started per test."""

from __future__ import annotations

import pytest

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
