#!/usr/bin/env bash
# Runs the end-to-end interop tests (Tests/interop) against the real oaas-grpc-echo server and
# the demo's OaaS services (`demo serve`): builds both products, then pytest from the
# virtualenv that install-deps.sh test made.
# Usage: scripts/run-interop-tests.sh [pytest arguments...]
set -euo pipefail
cd "$(dirname "$0")/.."

swift="${SWIFT:-swift}"
venv="${INTEROP_VENV:-.venv-interop}"
[ -x "$venv/bin/python" ] || { echo "no $venv: run scripts/install-deps.sh test first" >&2; exit 1; }

"$swift" build --product oaas-grpc-echo
bin="$("$swift" build --show-bin-path)/oaas-grpc-echo"
[ -x "$bin" ] || { echo "oaas-grpc-echo was not built at $bin" >&2; exit 1; }
"$swift" build --product demo
demo_bin="$("$swift" build --show-bin-path)/demo"
[ -x "$demo_bin" ] || { echo "demo was not built at $demo_bin" >&2; exit 1; }

export OAAS_GRPC_ECHO_BIN="$bin"
export OAAS_DEMO_BIN="$demo_bin"
export PYTHONDONTWRITEBYTECODE=1
cd Tests/interop
# pytest-timeout bounds each test (pytest.ini); this bounds the whole run.
exec timeout --kill-after=30 "${INTEROP_TIMEOUT:-900}" "../../$venv/bin/python" -m pytest -q "$@"
