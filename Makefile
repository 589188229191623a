# The README's commands, and the ones CI runs (.ci/run calls `make test`).
# The nested testenv module holds the in-process control plane; its first
# build takes about 12 minutes on 2 cores, later ones seconds (Go build cache).

# Each loader fuzz target runs FUZZTIME (7 targets: about a minute in all);
# a short minimisation keeps the budget for fuzzing. Inputs that fail are
# kept in pkg/source/testdata/fuzz and replayed by `go test`.
FUZZTIME ?= 8s
SOURCE_FUZZ = FuzzDecodeBytes FuzzDecodeJSON FuzzCaptureLayouts FuzzReferenceYAMLIsBounded \
	FuzzFastYAMLMatchesReference FuzzTypedDecodeMatchesEncodingJSON FuzzNameChecksMatchAPIMachinery

.PHONY: demo test test-root test-testenv fuzz lint bench docs

demo:
	go run ./cmd/hopscope demo

test: test-root fuzz test-testenv

test-root:
	go vet ./...
	go test ./...

fuzz:
	for t in $(SOURCE_FUZZ); do \
		go test ./pkg/source -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 3s || exit 1; \
	done

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
