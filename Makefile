# The README's commands, and the ones CI runs (.ci/run calls `make test`).
# The nested testenv module holds the in-process control plane; its first
# build takes about 12 minutes on 2 cores, later ones seconds (Go build cache).

FUZZTIME ?= 20s

.PHONY: demo test test-root test-testenv fuzz lint bench docs

demo:
	go run ./cmd/hopscope demo

test: test-root fuzz test-testenv

test-root:
	go vet ./...
	go test ./...

fuzz:
	go test ./pkg/source -run '^$$' -fuzz FuzzDecodeBytes -fuzztime $(FUZZTIME)

test-testenv:
	cd testenv && go vet ./... && go test -timeout 40m ./...

lint:
	test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	go vet ./...
	staticcheck ./...
	cd testenv && staticcheck ./...

bench:
	go test ./... -run '^$$' -bench . -benchmem

docs:
	go run ./cmd/hopscope checks --markdown > docs/checks.md
