"""The demo's agents on a real NATS bus, called by nats-py as another platform component would:
a real nats-server, real `demo serve --bus nats://...` processes, and nats-py's request/reply.

Every test starts its own nats-server and demos (the fixtures stop them), so each runs alone
and a server killed by one test never affects another."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import time

import grpc
import nats.errors
import pytest
from google.protobuf.message import DecodeError

import demo_support as d
import interop_support as sup
import nats_support as ns
from agent_support import DEFAULT_AGENTS, agent_demos  # noqa: F401  (fixture)
from demo_support import CALC, WORKER, json_bytes
from interop_support import pb, pb_grpc
from nats_support import call_agent, nats_server, nats_servers  # noqa: F401  (fixtures)

CALL_TIMEOUT = 5.0


def describe(resp: pb.InvocationResponse) -> str:
    return f"{d.status_name(resp.status)} {resp.payload!r}"


def ok_payload(resp: pb.InvocationResponse) -> bytes:
    assert resp.status == pb.OKAY, describe(resp)
    assert resp.HasField("payload"), "an OKAY reply without a payload"
    return resp.payload


async def add(nc, object_id: str, value: bytes, timeout: float = CALL_TIMEOUT) -> bytes:
    """`math.Calculator/add` through the agent of `object_id`: the reply's payload."""
    return ok_payload(await call_agent(nc, CALC, object_id, "add", value, timeout))


def grpc_total(demo, object_id: str) -> float:
    """The object's result in `demo`'s own store, read through its gRPC server (add 0)."""
    ch = grpc.insecure_channel(demo.address, options=sup.CHANNEL_OPTIONS)
    try:
        stub = pb_grpc.OprcFunctionStub(ch)
        resp = stub.InvokeObj(d.obj_request(CALC, "add", b"0", object_id), timeout=CALL_TIMEOUT)
        return float(json.loads(ok_payload(resp)))
    finally:
        ch.close()


def free_port() -> int:
    """A port nothing listens on (bound and released at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------------------------
# Calls through the bus.


def test_default_agents_serve_calls_from_nats_py(nats_server, agent_demos):
    demo = agent_demos(nats_server.url)
    assert sorted(demo.agents) == sorted(DEFAULT_AGENTS), demo.lines
    assert demo.port is not None, "no LISTENING line although the server was not turned off"

    async def scenario():
        nc = await ns.connect(nats_server.url)
        try:
            assert await add(nc, "7", b"5") == b"5.0"
            assert await add(nc, "7", b"2.5") == b"7.5"
            resp = await call_agent(nc, CALC, "7", "complex_calculation", json_bytes([1, 2, 3]), CALL_TIMEOUT)
            assert json.loads(ok_payload(resp)) == 45  # the stored 7.5 times the sum
            resp = await call_agent(nc, WORKER, "123", "process_data", json_bytes({"job": 1}), CALL_TIMEOUT)
            assert json.loads(ok_payload(resp)) == {"processed": True, "result": {"job": 1}}
        finally:
            await nc.close()

    asyncio.run(scenario())


def test_bus_url_from_the_environment_without_a_grpc_server(nats_server, agent_demos):
    demo = agent_demos(None, server=False, extra_env={"OPRC_BUS_URL": nats_server.url})
    assert demo.port is None and not any(line.startswith("LISTENING") for line in demo.lines), demo.lines
    assert sorted(demo.agents) == sorted(DEFAULT_AGENTS), demo.lines

    async def scenario():
        nc = await ns.connect(nats_server.url)
        try:
            assert await add(nc, "7", b"1") == b"1.0"
        finally:
            await nc.close()

    asyncio.run(scenario())


def test_invalid_protobuf_gets_invalid_request_and_the_agent_keeps_serving(nats_server, agent_demos):
    garbage = b"\xff\xff\xff"
    with pytest.raises(DecodeError):  # the premise: this is no ObjectInvocationRequest
        pb.ObjectInvocationRequest.FromString(garbage)
    agent_demos(nats_server.url, agents=["math.Calculator:7"])

    async def scenario():
        nc = await ns.connect(nats_server.url)
        try:
            subject = ns.subject_for_key(ns.object_key(CALC, "7", "add"))
            msg = await nc.request(subject, garbage, timeout=CALL_TIMEOUT)
            resp = pb.InvocationResponse.FromString(msg.data)
            assert resp.status == pb.INVALID_REQUEST, describe(resp)
            assert resp.payload, "INVALID_REQUEST without a reason"
            assert await add(nc, "7", b"3") == b"3.0"
        finally:
            await nc.close()

    asyncio.run(scenario())


@pytest.mark.parametrize(
    "cls_id, object_id",
    [(CALC, "nobody-serves-this"), ("math.Nope", "7")],
    ids=["unserved-object", "unknown-class"],
)
def test_a_key_nobody_serves_gets_no_reply(nats_server, agent_demos, cls_id, object_id):
    agent_demos(nats_server.url)  # the default agents, none of them for this key

    async def scenario():
        nc = await ns.connect(nats_server.url)
        try:
            started = time.monotonic()
            # NATS answers "no responders" at once; a timeout would mean someone took the
            # message and stayed silent. Either way nobody replied, and quickly.
            with pytest.raises((nats.errors.NoRespondersError, nats.errors.TimeoutError)):
                await call_agent(nc, cls_id, object_id, "add", b"1", timeout=1.0)
            assert time.monotonic() - started < 1.5
        finally:
            await nc.close()

    asyncio.run(scenario())


# ---------------------------------------------------------------------------------------------
# Two processes serving one object's key share its calls (queue group "oaas").


def test_two_processes_share_the_calls_of_one_key(nats_server, agent_demos):
    first = agent_demos(nats_server.url, agents=["math.Calculator:shared"])
    second = agent_demos(nats_server.url, agents=["math.Calculator:shared"])
    assert first.agents == second.agents == ["math.Calculator:shared"]
    calls, concurrency = 200, 16

    async def scenario() -> list[float]:
        nc = await ns.connect(nats_server.url)
        gate = asyncio.Semaphore(concurrency)

        async def one() -> float:
            async with gate:
                return float(await add(nc, "shared", b"1"))

        try:
            return await asyncio.gather(*(one() for _ in range(calls)))
        finally:
            await nc.close()

    values = asyncio.run(scenario())
    totals = [grpc_total(first, "shared"), grpc_total(second, "shared")]
    assert all(t > 0 for t in totals), f"one process got none of the calls: {totals}"
    assert sum(totals) == calls, totals
    # Each process counts its own calls one at a time: its replies are 1..its total.
    expected = sorted([float(i) for t in totals for i in range(1, int(t) + 1)])
    assert sorted(values) == expected


# ---------------------------------------------------------------------------------------------
# The bus goes away and comes back.


@pytest.mark.slow
def test_calls_resume_after_the_nats_server_comes_back(nats_server, agent_demos):
    demo = agent_demos(nats_server.url, agents=["math.Calculator:fault"])

    async def call(nc, value: bytes):
        # Short call timeout; `settle` fails the test if a call takes longer than 3 s anyway.
        return await ns.settle(call_agent(nc, CALC, "fault", "add", value, timeout=0.5), 3.0)

    async def scenario():
        nc = await ns.connect(nats_server.url, max_reconnect_attempts=-1, reconnect_time_wait=0.2)
        try:
            resp, error = await call(nc, b"1")
            assert error is None and ok_payload(resp) == b"1.0", error

            nats_server.kill()
            # During the outage calls fail (add 0: a call the client buffered and sent late
            # must not change the result checked below).
            failures = []
            outage_end = time.monotonic() + 2.0
            while time.monotonic() < outage_end:
                resp, error = await call(nc, b"0")
                assert resp is None, f"a reply while the bus was down: {describe(resp)}"
                failures.append(type(error).__name__)
            assert failures, "no call was tried during the outage"
            assert demo.proc.poll() is None, f"the demo died with the bus: {demo.stderr()[-2000:]!r}"

            nats_server.restart()
            deadline = time.monotonic() + 10.0
            while True:
                resp, error = await call(nc, b"0")
                if error is None:
                    break
                assert time.monotonic() < deadline, (
                    f"no call succeeded within 10 s of the restart (last: {error!r}); "
                    f"demo stderr: {demo.stderr()[-2000:]!r}"
                )
                await asyncio.sleep(0.1)
            # The same process kept the object: its result survived the outage.
            assert ok_payload(resp) == b"1.0"
            assert await add(nc, "fault", b"1") == b"2.0"
        finally:
            await nc.close()

    asyncio.run(scenario())
    assert demo.proc.poll() is None
    code, _ = demo.stop(timeout=15.0)
    assert code == 0, f"demo exited with {code}; stderr tail: {demo.stderr()[-2000:]!r}"


# ---------------------------------------------------------------------------------------------
# Startup errors.

CREDENTIAL_ERRORS = ("refused the credentials", "Authorization Violation")


@pytest.mark.parametrize(
    "options, wrong",
    [
        ({"token": "s3cret"}, "wrongtoken"),
        ({"token": "s3cret"}, None),
        ({"user": "agent", "password": "pa55"}, "agent:wrong"),
    ],
    ids=["wrong-token", "no-token", "wrong-password"],
)
def test_refused_credentials_exit_1_and_the_right_ones_serve(nats_servers, agent_demos, options, wrong):
    server = nats_servers(**options)
    bad_url = server.url if wrong is None else server.url_with(wrong)
    refused = agent_demos(bad_url, agents=["math.Calculator:7"], expect_ready=False)
    code = refused.exit_code(timeout=15.0)
    assert not refused.ready and code == 1, f"exit code {code}; stdout={refused.lines[-10:]!r}"
    assert any(text in refused.stderr() for text in CREDENTIAL_ERRORS), refused.stderr()[-2000:]

    agent_demos(server.client_url, agents=["math.Calculator:7"])

    async def scenario():
        nc = await ns.connect(server.client_url)
        try:
            assert await add(nc, "7", b"4") == b"4.0"
        finally:
            await nc.close()

    asyncio.run(scenario())


def test_unreachable_bus_exits_1(agent_demos):
    demo = agent_demos(f"nats://127.0.0.1:{free_port()}", agents=["math.Calculator:7"], expect_ready=False)
    code = demo.exit_code(timeout=30.0)
    assert not demo.ready and code == 1, f"exit code {code}; stdout={demo.lines[-10:]!r}"
    assert "cannot reach the message bus" in demo.stderr(), demo.stderr()[-2000:]


# ---------------------------------------------------------------------------------------------
# SIGTERM drains.


def test_sigterm_lets_in_flight_calls_finish(nats_server, agent_demos):
    objects = [f"drain-{i}" for i in range(4)]
    demo = agent_demos(nats_server.url, agents=[f"{WORKER}:{o}" for o in objects],
                       extra_env={"DEMO_PROCESS_DELAY_MS": "300"})

    async def scenario():
        nc = await ns.connect(nats_server.url)
        try:
            async def one(object_id: str):
                call = call_agent(nc, WORKER, object_id, "process_data", json_bytes({"id": object_id}), 5.0)
                resp, error = await ns.settle(call, 10.0)
                assert error is None, f"the call on {object_id} in flight at SIGTERM got no reply: {error!r}"
                return resp, time.monotonic()

            sent = time.monotonic()
            tasks = [asyncio.create_task(one(o)) for o in objects]
            await asyncio.sleep(0)  # let every task publish its request
            await nc.flush()  # the server has them all, and forwards them to the agents
            await asyncio.sleep(0.1)  # the agents have read them: 300 ms of work each begins
            signalled = time.monotonic()
            demo.send_signal(signal.SIGTERM)
            results = await asyncio.gather(*tasks)
            for object_id, (resp, answered) in zip(objects, results):
                assert json.loads(ok_payload(resp)) == {"processed": True, "result": {"id": object_id}}
                # Answered after the signal, having taken the delay: it really was in flight.
                assert answered > signalled, f"{object_id} was answered before SIGTERM"
                assert answered - sent >= 0.25
        finally:
            await nc.close()

    asyncio.run(scenario())
    code, _ = demo.stop(timeout=15.0)
    assert code == 0, f"demo exited with {code}; stderr tail: {demo.stderr()[-2000:]!r}"

    async def after():
        nc = await ns.connect(nats_server.url)
        try:
            # The stopped agents no longer serve their keys.
            with pytest.raises(nats.errors.NoRespondersError):
                await call_agent(nc, WORKER, objects[0], "process_data", json_bytes({}), 2.0)
        finally:
            await nc.close()

    asyncio.run(after())
