# The two commands a new user needs, plus the benchmark harness.
#   make demo   installs what is missing, then builds and runs the demo
#   make test   installs what the tests need, then runs the whole suite
#   make test-sanitizers   runs the Swift suite under ThreadSanitizer and AddressSanitizer
#   make bench-loop   runs the event-loop micro-benchmarks (release build)
#   make bench-grpc   runs the gRPC load benchmarks beside nghttpd (release build)

SWIFT ?= swift

.PHONY: demo test test-sanitizers build bench-loop bench-grpc deps-build deps-test deps-bench clean

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
test-sanitizers: deps-build
	$(SWIFT) test --sanitize=thread --scratch-path .build-tsan
	ASAN_OPTIONS=detect_leaks=0 $(SWIFT) test --sanitize=address --scratch-path .build-asan

bench-loop: deps-bench
	scripts/bench-loop.sh

# h2load scenarios on the echo server, and oaas-load scenarios (InvokeObj math.Calculator/add
# over 64 objects) on the demo's services; each beside nghttpd in the same run.
bench-grpc: deps-bench
	$(SWIFT) build -c release --product demo
	SWIFT="$(SWIFT)" SERVER_CMD="$$($(SWIFT) build -c release --show-bin-path)/demo serve --port 0" scripts/bench-grpc.sh

clean:
	rm -rf .build benchmarks/.build
