# nl2tp — see README.md. Every target works on a fresh Debian machine once
# .ci/install has run (it installs gcc, linux-libc-dev, qemu and friends).
GO ?= go
export CGO_ENABLED ?= 0

.PHONY: all generate check-generate unit test vet kernels vmtest static demo

all: test

# Regenerate l2tp/z*.go from /usr/include/linux/l2tp.h.
generate:
	$(GO) generate ./...

# Fail when the committed generated files differ from a fresh generation.
check-generate: generate
	@test -z "$$(git status --porcelain -- 'l2tp/z*.go')" || { git status --porcelain -- 'l2tp/z*.go'; git diff -- 'l2tp/z*.go' | head -40; echo "generated files are stale: run make generate and commit"; exit 1; }

vet:
	$(GO) vet ./...

# Unit tests (no kernel L2TP needed). -race needs cgo.
unit:
	CGO_ENABLED=1 $(GO) test -race -count=1 ./...

# Fetch and unpack the Debian cloud kernels (6.1 and 6.12 lines) into .cache/.
kernels:
	$(GO) run ./internal/vmtest/cmd/vmrun -fetch

# The kernel tests in qemu VMs on both kernels; VMRUN_FLAGS="-run TestX" etc.
# Then the rig's own tests that boot VMs (panic and timeout detection), which
# `unit` skips while the kernels are not fetched yet.
vmtest:
	$(GO) run ./internal/vmtest/cmd/vmrun -kernels 6.1,6.12 $(VMRUN_FLAGS)
	$(GO) test -count=1 -run 'TestBoot|TestRunCommand|TestResolveModules' ./internal/vmtest

# The README's test command: unit tests, then the real-kernel suite.
test: unit vmtest

# One static, stripped nl2tp binary to copy onto a router: bin/nl2tp.
static:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags='-s -w' -o bin/nl2tp ./cmd/nl2tp

# The scripted nl2tp demo in a 6.12 VM: two namespaces, a pseudowire, traffic,
# counters, events, teardown.
demo:
	$(GO) run ./cmd/nl2tp/internal/demo/run

# Benchmarks against the seed's approach (mdlayher/netlink + genetlink, in the
# nested module bench/, which keeps this module free of them): both sides'
# BenchmarkVsSeed, interleaved BENCH_COUNT times so that load on the machine
# hits both alike, then the ratios of the medians (BENCH_STAT=min: of the
# fastest runs) and the issue's targets. One P (-test.cpu 1), so that the
# garbage collector's work, which allocations cause, counts in ns/op instead
# of running unseen on an idle core.
BENCH_COUNT ?= 5
BENCH_TIME ?= 1s
BENCH_STAT ?= median
.PHONY: bench
bench:
	@mkdir -p .cache/bench
	$(GO) test -c -o .cache/bench/nl2tp.test ./l2tp
	cd bench && $(GO) test -c -o ../.cache/bench/seed.test ./seed
	@rm -f .cache/bench/nl2tp.txt .cache/bench/seed.txt
	@for i in $$(seq $(BENCH_COUNT)); do \
		(cd l2tp && ../.cache/bench/nl2tp.test -test.run '^$$' -test.bench VsSeed -test.benchmem -test.cpu 1 -test.benchtime $(BENCH_TIME)) >> .cache/bench/nl2tp.txt || exit 1; \
		(cd bench/seed && ../../.cache/bench/seed.test -test.run '^$$' -test.bench VsSeed -test.benchmem -test.cpu 1 -test.benchtime $(BENCH_TIME)) >> .cache/bench/seed.txt || exit 1; \
	done
	cd bench && $(GO) run ./cmd/ratio -stat $(BENCH_STAT) ../.cache/bench/nl2tp.txt ../.cache/bench/seed.txt

# The real-kernel benchmark in qemu VMs (both kernels, one after the other):
# create and delete 1000 L2TPv3 sessions one at a time, in nl2tp batches and
# with `ip -batch`; wall times and netlink system calls (strace) per kernel.
# Not part of `make test`. KBENCH_FLAGS="-n 200 -rounds 1 -kernels 6.12" etc.
.PHONY: kbench
kbench:
	$(GO) run ./internal/kbench/cmd/kbench $(KBENCH_FLAGS)

# Regenerate the golden captures (testdata/<kernel line>/, testdata/README.md)
# and the l2tp fuzz seeds made from them (l2tp/testdata/fuzz/*/golden-*): boots
# each kernel in a VM with iproute2's ip and records the L2TP netlink traffic on
# an nlmon interface. The files are committed; not part of `make test`.
.PHONY: golden
golden:
	$(GO) run ./internal/golden/cmd/golden -kernels 6.1,6.12

# Run every native fuzz target of the module, each for FUZZTIME; see .ci/fuzz
# (it reruns a target that hits Go 1.26's fuzz-coordinator deadline race).
FUZZTIME ?= 20s
.PHONY: fuzz
fuzz:
	GO=$(GO) FUZZTIME=$(FUZZTIME) .ci/fuzz
