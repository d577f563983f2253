# Everything here runs on a fresh machine with only Go installed: the generator is pinned as a Go
# tool in tools/go.mod (a module of its own, so that users of the library never inherit it) and
# fetched by the go command.
GO ?= go
PKGS := ./...

.PHONY: spec-lint spec-drift spec-breaking fidelity all generate check-generated check-deps test lint bench bench-unit fuzz soak contract compat compat-js serve \
	actionlint live-contract release image image-push dist-check

# The release's version: the v* tag at HEAD, else the library's invitations.Version as a -dev
# prerelease. make release and make image refuse one that is not invitations.Version.
VERSION ?= $(or $(shell git describe --tags --exact-match --match 'v*' 2>/dev/null),v$(shell sed -n 's/^[[:space:]]*Version[[:space:]]*= "\([^"]*\)".*/\1/p' wrapper/invitations/options.go)-dev)
OUT ?= dist

all: check-generated lint test

## generate: rebuild generated/ from openapi.yaml
generate:
	$(GO) generate ./...

## check-generated: regenerate and fail if generated/ differs from what is committed
check-generated: generate
	@if ! git diff --quiet --exit-code -- generated/ || [ -n "$$(git ls-files --others --exclude-standard -- generated/)" ]; then \
		echo "generated/ is stale: run 'make generate' and commit the result" >&2; \
		git --no-pager diff --stat -- generated/ >&2; \
		exit 1; \
	fi

## check-deps: a module importing the client inherits no generator module; no command links testing
check-deps:
	./.ci/check-deps

## test: vet, then every test with the race detector, and actionlint over the workflows
test: actionlint
	$(GO) vet $(PKGS)
	$(GO) test -race -count=1 $(PKGS)
	cd tools/spec && $(GO) vet ./... && $(GO) test -count=1 ./...
	cd tools && $(GO) vet ./... && $(GO) vet -tags dist ./... && $(GO) test -count=1 ./...

## actionlint: every workflow under .github/workflows through actionlint (pinned in tools/go.mod)
actionlint:
	$(GO) tool -modfile=tools/go.mod actionlint

## lint: gofmt and go vet
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:" >&2; echo "$$out" >&2; exit 1; fi
	$(GO) vet $(PKGS)
	cd bench && $(GO) vet ./...

## spec-lint: openapi.yaml and control.yaml through kin-openapi's validation and Redocly's strict recommended rules
## (tools/redocly, pinned; skipped with a notice when Node.js is absent)
spec-lint:
	$(GO) test -count=1 -run '^Test(Spec|ControlSpec)IsValid' ./internal/specvalidate
	@if command -v node >/dev/null 2>&1; then \
		cd tools/redocly && npm ci --no-audit --no-fund --silent && \
		REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true ./node_modules/.bin/redocly lint --config redocly.yaml ../../openapi.yaml ../../control.yaml; \
	else echo "spec-lint: Node.js not found, Redocly's lint skipped" >&2; fi

## spec-drift: the invitation operations of Clerk's document UPSTREAM (a file, an http(s) URL,
## or newest: the newest of github.com/clerk/openapi-specs/bapi) against openapi.yaml; fails on
## any difference tools/spec/deviations.yaml does not explain (VERBOSE=1 lists the explained ones)
spec-drift:
	@if [ -z "$(UPSTREAM)" ]; then echo "usage: make spec-drift UPSTREAM=<file or URL of Clerk's Backend API document, or newest>" >&2; exit 2; fi
	cd tools/spec && $(GO) run ./drift -ours ../../openapi.yaml -deviations deviations.yaml \
		-upstream "$(if $(filter http://% https://% newest,$(UPSTREAM)),$(UPSTREAM),$(abspath $(UPSTREAM)))" $(if $(VERBOSE),-v)

## spec-breaking: what the working tree breaks for users since BASE (a git ref; default: the
## latest v* tag; none yet: nothing to compare, success): openapi.yaml by oasdiff, the exported
## Go API of wrapper/ by apidiff
spec-breaking:
	@base="$(BASE)"; if [ -z "$$base" ]; then base=$$(git describe --tags --abbrev=0 --match 'v*' 2>/dev/null || true); fi; \
	if [ -z "$$base" ]; then echo "spec-breaking: no v* tag yet, so no release to compare with (BASE=<git ref> names one)" >&2; exit 0; fi; \
	GO=$(GO) tools/spec/breaking.sh "$$base"

## fidelity: replay a contract run's transcript (CONTRACT_RECORD=FILE make contract) against the
## embedded Clerk and report every answer that differs
fidelity:
	@if [ -z "$(TRANSCRIPT)" ]; then echo "usage: make fidelity TRANSCRIPT=<file>" >&2; exit 2; fi
	$(GO) run ./cmd/clerk-invitations fidelity "$(abspath $(TRANSCRIPT))"

## contract: the contract suite; embedded server by default, live with CLERK_SECRET_KEY (see docs/contract.md)
contract:
	$(GO) run ./cmd/clerk-invitations contract

## live-contract: what the scheduled workflow runs: the contract suite against Clerk with
## CLERK_SECRET_KEY (without it: a notice, and success), its transcript in TRANSCRIPT (default
## bin/live-transcript.jsonl) replayed by fidelity; fails on a refuted fact or a fidelity
## difference, warns on trouble reaching Clerk (see .ci/live-contract)
live-contract:
	GO=$(GO) TRANSCRIPT=$(or $(TRANSCRIPT),bin/live-transcript.jsonl) ./.ci/live-contract

## release: the command-line tool for Linux, macOS and Windows on amd64 and arm64, reproducibly,
## with SHA256SUMS, in OUT (default dist/); VERSION=vX.Y.Z (see .ci/release)
release:
	GO=$(GO) VERSION=$(VERSION) OUT=$(OUT) ./.ci/release

## image: the embedded Clerk's container image for linux/amd64 and linux/arm64, built without a
## container daemon: OUT/clerk-invitations-image-linux-ARCH.tar, for docker load (see .ci/image)
image:
	GO=$(GO) VERSION=$(VERSION) OUT=$(OUT) ./.ci/image

## image-push: make image, and push both platforms as one image to IMAGE (docker login first)
image-push:
	@if [ -z "$(IMAGE)" ]; then echo "usage: make image-push IMAGE=<registry/repository:tag>" >&2; exit 2; fi
	GO=$(GO) VERSION=$(VERSION) OUT=$(OUT) IMAGE=$(IMAGE) ./.ci/image

## dist-check: make release, make image and make image-push (to a registry in memory) into
## temporary directories, and test what they produce; a few minutes the first time (six
## cross-compilations)
dist-check:
	$(GO) test -tags dist -count=1 -run '^TestRelease' .
	cd tools && $(GO) test -tags dist -count=1 ./image

## compat: Clerk's official Go SDK (module compat/, so go.mod never needs it) against the embedded Clerk
compat:
	cd compat && $(GO) vet ./... && $(GO) test -race -count=1 ./...

## compat-js: Clerk's JavaScript SDK (@clerk/backend, pinned in compat/js) against the embedded Clerk; needs Node.js 20.9+
compat-js:
	cd compat/js && npm ci --no-audit --no-fund
	cd compat && $(GO) test -tags compatjs -run JavaScript -count=1 ./...

## serve: the embedded server on 127.0.0.1:4010 until interrupted
serve:
	$(GO) run ./cmd/clerk-invitations serve

## fuzz: every fuzz target for FUZZTIME each (their seed corpora in testdata/ also run in make test)
FUZZTIME ?= 15s
FUZZ_TARGETS := \
	./wrapper/invitations:FuzzErrorResponses \
	./wrapper/invitations:FuzzSuccessResponses \
	./wrapper/invitations:FuzzCreateParamsAgreeWithTheServer \
	./wrapper/invitations:FuzzIDs \
	./internal/fakeclerk:FuzzBadInputNeverA500 \
	./internal/rules:FuzzCheckRedirectURL \
	./internal/rules:FuzzCheckEmail \
	./internal/rules:FuzzMetadataSizeAgrees \
	./internal/rules:FuzzPlainAddressIsASubset
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $$name ($$pkg) for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) $$pkg; \
	done

## soak: a mixed workload at 64-way concurrency against serve for SOAK_DURATION, with its figures
SOAK_DURATION ?= 30s
soak:
	SOAK_DURATION=$(SOAK_DURATION) $(GO) test -tags soak -run '^TestSoak$$' -count=1 -v -timeout 30m ./cmd/clerk-invitations

## bench: every benchmark of BENCHMARKS.md (bench/, a module of its own), interleaved, with
## benchstat tables in bench/results/tables.txt; a few minutes
bench:
	GO=$(GO) ./bench/run

## bench-unit: the micro-benchmarks next to the code (decoder, embedded server handler)
bench-unit:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)
