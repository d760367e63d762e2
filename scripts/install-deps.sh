#!/usr/bin/env bash
# Installs the Debian packages a make target needs, and only those that are missing.
# Usage: scripts/install-deps.sh build|test|bench
# `bench` adds the load tools. `test` also needs nghttp2's clients (h2load, nghttp), a NATS
# server (the agents' interop tests run one as a real peer) and, for the interop tests, Python
# packages in a virtualenv of the system python3 at .venv-interop/ (pip runs only when one is
# missing or too old).
set -euo pipefail

target="${1:-build}"
need=(libuv1-dev libnghttp2-dev zlib1g-dev libsqlite3-dev pkg-config)
case "$target" in
  build) ;;
  test) need+=(nghttp2-client python3-venv nats-server) ;;
  # The benchmarks: h2load and nghttp (nghttp2-client), nghttpd (nghttp2-server), taskset
  # (util-linux), python3 for the harness, jemalloc for the oaas-load generator, a NATS
  # server for measuring calls that go through agents on a message bus, and the NATS C client
  # (libnats-dev) that the agent benchmarks' echo responder, their floor, is built with.
  bench) need+=(nghttp2-client nghttp2-server util-linux python3 libjemalloc-dev nats-server libnats-dev libsqlite3-dev) ;;
  *) echo "usage: $0 build|test|bench" >&2; exit 2 ;;
esac

missing=()
for package in "${need[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if ((${#missing[@]})); then
  echo "installing Debian packages: ${missing[*]}"
  run=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
    run=(sudo)
  fi
  "${run[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${run[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

command -v swift >/dev/null || { echo "swift is not on PATH; install the Swift 6 toolchain first" >&2; exit 1; }

# The interop tests' Python packages, with the lowest versions they are known to work with.
interop_venv() {
  local root venv python
  root="$(cd "$(dirname "$0")/.." && pwd)"
  venv="$root/.venv-interop"
  python=/usr/bin/python3
  [ -x "$python" ] || python="$(command -v python3)"
  local packages=(
    "grpcio>=1.60" "grpcio-tools>=1.60" "grpcio-health-checking>=1.60" "grpcio-reflection>=1.60"
    "protobuf>=4.25" "h2>=4.1" "pytest>=7.4" "pytest-timeout>=2.2" "nats-py>=2.6"
  )

  if ! "$venv/bin/python" -c '' 2>/dev/null; then
    echo "creating the virtualenv $venv with $python"
    rm -rf "$venv"
    "$python" -m venv "$venv"
  fi
  # Already importable at acceptable versions: nothing to do.
  if "$venv/bin/python" - "${packages[@]}" <<'PY' 2>/dev/null; then return 0; fi
import importlib, re, sys
from importlib.metadata import version
modules = {"grpcio": "grpc", "grpcio-tools": "grpc_tools.protoc", "grpcio-health-checking": "grpc_health.v1.health_pb2",
           "grpcio-reflection": "grpc_reflection.v1alpha.proto_reflection_descriptor_database",
           "protobuf": "google.protobuf", "h2": "h2.connection", "pytest": "pytest", "pytest-timeout": "pytest_timeout",
           "nats-py": "nats.aio.client"}
def numbers(v):
    return tuple(int(x) for x in re.findall(r"\d+", v)[:3])
for spec in sys.argv[1:]:
    name, minimum = spec.split(">=")
    importlib.import_module(modules[name])
    if numbers(version(name)) < numbers(minimum):
        sys.exit(1)
PY
  echo "installing Python packages into $venv: ${packages[*]}"
  "$venv/bin/python" -m pip install --quiet "${packages[@]}"
}

if [ "$target" = test ]; then
  interop_venv
fi
