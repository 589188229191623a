# The README's commands, and the ones CI runs (.ci/run calls `make test`).
# The nested testenv module holds the in-process control plane; its first
# build takes about 12 minutes on 2 cores, later ones seconds (Go build cache).

# `make fuzz` runs every fuzz target of the root module (each func Fuzz... in
# a _test.go file below cmd, internal and pkg), so a new decoder or renderer
# fuzzer joins CI by being written. The targets share FUZZBUDGET seconds
# (at least FUZZMIN each), about 75 s in CI however many there are;
# FUZZTIME=60s gives each target that long instead. A failing input is
# minimised for at most FUZZMINIMIZETIME (go's default of 60 s would eat the
# budget) and written to the package's testdata/fuzz: commit it, and every
# `go test` runs it from then on.
FUZZBUDGET ?= 75
FUZZMIN ?= 5
FUZZTIME ?=
FUZZMINIMIZETIME ?= 5s

.PHONY: demo test test-root test-testenv fuzz lint bench docs

demo:
	go run ./cmd/hopscope demo

test: test-root fuzz test-testenv

test-root:
	go vet ./...
	go test ./...

fuzz:
	@targets=$$(grep -rE --include='*_test.go' -o '^func Fuzz[A-Za-z0-9_]*' cmd internal pkg | \
		sed -E 's|^(.*)/[^/]*_test\.go:func |\1 |' | sort); \
	n=$$(printf '%s\n' "$$targets" | grep -c .); \
	[ "$$n" -gt 0 ] || { echo "no fuzz targets found" >&2; exit 1; }; \
	each="$(FUZZTIME)"; \
	if [ -z "$$each" ]; then s=$$(( $(FUZZBUDGET) / n )); [ $$s -ge $(FUZZMIN) ] || s=$(FUZZMIN); each=$${s}s; fi; \
	printf '%s\n' "$$targets" | while read -r dir name; do \
		echo "fuzz $$name in ./$$dir for $$each"; \
		go test ./$$dir -run '^$$' -fuzz "^$$name\$$" -fuzztime $$each -fuzzminimizetime $(FUZZMINIMIZETIME) || exit 1; \
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
