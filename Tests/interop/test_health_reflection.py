"""grpc.health.v1 through grpcio-health-checking, and server reflection through
grpcio-reflection's client (v1alpha) and a raw v1 stream."""

from __future__ import annotations

import queue
import signal
import threading

import grpc
import pytest
from google.protobuf import descriptor_pb2, descriptor_pool
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)

import interop_support as sup
from interop_support import pb

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
SERVICE_UNKNOWN = health_pb2.HealthCheckResponse.SERVICE_UNKNOWN

EXPECTED_SERVICES = {
    "oprc.OprcFunction",
    "grpc.health.v1.Health",
    "grpc.reflection.v1.ServerReflection",
    "grpc.reflection.v1alpha.ServerReflection",
}


# --- health


@pytest.mark.parametrize("service", ["", "oprc.OprcFunction"])
def test_health_check_serving(server, service):
    with sup.channel(server) as ch:
        resp = health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(service=service), timeout=10)
        assert resp.status == SERVING


def test_health_check_unknown_service_is_not_found(server):
    with sup.channel(server) as ch:
        with pytest.raises(grpc.RpcError) as err:
            health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(service="no.Such"), timeout=10)
        assert err.value.code() == grpc.StatusCode.NOT_FOUND
    sup.assert_serving(server)


def _watch(ch, service: str):
    """Starts Watch; a thread puts each status (or the final RpcError) on a queue."""
    call = health_pb2_grpc.HealthStub(ch).Watch(health_pb2.HealthCheckRequest(service=service), timeout=30)
    q: queue.Queue = queue.Queue()

    def pump():
        try:
            for resp in call:
                q.put(resp.status)
        except grpc.RpcError as exc:
            q.put(exc)
        q.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return call, q


def test_health_watch_unknown_service(server):
    with sup.channel(server) as ch:
        call, q = _watch(ch, "no.Such")
        assert q.get(timeout=10) == SERVICE_UNKNOWN
        call.cancel()


@pytest.mark.parametrize("service", ["", "oprc.OprcFunction"])
def test_health_watch_turns_not_serving_on_sigterm(server, service):
    ch = sup.channel(server)
    call, q = _watch(ch, service)
    assert q.get(timeout=10) == SERVING
    server.send_signal(signal.SIGTERM)
    got = q.get(timeout=5)
    assert got == NOT_SERVING, f"after SIGTERM Watch sent {got!r}, expected NOT_SERVING"
    call.cancel()
    ch.close()
    server.stop()


# --- reflection


def test_reflection_lists_services(server):
    with sup.channel(server) as ch:
        db = ProtoReflectionDescriptorDatabase(ch)
        assert set(db.get_services()) == EXPECTED_SERVICES


@pytest.mark.parametrize("symbol", sorted(EXPECTED_SERVICES))
def test_reflection_file_containing_symbol(server, symbol):
    with sup.channel(server) as ch:
        db = ProtoReflectionDescriptorDatabase(ch)
        fdp = db.FindFileContainingSymbol(symbol)
        package, _, name = symbol.rpartition(".")
        assert fdp.package == package
        assert name in [s.name for s in fdp.service]


def test_reflection_describes_the_wire_contract(server):
    """The server's own descriptors, fetched by reflection, agree field by field with the
    independent test proto (numbers, types, labels)."""
    with sup.channel(server) as ch:
        pool = descriptor_pool.DescriptorPool(ProtoReflectionDescriptorDatabase(ch))
        svc = pool.FindServiceByName("oprc.OprcFunction")
        methods = {m.name: m for m in svc.methods}
        assert set(methods) == {"InvokeFn", "InvokeObj"}
        assert methods["InvokeFn"].input_type.full_name == "oprc.InvocationRequest"
        assert methods["InvokeObj"].input_type.full_name == "oprc.ObjectInvocationRequest"
        for m in methods.values():
            assert m.output_type.full_name == "oprc.InvocationResponse"
            assert not m.client_streaming and not m.server_streaming
        for ours in (pb.InvocationRequest, pb.ObjectInvocationRequest, pb.InvocationResponse):
            theirs = pool.FindMessageTypeByName(ours.DESCRIPTOR.full_name)
            mine = {f.number: (f.type, _is_repeated(f), _has_presence(f)) for f in ours.DESCRIPTOR.fields}
            served = {f.number: (f.type, _is_repeated(f), _has_presence(f)) for f in theirs.fields}
            assert served == mine, ours.DESCRIPTOR.full_name
        enum = pool.FindEnumTypeByName("oprc.ResponseStatus")
        assert {v.name: v.number for v in enum.values} == {
            "OKAY": 0, "INVALID_REQUEST": 1, "APP_ERROR": 2, "SYSTEM_ERROR": 3,
        }
        health = pool.FindServiceByName("grpc.health.v1.Health")
        assert {m.name for m in health.methods} >= {"Check", "Watch"}


def _is_repeated(f) -> bool:
    if hasattr(f, "is_repeated"):  # protobuf >= 6
        return bool(f.is_repeated)
    return f.label == f.LABEL_REPEATED


def _has_presence(f) -> bool:
    return bool(f.has_presence)


def _raw_reflection(ch, path: str, requests):
    call = ch.stream_stream(
        path,
        request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
        response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
    )
    return list(call(iter(requests), timeout=10))


@pytest.mark.parametrize("version", ["v1", "v1alpha"])
def test_raw_reflection_stream(server, version):
    """grpcio-reflection ships only v1alpha stubs; v1's messages are the same on the wire, so
    one stream of each version is sent with them, several requests on one stream."""
    path = f"/grpc.reflection.{version}.ServerReflection/ServerReflectionInfo"
    with sup.channel(server) as ch:
        responses = _raw_reflection(
            ch,
            path,
            [
                reflection_pb2.ServerReflectionRequest(list_services=""),
                reflection_pb2.ServerReflectionRequest(file_containing_symbol="oprc.OprcFunction"),
                reflection_pb2.ServerReflectionRequest(file_containing_symbol="grpc.health.v1.Health"),
            ],
        )
    assert len(responses) == 3
    listed = {s.name for s in responses[0].list_services_response.service}
    assert listed == EXPECTED_SERVICES
    for resp, symbol in zip(responses[1:], ["oprc.OprcFunction", "grpc.health.v1.Health"]):
        assert resp.WhichOneof("message_response") == "file_descriptor_response"
        files = [descriptor_pb2.FileDescriptorProto.FromString(b) for b in resp.file_descriptor_response.file_descriptor_proto]
        services = {f"{f.package}.{s.name}" for f in files for s in f.service}
        assert symbol in services


def test_reflection_unknown_symbol_is_an_error_response(server):
    with sup.channel(server) as ch:
        responses = _raw_reflection(
            ch,
            "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
            [reflection_pb2.ServerReflectionRequest(file_containing_symbol="no.such.Symbol")],
        )
    assert len(responses) == 1
    assert responses[0].WhichOneof("message_response") == "error_response"
    assert responses[0].error_response.error_code == grpc.StatusCode.NOT_FOUND.value[0]
