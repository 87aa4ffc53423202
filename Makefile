# make test: everything CI runs, on a fresh machine (installs Chromium, w3m
# and lynx when missing). make run: the demo server on :8080.
GO        ?= go
# Inputs past each fuzz target's seeds, and each new input's minimizing
# budget: counts, not durations (scripts/fuzz.sh says why); 5,000 inputs
# keep CI within its 20 minutes. make fuzz FUZZTIME=10m for a real search.
FUZZTIME  ?= 5000x
FUZZMIN   ?= 100x

.PHONY: test deps generate check-generated lint test-jaeger unit fuzz run bench

# The tests and the fuzz targets run in one step (scripts/unit.sh --fuzz):
# the fuzz targets beside the race detector's last packages.
test: deps check-generated lint
	GO=$(GO) FUZZTIME=$(FUZZTIME) FUZZMIN=$(FUZZMIN) ./scripts/unit.sh --fuzz

deps:
	./scripts/install-test-deps.sh

generate:
	$(GO) tool templ generate

# Generated templ code must match its sources: regenerate, then fail on any diff.
check-generated: generate
	@git diff --exit-code --stat -- '*_templ.go' || { echo "*_templ.go out of date: run make generate and commit" >&2; exit 1; }

# check-tracked.sh: no executable binary and no file over 1 MB is tracked
# outside testdata/ and bench/results/ (a go test -c binary once was).
lint:
	./scripts/check-tracked.sh
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed" >&2; exit 1; }
	$(GO) vet ./...
	$(GO) tool staticcheck ./...

# The tests that need Jaeger (e2e/traces, and internal/testenv's own),
# building it first if this machine has not: make test runs them only
# where it is built already, since its first build (5 minutes of both
# cores, from tools/jaeger/go.mod) does not fit in CI's 20 minutes beside
# the rest (internal/testenv/tool.go, jaeger.go).
test-jaeger:
	BIGPIPE_JAEGER=1 $(GO) test -count=1 -timeout 30m ./internal/testenv ./e2e/traces

# Every package's tests: the library's and the site's under the race
# detector, and at the same time those that drive the site from outside
# (e2e, e2e/cluster, bench) without it (scripts/unit.sh says why).
unit:
	GO=$(GO) ./scripts/unit.sh

# A bounded run of every fuzz target, one after another (scripts/fuzz.sh
# finds them); longer on demand: make fuzz FUZZTIME=10m
fuzz:
	GO=$(GO) FUZZTIME=$(FUZZTIME) FUZZMIN=$(FUZZMIN) ./scripts/fuzz.sh

run:
	$(GO) run .

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./render/... ./assets/... ./compress/... ./internal/...
