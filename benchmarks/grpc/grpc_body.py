#!/usr/bin/env python3
"""Builds the request body of one unary gRPC call to oprc.OprcFunction/InvokeObj, by hand.

The body is the gRPC length-prefixed message (1 flag byte, 4-byte big-endian length) around a
serialized oprc.ObjectInvocationRequest:

    uint32 partition_id = 1; uint64 object_id = 2; string cls_id = 3; string fn_id = 4;
    map<string,string> options = 5; bytes payload = 6; optional string object_id_str = 7;

No generated code: protobuf's wire format is a tag (field << 3 | wire type) followed by a varint
(wire type 0) or a varint length and that many bytes (wire type 2). Fields left at their proto3
default are not written, as a protobuf encoder would do.

Usage: grpc_body.py OUT_FILE [--fn-id echo] [--cls-id math.Calculator] [--object-id 7]
                            [--payload '{"a":1,"b":2}']
       grpc_body.py --check-response RESPONSE_FILE PAYLOAD   (exit 0 if the reply echoes PAYLOAD)
"""
import argparse
import struct
import sys

VARINT, LENGTH_DELIMITED = 0, 2


def varint(value):
    if value < 0:
        raise ValueError("negative varints are not used here")
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def tag(field, wire_type):
    return varint(field << 3 | wire_type)


def varint_field(field, value):
    return tag(field, VARINT) + varint(value) if value else b""


def bytes_field(field, value, always=False):
    if not value and not always:
        return b""
    return tag(field, LENGTH_DELIMITED) + varint(len(value)) + value


def invocation_request(partition_id=0, object_id=0, cls_id="", fn_id="", options=None,
                       payload=b"", object_id_str=None):
    message = b"".join([
        varint_field(1, partition_id),
        varint_field(2, object_id),
        bytes_field(3, cls_id.encode()),
        bytes_field(4, fn_id.encode()),
    ])
    for key, value in sorted((options or {}).items()):
        entry = bytes_field(1, key.encode()) + bytes_field(2, value.encode())
        message += bytes_field(5, entry, always=True)
    message += bytes_field(6, payload)
    if object_id_str is not None:  # `optional`: present even when empty
        message += bytes_field(7, object_id_str.encode(), always=True)
    return message


def grpc_frame(message, compressed=False):
    return struct.pack(">BI", 1 if compressed else 0, len(message)) + message


def read_varint(data, i):
    shift = value = 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, i
        shift += 7


def fields(message):
    """Yields (field number, wire type, value) of a serialized message (types 0, 1, 2, 5)."""
    i = 0
    while i < len(message):
        key, i = read_varint(message, i)
        field, wire_type = key >> 3, key & 7
        if wire_type == 0:
            value, i = read_varint(message, i)
        elif wire_type == 1:
            value, i = message[i:i + 8], i + 8
        elif wire_type == 2:
            length, i = read_varint(message, i)
            value, i = message[i:i + length], i + length
        elif wire_type == 5:
            value, i = message[i:i + 4], i + 4
        else:
            raise ValueError(f"unsupported wire type {wire_type}")
        yield field, wire_type, value


def response_echoes(body, payload):
    """True if the single gRPC message in `body` carries `payload` as a length-delimited field
    (at the top level or one level down), whatever the response message's field numbers are."""
    if len(body) < 5:
        return False
    flag, length = struct.unpack(">BI", body[:5])
    if flag != 0 or len(body) != 5 + length:
        return False
    message = body[5:]
    try:
        for _, wire_type, value in fields(message):
            if wire_type != 2:
                continue
            if value == payload:
                return True
            try:
                if any(w == 2 and v == payload for _, w, v in fields(value)):
                    return True
            except (ValueError, IndexError):
                pass
    except (ValueError, IndexError):
        return False
    return False


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?")
    parser.add_argument("--cls-id", default="math.Calculator")
    parser.add_argument("--fn-id", default="echo")
    parser.add_argument("--object-id", type=int, default=7)
    parser.add_argument("--partition-id", type=int, default=0)
    parser.add_argument("--payload", default='{"a":1,"b":2}')
    parser.add_argument("--check-response", nargs=2, metavar=("RESPONSE_FILE", "PAYLOAD"))
    args = parser.parse_args()
    if args.check_response:
        path, payload = args.check_response
        with open(path, "rb") as f:
            ok = response_echoes(f.read(), payload.encode())
        print("echo ok" if ok else "reply does not echo the payload")
        return 0 if ok else 1
    if not args.out:
        parser.error("OUT_FILE is required")
    body = grpc_frame(invocation_request(
        partition_id=args.partition_id, object_id=args.object_id, cls_id=args.cls_id,
        fn_id=args.fn_id, payload=args.payload.encode()))
    with open(args.out, "wb") as f:
        f.write(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
