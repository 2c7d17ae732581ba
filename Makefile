# nl2tp — see README.md. Every target works on a fresh Debian machine once
# .ci/install has run (it installs gcc, linux-libc-dev, qemu and friends).
GO ?= go
export CGO_ENABLED ?= 0

.PHONY: all generate check-generate unit test vet kernels vmtest static

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
vmtest:
	$(GO) run ./internal/vmtest/cmd/vmrun -kernels 6.1,6.12 $(VMRUN_FLAGS)

# The README's test command: unit tests, then the real-kernel suite.
test: unit vmtest

# One static, stripped nl2tp binary to copy onto a router: bin/nl2tp.
static:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags='-s -w' -o bin/nl2tp ./cmd/nl2tp
