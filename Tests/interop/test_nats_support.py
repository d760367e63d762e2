"""The NATS test helpers on their own, with nats-py on both ends and no OaaS code: the subject
rule, a request/reply through a real nats-server, credentials and limits in the server's
config, and a server killed and restarted on the same port under connected clients. The
agent tests rely on each of these behaving as checked here."""

from __future__ import annotations

import asyncio
import time

import nats
import nats.errors
import pytest

import nats_support as ns
from interop_support import pb
from nats_support import nats_server, nats_servers  # noqa: F401  (fixtures)

# ---------------------------------------------------------------------------------------------
# The key-to-subject rule.


@pytest.mark.parametrize(
    "key, subject",
    [
        ("oprc/math.Calculator/0/objects/7/invokes/add", "oprc.math~2ECalculator.0.objects.7.invokes.add"),
        ("oprc/a_b-C/1/invokes/fn", "oprc.a_b-C.1.invokes.fn"),
        ("oprc/x/0/objects//invokes/f", "oprc.x.0.objects.~.invokes.f"),
        ("/a/", "~.a.~"),
        ("a~b", "a~7Eb"),
        ("a b*>", "a~20b~2A~3E"),
        ("ü", "~C3~BC"),
        ("😀", "~F0~9F~98~80"),
    ],
    ids=["spec-example", "plain", "empty-object-id", "empty-ends", "tilde", "space-wildcards", "latin", "emoji"],
)
def test_subject_for_key(key, subject):
    assert ns.subject_for_key(key) == subject


def test_object_key_names_one_method_of_one_object():
    key = ns.object_key("math.Calculator", "7", "add", partition=3)
    assert key == "oprc/math.Calculator/3/objects/7/invokes/add"


# ---------------------------------------------------------------------------------------------
# A responder standing in for an agent.


async def fake_agent(nc, cls_id: str, object_id: str, fn_id: str):
    """Subscribes like an agent (queue group "oaas") and answers OKAY with what it parsed, so
    a test sees that the request reached the right subject with the right fields."""

    async def answer(msg):
        req = pb.ObjectInvocationRequest.FromString(msg.data)
        text = f"{req.cls_id}|{req.partition_id}|{req.object_id_str}|{req.fn_id}|".encode() + req.payload
        await msg.respond(pb.InvocationResponse(status=pb.OKAY, payload=text).SerializeToString())

    subject = ns.subject_for_key(ns.object_key(cls_id, object_id, fn_id))
    sub = await nc.subscribe(subject, queue="oaas", cb=answer)
    await nc.flush()  # the server has the subscription before anyone calls
    return sub


def test_call_agent_reaches_a_responder_on_the_keys_subject(nats_server):
    async def scenario():
        responder = await ns.connect(nats_server.url)
        caller = await ns.connect(nats_server.url)
        try:
            await fake_agent(responder, "math.Calculator", "o.1~x", "add")
            resp = await ns.call_agent(caller, "math.Calculator", "o.1~x", "add", b"5", timeout=2)
            assert resp.status == pb.OKAY
            assert resp.payload == b"math.Calculator|0|o.1~x|add|5"
        finally:
            await caller.close()
            await responder.close()

    asyncio.run(scenario())


def test_a_subject_nobody_serves_fails_at_once(nats_server):
    async def scenario():
        caller = await ns.connect(nats_server.url)
        try:
            started = time.monotonic()
            with pytest.raises(nats.errors.NoRespondersError):
                await ns.call_agent(caller, "math.Calculator", "nobody", "add", b"1", timeout=5)
            assert time.monotonic() - started < 1.0
        finally:
            await caller.close()

    asyncio.run(scenario())


# ---------------------------------------------------------------------------------------------
# The server's configuration.


@pytest.mark.parametrize(
    "options, wrong, right",
    [
        ({"token": "s3cret"}, "nope", "s3cret"),
        ({"user": "agent", "password": "pa55"}, "agent:wrong", "agent:pa55"),
    ],
    ids=["token", "user-password"],
)
def test_credentials(nats_servers, options, wrong, right):
    server = nats_servers(**options)
    assert server.client_url == server.url_with(right)

    async def scenario():
        for url in (server.url, server.url_with(wrong)):
            with pytest.raises(nats.errors.Error, match="Authorization Violation"):
                await ns.connect(url, allow_reconnect=False)
        nc = await ns.connect(server.client_url)
        try:
            await fake_agent(nc, "c.C", "1", "f")
            assert (await ns.call_agent(nc, "c.C", "1", "f", b"", timeout=2)).status == pb.OKAY
        finally:
            await nc.close()

    asyncio.run(scenario())


def test_max_payload(nats_servers):
    server = nats_servers(max_payload=2048)

    async def scenario():
        nc = await ns.connect(server.url)
        try:
            assert nc.max_payload == 2048
            with pytest.raises(nats.errors.MaxPayloadError):
                await nc.publish("big", b"x" * 2049)
        finally:
            await nc.close()

    asyncio.run(scenario())


# ---------------------------------------------------------------------------------------------
# Kill and restart.


def test_kill_and_restart_on_the_same_port_and_clients_come_back(nats_server):
    port = nats_server.port

    async def scenario():
        responder = await ns.connect(nats_server.url)
        caller = await ns.connect(nats_server.url)
        try:
            await fake_agent(responder, "c.C", "1", "f")
            resp, error = await ns.settle(ns.call_agent(caller, "c.C", "1", "f", b"a", timeout=1), 3)
            assert error is None and resp.payload == b"c.C|0|1|f|a"

            nats_server.kill()
            assert not nats_server.running()
            # While the server is away every call fails within its timeout; none hangs.
            for _ in range(3):
                resp, error = await ns.settle(ns.call_agent(caller, "c.C", "1", "f", b"b", timeout=0.5), 3)
                assert resp is None and error is not None

            nats_server.restart()
            assert nats_server.port == port
            assert nats_server.running()
            # Both clients reconnect and the responder's subscription is renewed on its own.
            deadline = time.monotonic() + 10
            while True:
                resp, error = await ns.settle(ns.call_agent(caller, "c.C", "1", "f", b"c", timeout=0.5), 3)
                if error is None:
                    break
                assert time.monotonic() < deadline, f"no call succeeded within 10 s of the restart: {error!r}"
                await asyncio.sleep(0.1)
            assert resp.payload == b"c.C|0|1|f|c"
        finally:
            await caller.close()
            await responder.close()

    asyncio.run(scenario())


def test_close_leaves_no_process(nats_servers):
    server = nats_servers(token="t")
    proc, folder = server.proc, server.dir
    assert folder.joinpath("nats-server.conf").is_file()
    server.close()
    assert proc.poll() is not None
    assert not folder.exists()
