#!/usr/bin/env bash
# Regenerates Sources/OaasProto/Generated from Protos/*.proto.
#
# The generated Swift is committed so that `swift build` never needs protoc or
# swift-protobuf's plugin (building the plugin takes minutes on CI machines).
# Run this after editing any .proto file, then commit the result:
#
#   scripts/generate-protos.sh
#
# What it does:
#   1. installs Debian's protoc (protobuf-compiler) if it is missing;
#   2. builds protoc-gen-swift 1.39.0 in .build-protoc/ (a throwaway package
#      that only depends on swift-protobuf; git ignores .build*/);
#   3. runs protoc with it into Sources/OaasProto/Generated/*.pb.swift;
#   4. writes a FileDescriptorSet and turns it into DescriptorSet.swift, the
#      serialized descriptors and symbol table that server reflection serves.
# The same inputs give byte-identical output, so rerunning it is harmless.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

proto_dir="Protos"
out_dir="Sources/OaasProto/Generated"
scratch="$root/.build-protoc"
swift_protobuf_version="1.39.0"

# Paths relative to $proto_dir: protoc records files under these names, and
# reflection clients ask for them by these names.
protos=(
  oprc/oprc-invoke.proto
  oprc/oprc-data.proto
  grpc/health/v1/health.proto
  grpc/reflection/v1/reflection.proto
  grpc/reflection/v1alpha/reflection.proto
)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  else
    command -v sudo >/dev/null || { echo "need root (or sudo) to run: $*" >&2; exit 1; }
    sudo "$@"
  fi
}

# 1. protoc from Debian.
if ! command -v protoc >/dev/null; then
  echo "installing protobuf-compiler"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends protobuf-compiler
fi

# 2. protoc-gen-swift, pinned exactly so that regenerating never changes the
#    output just because a newer plugin was released.
mkdir -p "$scratch"
cat > "$scratch/Package.swift.new" <<EOF
// swift-tools-version: 6.1
// Throwaway package written by scripts/generate-protos.sh: it exists only so
// that SwiftPM fetches swift-protobuf and builds its protoc-gen-swift product.
import PackageDescription

let package = Package(
    name: "protoc-gen-swift-builder",
    dependencies: [
        .package(url: "https://github.com/apple/swift-protobuf.git", exact: "$swift_protobuf_version")
    ],
    targets: []
)
EOF
# Rewrite the manifest only when it changed, so SwiftPM's caches stay valid.
if ! cmp -s "$scratch/Package.swift.new" "$scratch/Package.swift" 2>/dev/null; then
  mv "$scratch/Package.swift.new" "$scratch/Package.swift"
else
  rm "$scratch/Package.swift.new"
fi
echo "building protoc-gen-swift $swift_protobuf_version (slow the first time)"
swift build --package-path "$scratch" -c release --product protoc-gen-swift
plugin="$(swift build --package-path "$scratch" -c release --show-bin-path)/protoc-gen-swift"
[ -x "$plugin" ] || { echo "protoc-gen-swift not found at $plugin" >&2; exit 1; }

# 3. Swift messages. PathToUnderscores keeps the two reflection.proto files
#    from both becoming reflection.pb.swift: one module cannot hold two source
#    files with the same name.
mkdir -p "$out_dir"
rm -f "$out_dir"/*.pb.swift "$out_dir/DescriptorSet.swift"
protoc \
  --plugin=protoc-gen-swift="$plugin" \
  --proto_path="$proto_dir" \
  --swift_out="$out_dir" \
  --swift_opt=Visibility=Public \
  --swift_opt=FileNaming=PathToUnderscores \
  "${protos[@]}"

# 4. Descriptors for server reflection.
descriptor_set="$scratch/oaas-proto.fds"
protoc \
  --proto_path="$proto_dir" \
  --include_imports \
  --descriptor_set_out="$descriptor_set" \
  "${protos[@]}"

# Python's protobuf package reads the descriptors; it lives in a venv inside
# the scratch folder so the machine's Python is left alone.
venv="$scratch/venv"
if ! "$venv/bin/python" -c 'import google.protobuf' 2>/dev/null; then
  echo "installing Python protobuf into $venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check protobuf
fi

"$venv/bin/python" - "$descriptor_set" "$out_dir/DescriptorSet.swift" "$(protoc --version)" <<'PY'
import base64
import sys

from google.protobuf import descriptor_pb2

set_path, out_path, protoc_version = sys.argv[1], sys.argv[2], sys.argv[3]
raw = open(set_path, "rb").read()


def read_varint(buf, pos):
    value, shift = 0, 0
    while True:
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


# Slice each FileDescriptorProto out of the set by hand (field 1, wire type 2)
# instead of re-serializing the parsed message: reflection then serves exactly
# the bytes protoc wrote, independent of the Python protobuf version.
file_bytes = []
pos = 0
while pos < len(raw):
    key, pos = read_varint(raw, pos)
    if key != (1 << 3) | 2:
        sys.exit("unexpected field in FileDescriptorSet: key %d" % key)
    length, pos = read_varint(raw, pos)
    file_bytes.append(raw[pos:pos + length])
    pos += length

files = []  # (name, bytes, dependencies), in protoc's order: dependencies first
symbols = {}  # fully-qualified symbol -> file name
services = []


def add(symbol, file_name):
    previous = symbols.setdefault(symbol, file_name)
    if previous != file_name:
        sys.exit("symbol %s defined in both %s and %s" % (symbol, previous, file_name))


def add_enum(scope, enum, file_name):
    name = scope + enum.name
    add(name, file_name)
    # Enum values are scoped like C++: siblings of their enum, not children.
    for value in enum.value:
        add(scope + value.name, file_name)


def add_message(scope, message, file_name):
    name = scope + message.name
    add(name, file_name)
    inner = name + "."
    for field in message.field:
        add(inner + field.name, file_name)
    for oneof in message.oneof_decl:
        add(inner + oneof.name, file_name)
    for extension in message.extension:
        add(inner + extension.name, file_name)
    for nested in message.nested_type:
        add_message(inner, nested, file_name)
    for enum in message.enum_type:
        add_enum(inner, enum, file_name)


for data in file_bytes:
    proto = descriptor_pb2.FileDescriptorProto.FromString(data)
    scope = proto.package + "." if proto.package else ""
    for message in proto.message_type:
        add_message(scope, message, proto.name)
    for enum in proto.enum_type:
        add_enum(scope, enum, proto.name)
    for extension in proto.extension:
        add(scope + extension.name, proto.name)
    for service in proto.service:
        service_name = scope + service.name
        services.append(service_name)
        add(service_name, proto.name)
        for method in service.method:
            add(service_name + "." + method.name, proto.name)
    files.append((proto.name, data, list(proto.dependency)))


def swift_string(text):
    # Names from .proto files are identifiers, dots, slashes and dashes; refuse
    # anything that would need escaping rather than escape it wrongly.
    if any(c in text for c in '"\\\n\r') or not text.isprintable():
        sys.exit("unexpected character in name %r" % text)
    return '"' + text + '"'


out = []
w = out.append
w("// DO NOT EDIT.")
w("// swift-format-ignore-file")
w("// swiftlint:disable all")
w("//")
w("// Generated by scripts/generate-protos.sh from the FileDescriptorSet that")
w("// %s wrote for Protos/. Rerun that script after changing a .proto file." % protoc_version)
w("")
w("import Foundation")
w("")
w("/// The serialized `google.protobuf.FileDescriptorProto` of every .proto file in")
w("/// this module, plus indexes over them, for answering gRPC server reflection.")
w("///")
w("/// The data is generated (see `scripts/generate-protos.sh`); the lookups are in")
w("/// `OaasProtoDescriptors+Lookup.swift`.")
w("public enum OaasProtoDescriptors {")
w("    /// Every file's name as protoc records it (relative to `Protos/`, e.g.")
w("    /// `\"oprc/oprc-invoke.proto\"`), in protoc's order: a file comes after")
w("    /// the files it imports.")
w("    public static let fileNames: [String] = [")
for name, _, _ in files:
    w("        %s," % swift_string(name))
w("    ]")
w("")
w("    /// Each file's serialized `FileDescriptorProto`, by file name: the exact")
w("    /// bytes protoc produced, without source info.")
w("    ///")
w("    /// Kept as base64 text so the source stays small; decoded once, on first use.")
w("    public static let files: [String: [UInt8]] = {")
w("        var decoded: [String: [UInt8]] = [:]")
w("        for (name, text) in encodedFiles {")
w("            guard let data = Data(base64Encoded: text) else {")
w("                preconditionFailure(\"corrupt generated descriptor for \\(name)\")")
w("            }")
w("            decoded[name] = [UInt8](data)")
w("        }")
w("        return decoded")
w("    }()")
w("")
w("    /// The files each file imports directly, by file name, in import order.")
w("    public static let directDependencies: [String: [String]] = [")
for name, _, deps in files:
    w("        %s: [%s]," % (swift_string(name), ", ".join(swift_string(d) for d in deps)))
w("    ]")
w("")
w("    /// Fully-qualified names of all services, sorted, e.g. `\"grpc.health.v1.Health\"`.")
w("    public static let serviceNames: [String] = [")
for name in sorted(services):
    w("        %s," % swift_string(name))
w("    ]")
w("")
w("    /// The file that defines each fully-qualified symbol, without a leading dot:")
w("    /// packages' messages, fields, oneofs, enums, enum values (scoped as siblings")
w("    /// of their enum), extensions, services and methods (`pkg.Service.Method`).")
w("    public static let fileNameBySymbol: [String: String] = [")
for symbol in sorted(symbols):
    w("        %s: %s," % (swift_string(symbol), swift_string(symbols[symbol])))
w("    ]")
w("")
w("    private static let encodedFiles: [(String, String)] = [")
for name, data, _ in files:
    w("        (")
    w("            %s," % swift_string(name))
    text = base64.b64encode(data).decode("ascii")
    chunks = [text[i:i + 96] for i in range(0, len(text), 96)]
    # Adjacent string literals do not concatenate in Swift; a multi-line
    # literal with escaped newlines gives one line of base64 in short pieces.
    w('            """')
    for i, chunk in enumerate(chunks):
        w("            " + chunk + ("\\" if i < len(chunks) - 1 else ""))
    w('            """')
    w("        ),")
w("    ]")
w("}")
w("")

with open(out_path, "w") as f:
    f.write("\n".join(out))
PY

echo "generated:"
ls -1 "$out_dir"
