# The two commands a new user needs, plus the benchmark harness.
#   make demo   installs what is missing, then builds and runs the demo
#   make test   installs what the tests need, then runs the whole suite
#   make bench-loop   runs the event-loop micro-benchmarks (release build)

SWIFT ?= swift

.PHONY: demo test build bench-loop bench-grpc deps-build deps-test deps-bench clean

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

bench-loop: deps-bench
	scripts/bench-loop.sh

bench-grpc: deps-bench
	SWIFT="$(SWIFT)" scripts/bench-grpc.sh

clean:
	rm -rf .build benchmarks/.build
