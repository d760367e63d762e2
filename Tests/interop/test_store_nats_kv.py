"""The NATS key-value object store through real `demo serve` processes and a real nats-server
with JetStream: two processes share one object exactly, one of them killed mid-run loses
nothing acknowledged, and a nats-server killed under load costs calls while it is away, never
an acknowledged update, and service comes back by itself."""

from __future__ import annotations

import asyncio
import signal
import threading
import time

import grpc
import grpc.aio
import pytest

import interop_support as sup
import nats_support as ns
from agent_support import AgentDemo
from demo_support import CALC, obj_request, status_name
from nats_support import call_agent, nats_servers  # noqa: F401  (fixture)


def start_demo(nats, bucket: str = "objects") -> AgentDemo:
    """`demo serve` with a gRPC server, a class-wide Calculator agent on the bus, and objects in
    the bucket."""
    return AgentDemo(nats.url, agents=["math.Calculator"],
                     extra_env={"OPRC_STORE_URL": f"nats-kv://127.0.0.1:{nats.port}/{bucket}",
                                "OAAS_BUS_TIMEOUT_MS": "3000"})


def read(demo: AgentDemo, object_id: str) -> float:
    with grpc.insecure_channel(f"127.0.0.1:{demo.port}") as channel:
        stub = sup.pb_grpc.OprcFunctionStub(channel)
        response = stub.InvokeObj(obj_request(CALC, "add", b"0", object_id=object_id), timeout=10)
        assert response.status == 0, (status_name(response.status), response.payload)
        return float(response.payload)


class Tally:
    def __init__(self):
        self.okay = 0
        self.other = 0
        self.sent = 0
        self.reasons: dict[str, int] = {}

    def failed(self, reason: str):
        self.other += 1
        self.reasons[reason[:120]] = self.reasons.get(reason[:120], 0) + 1


async def drive(demos, nats_url: str, object_id: str, calls: int, tally: Tally, concurrency: int = 64,
                stop: threading.Event | None = None):
    """`calls` add(1) calls on one object, a third through each demo's gRPC server and a third
    through the bus (the agents' queue group picks a process), `concurrency` at a time."""
    channels = [grpc.aio.insecure_channel(f"127.0.0.1:{demo.port}") for demo in demos]
    stubs = [sup.pb_grpc.OprcFunctionStub(channel) for channel in channels]
    nc = await ns.connect(nats_url)
    gate = asyncio.Semaphore(concurrency)

    async def one(index: int):
        if stop is not None and stop.is_set():
            return
        async with gate:
            tally.sent += 1
            route = index % (len(stubs) + 1)
            try:
                if route < len(stubs):
                    response = await stubs[route].InvokeObj(obj_request(CALC, "add", b"1", object_id=object_id), timeout=10)
                else:
                    response = await call_agent(nc, CALC, object_id, "add", b"1", timeout=10)
            except Exception as exc:  # a process that died, a call that timed out: not acknowledged
                tally.failed(f"{'grpc' if route < len(stubs) else 'bus'}: {type(exc).__name__}")
                return
            if response.status == 0:
                tally.okay += 1
            else:
                tally.failed(f"{status_name(response.status)}: {response.payload.decode(errors='replace')}")

    try:
        await asyncio.gather(*(one(i) for i in range(calls)))
    finally:
        await nc.close()
        for channel in channels:
            await channel.close()


async def bus_call(nats_url: str, object_id: str):
    nc = await ns.connect(nats_url)
    try:
        return await call_agent(nc, CALC, object_id, "add", b"0", timeout=2)
    finally:
        await nc.close()


def test_two_processes_on_one_bucket_end_at_exactly_the_okay_count(nats_servers):
    nats = nats_servers(jetstream=True)
    first, second = start_demo(nats), start_demo(nats)
    try:
        tally = Tally()
        asyncio.run(drive([first, second], nats.url, "shared", 1000, tally))
        assert tally.okay >= 900, f"too many calls failed: {tally.okay} OKAY of 1000: {tally.reasons}"
        # Both processes read the same value: the one the bucket holds.
        assert read(first, "shared") == tally.okay
        assert read(second, "shared") == tally.okay
    finally:
        first.stop()
        second.stop()


def test_kill_9_of_one_process_mid_run_loses_nothing_acknowledged(nats_servers):
    nats = nats_servers(jetstream=True)
    first, second = start_demo(nats), start_demo(nats)
    tally = Tally()
    stop = threading.Event()

    def killer():
        time.sleep(1.0)
        second.proc.send_signal(signal.SIGKILL)

    thread = threading.Thread(target=killer)
    thread.start()
    try:
        asyncio.run(drive([first, second], nats.url, "victim", 3000, tally, stop=stop))
        thread.join()
        second.proc.wait(timeout=10)
        value = read(first, "victim")
        # Calls in flight on the killed process may have been written without an answer.
        assert tally.okay <= value <= tally.sent, (tally.okay, value, tally.sent)
        assert tally.okay > 0
        # The survivor keeps serving, over gRPC and the bus.
        after = Tally()
        asyncio.run(drive([first], nats.url, "victim", 100, after))
        assert after.okay >= 90, f"the survivor answered {after.okay} of 100 after the kill"
        assert read(first, "victim") >= value + after.okay
    finally:
        thread.join()
        first.stop()
        second.kill()


@pytest.mark.slow
def test_nats_server_killed_under_load_then_back(nats_servers):
    nats = nats_servers(jetstream=True)
    demo = start_demo(nats)
    try:
        before = Tally()
        asyncio.run(drive([demo], nats.url, "steady", 200, before))
        assert before.okay >= 190
        nats.kill()
        away = Tally()
        started = time.monotonic()
        with grpc.insecure_channel(f"127.0.0.1:{demo.port}") as channel:
            stub = sup.pb_grpc.OprcFunctionStub(channel)
            for _ in range(5):
                away.sent += 1
                response = stub.InvokeObj(obj_request(CALC, "add", b"1", object_id="steady"), timeout=15)
                if response.status == 0:
                    away.okay += 1
                else:
                    assert status_name(response.status) == "SYSTEM_ERROR", response
                    away.other += 1
        assert away.other == 5, "a call succeeded with the store's server gone"
        assert time.monotonic() - started < 30, "calls must fail within their timeout, not hang"
        nats.restart()
        # Back by itself: the store answers through gRPC, and the agent has its subscription
        # again (its own reconnect, tested with the agents).
        deadline = time.monotonic() + 30
        while True:
            try:
                value = read(demo, "steady")
                bus_answer = asyncio.run(bus_call(nats.url, "steady"))
                if bus_answer.status == 0:
                    break
            except (AssertionError, Exception):
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.3)
        after = Tally()
        asyncio.run(drive([demo], nats.url, "steady", 200, after))
        assert after.okay >= 190, after.reasons
        final = read(demo, "steady")
        assert before.okay + after.okay <= final <= before.sent + away.sent + after.sent
        assert value >= before.okay
    finally:
        demo.stop()
