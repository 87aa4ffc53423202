# make test: everything CI runs, on a fresh machine (installs Chromium, w3m
# and lynx when missing). make run: the demo server on :8080.
GO        ?= go
# A count, not a duration: a -fuzztime duration is a wall-clock deadline, and
# Go's fuzz coordinator can report reaching it as a failure ("context deadline
# exceeded", no crasher) on a starved machine; a count only runs slower there.
# 5,000 inputs past each target's seeds keep CI within its 20 minutes (at
# 20,000 the step took 6 of them); make fuzz FUZZTIME=10m for a real search.
FUZZTIME  ?= 5000x
# Each input that finds new code is minimized, by default for up to a minute:
# bounded by a count, the slowest targets (several arguments, each minimized)
# took a quarter of the time they did.
FUZZMIN   ?= 100x

.PHONY: test deps generate check-generated lint test-jaeger unit fuzz run bench

test: deps check-generated lint unit fuzz

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

# A bounded run of every fuzz target; longer on demand: make fuzz FUZZTIME=10m
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzPayload$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMIN) ./render
	$(GO) test -run '^$$' -fuzz '^FuzzQuoted$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMIN) ./render
	$(GO) test -run '^$$' -fuzz '^FuzzRequestID$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMIN) ./render
	$(GO) test -run '^$$' -fuzz '^FuzzAppendFragment$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMIN) ./render
	$(GO) test -run '^$$' -fuzz '^FuzzAppendQueryEscaped$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMIN) ./render
	$(GO) test -run '^$$' -fuzz '^FuzzReceive$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMIN) ./cache
	$(GO) test -run '^$$' -fuzz '^FuzzVerifyToken$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMIN) ./live
	$(GO) test -run '^$$' -fuzz '^FuzzPublishedAt$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMIN) ./live
	$(GO) test -run '^$$' -fuzz '^FuzzParseWSHeader$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMIN) ./live
	$(GO) test -run '^$$' -fuzz '^FuzzAppendWSClose$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMIN) ./live
	$(GO) test -run '^$$' -fuzz '^FuzzForwardedFor$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMIN) ./internal/realip
	$(GO) test -run '^$$' -fuzz '^FuzzIsCrawler$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMIN) ./internal/crawler
	$(GO) test -run '^$$' -fuzz '^FuzzParseLatency$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMIN) ./internal/store
	$(GO) test -run '^$$' -fuzz '^FuzzParseDelays$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMIN) ./pages
	$(GO) test -run '^$$' -fuzz '^FuzzParseFailures$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMIN) ./pages
	$(GO) test -run '^$$' -fuzz '^FuzzJSONLD$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMIN) ./pages
	$(GO) test -run '^$$' -fuzz '^FuzzGet$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMIN) ./internal/query
	$(GO) test -run '^$$' -fuzz '^FuzzResponse$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMIN) ./internal/wire
	$(GO) test -run '^$$' -fuzz '^FuzzAcceptEncoding$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMIN) ./internal/header
	$(GO) test -run '^$$' -fuzz '^FuzzNegotiate$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMIN) ./compress

run:
	$(GO) run .

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./render/... ./assets/... ./compress/... ./internal/...
