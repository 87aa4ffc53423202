# make test: everything CI runs, on a fresh machine (installs Chromium, w3m
# and lynx when missing). make run: the demo server on :8080.
GO        ?= go
# A count, not a duration: a -fuzztime duration is a wall-clock deadline, and
# Go's fuzz coordinator can report reaching it as a failure ("context deadline
# exceeded", no crasher) on a starved machine; a count only runs slower there.
FUZZTIME  ?= 20000x

.PHONY: test deps generate check-generated lint tools unit fuzz run bench

# The tools (see below) build in the background from the start, at the
# lowest CPU priority, while the test dependencies install and the other
# steps run; a test that needs one before it is built waits for it
# (internal/testenv/tool.go; e2e/traces comes late in go test's order).
test:
	@echo "building the test tools in the background (log: .tools.log)"
	@{ nice -n 19 $(MAKE) --no-print-directory tools > .tools.log 2>&1 || echo "make tools failed" >> .tools.log; } & \
	$(MAKE) --no-print-directory deps check-generated lint unit fuzz; rc=$$?; wait; \
	if [ $$rc -ne 0 ] || grep -q "make tools failed" .tools.log; then cat .tools.log; exit 1; fi

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

# Programs the tests run that are built from pinned modules of their own
# (tools/*/go.mod), kept in the user's cache directory per pin
# (internal/testenv/tool.go). The first build of Jaeger on a fresh machine
# takes minutes: make test starts it first, in the background.
tools:
	$(GO) test -count=1 -timeout 30m -run '^TestStartJaeger$$' ./internal/testenv

# -timeout 20m: a test binary that needs a tool may wait for its first
# build (make test's background one) before it can run.
unit:
	$(GO) test -race -count=1 -timeout 20m ./...

# A bounded run of every fuzz target; longer on demand: make fuzz FUZZTIME=10m
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzPayload$$' -fuzztime $(FUZZTIME) ./render
	$(GO) test -run '^$$' -fuzz '^FuzzQuoted$$' -fuzztime $(FUZZTIME) ./render
	$(GO) test -run '^$$' -fuzz '^FuzzRequestID$$' -fuzztime $(FUZZTIME) ./render
	$(GO) test -run '^$$' -fuzz '^FuzzAppendFragment$$' -fuzztime $(FUZZTIME) ./render
	$(GO) test -run '^$$' -fuzz '^FuzzVerifyToken$$' -fuzztime $(FUZZTIME) ./live
	$(GO) test -run '^$$' -fuzz '^FuzzPublishedAt$$' -fuzztime $(FUZZTIME) ./live
	$(GO) test -run '^$$' -fuzz '^FuzzForwardedFor$$' -fuzztime $(FUZZTIME) .
	$(GO) test -run '^$$' -fuzz '^FuzzIsCrawler$$' -fuzztime $(FUZZTIME) ./internal/crawler
	$(GO) test -run '^$$' -fuzz '^FuzzParseLatency$$' -fuzztime $(FUZZTIME) ./internal/store
	$(GO) test -run '^$$' -fuzz '^FuzzParseDelays$$' -fuzztime $(FUZZTIME) ./pages
	$(GO) test -run '^$$' -fuzz '^FuzzParseFailures$$' -fuzztime $(FUZZTIME) ./pages
	$(GO) test -run '^$$' -fuzz '^FuzzResponse$$' -fuzztime $(FUZZTIME) ./internal/wire
	$(GO) test -run '^$$' -fuzz '^FuzzAcceptEncoding$$' -fuzztime $(FUZZTIME) ./internal/header
	$(GO) test -run '^$$' -fuzz '^FuzzNegotiate$$' -fuzztime $(FUZZTIME) ./compress

run:
	$(GO) run .

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./render/... ./assets/... ./compress/... ./internal/...
