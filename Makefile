# Galeno: `make run` starts the product, `make test` runs every test.
GO            ?= go
NPX           ?= npx --yes
OPENAPI_TS    := openapi-typescript@7.13.0
REDOCLY       := @redocly/cli@2.77.0
GOFILES        = $(shell git ls-files '*.go' 2>/dev/null || find . -name '*.go')

.PHONY: all run test generate check-generated lint build bench

all: lint test

## run: start galeno on http://127.0.0.1:4010 (the mock of openapi.yaml, reloaded when it changes)
run:
	$(GO) run ./cmd/galeno mock --spec openapi.yaml

## test: every Go test (SQLite, and PostgreSQL from the installed server binaries)
test:
	$(GO) test -count=1 ./...

## generate: regenerate gen/ (Go) and gen/typescript/ (TypeScript types) from openapi.yaml
generate:
	cd gen && $(GO) generate ./...
	$(NPX) $(OPENAPI_TS) openapi.yaml -o gen/typescript/galeno.d.ts >/dev/null

## check-generated: fail when `make generate` changes anything under gen/
check-generated: generate
	@git add -N gen >/dev/null 2>&1 || true
	@git diff --exit-code --stat -- gen || { echo "gen/ is stale: run 'make generate' and commit the result"; exit 1; }

## lint: gofmt, go vet and Redocly CLI lint of openapi.yaml
lint:
	@unformatted=$$(gofmt -l $(GOFILES)); if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(NPX) $(REDOCLY) lint openapi.yaml --format=stylish

## build: the galeno binary in ./bin
build:
	$(GO) build -o bin/galeno ./cmd/galeno

## bench: galeno mock against Prism on the same spec (installs wrk and Prism; see docs/benchmarks.md)
bench:
	mock/bench/run.sh
