# make test: everything CI runs, on a fresh machine (installs Chromium, w3m
# and lynx when missing). make run: the demo server on :8080.
GO        ?= go
# A count, not a duration: a -fuzztime duration is a wall-clock deadline, and
# Go's fuzz coordinator can report reaching it as a failure ("context deadline
# exceeded", no crasher) on a starved machine; a count only runs slower there.
FUZZTIME  ?= 20000x

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

unit:
	$(GO) test -race -count=1 -timeout 25m ./...
	$(GO) test -count=1 ./internal/artimg/cmd/genimages

# A bounded run of every fuzz target; longer on demand: make fuzz FUZZTIME=10m
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzPayload$$' -fuzztime $(FUZZTIME) ./render
	$(GO) test -run '^$$' -fuzz '^FuzzQuoted$$' -fuzztime $(FUZZTIME) ./render
	$(GO) test -run '^$$' -fuzz '^FuzzRequestID$$' -fuzztime $(FUZZTIME) ./render
	$(GO) test -run '^$$' -fuzz '^FuzzAppendFragment$$' -fuzztime $(FUZZTIME) ./render
	$(GO) test -run '^$$' -fuzz '^FuzzReceive$$' -fuzztime $(FUZZTIME) ./cache
	$(GO) test -run '^$$' -fuzz '^FuzzVerifyToken$$' -fuzztime $(FUZZTIME) ./live
	$(GO) test -run '^$$' -fuzz '^FuzzPublishedAt$$' -fuzztime $(FUZZTIME) ./live
	$(GO) test -run '^$$' -fuzz '^FuzzForwardedFor$$' -fuzztime $(FUZZTIME) .
	$(GO) test -run '^$$' -fuzz '^FuzzIsCrawler$$' -fuzztime $(FUZZTIME) ./internal/crawler
	$(GO) test -run '^$$' -fuzz '^FuzzParseLatency$$' -fuzztime $(FUZZTIME) ./internal/store
	$(GO) test -run '^$$' -fuzz '^FuzzParseDelays$$' -fuzztime $(FUZZTIME) ./pages
	$(GO) test -run '^$$' -fuzz '^FuzzParseFailures$$' -fuzztime $(FUZZTIME) ./pages
	$(GO) test -run '^$$' -fuzz '^FuzzJSONLD$$' -fuzztime $(FUZZTIME) ./pages
	$(GO) test -run '^$$' -fuzz '^FuzzQueryParam$$' -fuzztime $(FUZZTIME) ./pages
	$(GO) test -run '^$$' -fuzz '^FuzzResponse$$' -fuzztime $(FUZZTIME) ./internal/wire
	$(GO) test -run '^$$' -fuzz '^FuzzAcceptEncoding$$' -fuzztime $(FUZZTIME) ./internal/header
	$(GO) test -run '^$$' -fuzz '^FuzzNegotiate$$' -fuzztime $(FUZZTIME) ./compress

run:
	$(GO) run .

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./render/... ./assets/... ./compress/... ./internal/...
