# Galeno: `make run` starts the product, `make test` runs every test.
GO            ?= go
NPM           ?= npm
# The npm tools (Redocly CLI, openapi-typescript, Redoc) at the versions package-lock.json pins.
NODE_BIN      := node_modules/.bin
NODE_TOOLS    := node_modules/.package-lock.json
DOCSUI        := cmd/galeno/docsui
export REDOCLY_TELEMETRY := off
export REDOCLY_SUPPRESS_UPDATE_NOTICE := true
GOFILES        = $(shell git ls-files '*.go' 2>/dev/null || find . -name '*.go')

.PHONY: all run sandbox mock test fuzz generate check-generated lint build bench bench-mock bench-server soak

all: lint test

DB_FILE       ?= galeno.db

## run: build and start `galeno serve` on http://127.0.0.1:8080 with the embedded SQLite ($(DB_FILE));
##      the first time, it creates an integrator medic and prints its token
run: build
	@out=$$(bin/galeno admin token --name Integrator --email integrator@galeno.local --db sqlite:$(DB_FILE) 2>&1); \
	if [ $$? -eq 0 ]; then \
	  echo "Your Prescrypto API token (shown only now, keep it): $$out"; \
	  echo "Try: curl -H 'Authorization: Token $$out' http://127.0.0.1:8080/api/v2/medics/"; \
	elif echo "$$out" | grep -q "already exists"; then \
	  echo "$(DB_FILE) already has the integrator; its token was printed the first time (delete $(DB_FILE)* to start afresh)"; \
	else echo "$$out" >&2; exit 1; fi
	bin/galeno serve --db sqlite:$(DB_FILE)

## test: every Go test, on SQLite and on a throwaway PostgreSQL cluster (db/testpg.sh; set GALENO_TEST_PG to use yours),
##       and the clients' tests (TypeScript through node --test, the Postman collection through newman)
test: $(NODE_TOOLS)
	db/testpg.sh $(GO) test -count=1 ./...

FUZZTIME      ?= 30s
# Minimising each new interesting input for the default minute would stall the workers.
FUZZMINIMIZETIME ?= 5s

## fuzz: run each fuzz target of impl/ (one per API family) for $(FUZZTIME), on SQLite and a throwaway
##       PostgreSQL; an input that fails is saved under impl/testdata/fuzz/<target>/ (commit it with
##       the fix: `make test` replays it)
fuzz:
	@for target in $$($(GO) test -list '^Fuzz' ./impl/ | grep '^Fuzz'); do \
	  echo "== $$target for $(FUZZTIME)"; \
	  db/testpg.sh $(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZETIME) ./impl/ || exit 1; \
	done

# npm ci installs exactly package-lock.json, again only when package.json or the lockfile changes.
$(NODE_TOOLS): package.json package-lock.json
	$(NPM) ci --no-audit --no-fund --ignore-scripts
	@touch $@

## generate: regenerate gen/ (Go), gen/typescript/ (TypeScript types) and gen/postman/ (the Postman
##           collection, tools/postman/collection.mjs) from openapi.yaml, and
##           $(DOCSUI)/ (what /docs serves: Redoc from npm, the contract as YAML and JSON)
generate: $(NODE_TOOLS)
	cd gen && $(GO) generate ./...
	$(NODE_BIN)/openapi-typescript openapi.yaml --default-non-nullable false -o gen/typescript/galeno.d.ts >/dev/null
	node tools/postman/collection.mjs openapi.yaml gen/postman/galeno.postman_collection.json
	rm -rf $(DOCSUI) && mkdir -p $(DOCSUI)
	cp node_modules/redoc/bundles/redoc.standalone.js node_modules/redoc/bundles/redoc.standalone.js.LICENSE.txt $(DOCSUI)/
	cp node_modules/redoc/LICENSE $(DOCSUI)/redoc.LICENSE
	cp openapi.yaml $(DOCSUI)/openapi.yaml
	$(NODE_BIN)/redocly bundle openapi.yaml --ext json -o $(DOCSUI)/openapi.json >/dev/null 2>&1

## check-generated: fail when `make generate` changes anything under gen/ or $(DOCSUI)/
check-generated: generate
	@git add -N gen $(DOCSUI) >/dev/null 2>&1 || true
	@git diff --exit-code --stat -- gen $(DOCSUI) || { echo "gen/ or $(DOCSUI)/ is stale: run 'make generate' and commit the result"; exit 1; }

## lint: gofmt, go vet, staticcheck (pinned in go.mod as a tool) and Redocly CLI lint of openapi.yaml
lint: $(NODE_TOOLS)
	@unformatted=$$(gofmt -l $(GOFILES)); if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...
	$(NODE_BIN)/redocly lint openapi.yaml --format=stylish

## build: the galeno binary in ./bin (`galeno version` names the commit: -buildvcs overrides a
##        GOFLAGS=-buildvcs=false, and "auto" still builds outside a git checkout)
build:
	$(GO) build -buildvcs=auto -o bin/galeno ./cmd/galeno

## sandbox: start the real API on http://127.0.0.1:4010, on an in-memory database seeded with the
##          documented examples; it prints a credential for every family (development only)
sandbox:
	$(GO) run ./cmd/galeno sandbox

## mock: start the mock of openapi.yaml on http://127.0.0.1:4010, reloaded when the file changes
mock:
	$(GO) run ./cmd/galeno mock --spec openapi.yaml

## bench-mock: galeno mock against Prism on the same spec (installs wrk and Prism)
bench-mock:
	mock/bench/run.sh

## bench: the benchmarks, figures and commands in docs/benchmarks.md (each part is its own target)
bench: bench-mock bench-server

## bench-server: galeno serve on 100,000 medics in a throwaway PostgreSQL, loaded by wrk, against pgbench -S and a bare reference server (~8 min)
bench-server: build
	impl/loadtest/bench-server.sh

## soak: mixed /api/v2 traffic to two galeno serve on one throwaway PostgreSQL, restarted twice mid-run (~2 min)
soak: build
	GALENO_SOAK=1 GALENO_BIN=$(CURDIR)/bin/galeno env -u GALENO_TEST_PG db/testpg.sh \
	  $(GO) test -count=1 -run '^TestSoak$$' -v -timeout 10m ./impl/loadtest/
