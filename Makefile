# nl2tp — see README.md. Every target works on a fresh Debian machine once
# .ci/install has run (it installs gcc, linux-libc-dev, qemu and friends).
GO ?= go
export CGO_ENABLED ?= 0

.PHONY: all generate check-generate unit test vet

all: test

# Regenerate l2tp/z*.go from /usr/include/linux/l2tp.h.
generate:
	$(GO) generate ./...

# Fail when the committed generated files differ from a fresh generation.
check-generate: generate
	@git diff --exit-code -- '*.go' || { echo "generated files are stale: run make generate and commit"; exit 1; }

vet:
	$(GO) vet ./...

# Unit tests (no kernel L2TP needed). -race needs cgo.
unit:
	CGO_ENABLED=1 $(GO) test -race -count=1 ./...

# The README's test command: unit tests, then the real-kernel suite.
test: unit
