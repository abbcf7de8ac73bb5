# amiaudit — make targets a newcomer guesses.
GO       ?= go
BIN      ?= bin/amiaudit
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X github.com/amiaudit/amiaudit/internal/cli.Version=$(VERSION)

.PHONY: all build test lint bench demo generate fmt clean

all: build

build: ## build bin/amiaudit
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/amiaudit

demo: ## live demo: moto + example organization + amiaudit scan (falls back to the offline demo without moto)
	$(GO) run ./cmd/amiaudit-demo

test: ## run every test: Go and Rego (installs moto and disk tools if missing)
	@scripts/test-deps
	$(GO) test ./...

# staticcheck is pinned here, not in go.mod: 'go run PKG@VERSION' builds it
# apart from the module, so its dependencies never move ours.
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

lint: ## gofmt, go vet, staticcheck (what .ci/run runs before make test)
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

bench: ## benchmarks (evaluation of 100,000 AMIs / 300,000 snapshots, …)
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 1x ./...

generate: ## regenerate schema/snapshot.schema.json and docs/snapshot-fields.md
	$(GO) generate ./...

clean:
	rm -rf bin
