# The two commands a new user needs, plus the benchmark harness.
#   make demo   installs what is missing, then builds and runs the demo
#   make test   installs what the tests need, then runs the whole suite
#   make test-sanitizers   runs the Swift suite under ThreadSanitizer and AddressSanitizer
#   make bench   runs every load scenario (release build): writes benchmarks/RESULTS.md, the
#                charts in benchmarks/charts/ and README's table (QUICK=1, NO_GRPC_SWIFT=1)
#   make bench-loop   runs the event-loop micro-benchmarks (release build)
#   make bench-micro   runs the hot-path micro-benchmarks, checks their committed thresholds
#                      (allocations per call, time) and writes benchmarks/RESULTS-micro.md
#   make bench-grpc   runs the gRPC load benchmarks beside nghttpd (release build)
#   make bench-stores   runs only the object-store scenario (add over 64 objects per --store,
#                       beside SQLite alone) and replaces its section of benchmarks/RESULTS.md
#                       (QUICK=1 for a short trial)
#   make bench-agents   runs the agent benchmarks: NATS request-reply beside a libnats echo
#                       floor, and the embedded bus (release build)

SWIFT ?= swift

.PHONY: demo test test-sanitizers build bench bench-stores bench-loop bench-micro bench-grpc bench-agents deps-build deps-test deps-bench clean

deps-build:
	@scripts/install-deps.sh build

deps-test:
	@scripts/install-deps.sh test

deps-bench:
	@scripts/install-deps.sh bench

build: deps-build
	$(SWIFT) build

demo: deps-build
	$(SWIFT) run demo

test: deps-test
	$(SWIFT) test
	SWIFT="$(SWIFT)" scripts/run-interop-tests.sh

# Separate build folders, so the sanitized builds do not replace the normal one. Leak
# detection is off under ASan: XCTest's runner leaks its own objects on Linux, and our leak
# check is the loops' shutdown reports, which every test already asserts.
test-sanitizers: deps-test
	$(SWIFT) test --sanitize=thread --scratch-path .build-tsan
	ASAN_OPTIONS=detect_leaks=0 $(SWIFT) test --sanitize=address --scratch-path .build-asan

# gRPC echo and InvokeObj add (ours, grpc-swift-2, nghttpd), a drain under load, the agents;
# see scripts/bench.sh. QUICK=1 short runs; NO_GRPC_SWIFT=1 skips the reference's long build.
bench: deps-bench
	SWIFT="$(SWIFT)" scripts/bench.sh

# add over 64 objects at 16x10 and 64x100 against demo serve --store memory, sqlite (NORMAL,
# FULL), nats-kv (one and two processes on one bucket), and SQLite alone (benchmarks/sqlite-floor).
bench-stores: deps-bench
	SWIFT="$(SWIFT)" SCENARIOS=stores NO_AGENTS=1 NO_GRPC_SWIFT=1 scripts/bench.sh

bench-loop: deps-bench
	scripts/bench-loop.sh

# Protobuf, gRPC framing, payload JSON, NATS parsing, the object queue and whole calls (in
# memory and over loopback), with allocation counts; fails (exit 2) on a regression beyond
# benchmarks/Thresholds/. UPDATE_THRESHOLDS=1 records new thresholds instead.
bench-micro: deps-bench
	SWIFT="$(SWIFT)" scripts/bench-micro.sh

# h2load scenarios on the echo server, and oaas-load scenarios (InvokeObj math.Calculator/add
# over 64 objects) on the demo's services; each beside nghttpd in the same run.
bench-grpc: deps-bench
	$(SWIFT) build -c release --product demo
	SWIFT="$(SWIFT)" RESULTS="$${RESULTS:-benchmarks/RESULTS-grpc.md}" SERVER_CMD="$$($(SWIFT) build -c release --show-bin-path)/demo serve --port 0 --store memory" scripts/bench-grpc.sh

# math.Calculator/add through a local nats-server, 1 and 64 callers, our agent (the demo) beside
# a plain libnats echo responder; then oaas.invokeViaBus beside oaas.invoke in one process.
# Writes the agents section of benchmarks/RESULTS.md (QUICK=1 for a short trial).
bench-agents: deps-bench
	SWIFT="$(SWIFT)" scripts/bench-agents.sh

clean:
	rm -rf .build .build-bench-release benchmarks/.build benchmarks/.build-nats-echo benchmarks/.build-micro benchmarks/.build-sqlite-floor
