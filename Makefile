# arthost — build, test, benchmark and regenerate everything from here.
# Each target says what it needs; `make help` lists them.

GO        ?= go
BIN       := bin
PYTHON    ?= /usr/bin/python3
# Pinned generators for `make proto` (protoc itself comes from Debian's
# protobuf-compiler package).
PROTOC_GEN_GO_VERSION      := v1.36.12
PROTOC_GEN_GO_GRPC_VERSION := v1.5.1
GOBIN_DIR := $(CURDIR)/.tools

# Every plugin executable: bin/arthost-plugin-NAME from its package.
PLUGINS := linear=./examples/plugins/linear
PLUGINS += $(foreach p,$(wildcard plugins/*/main.go),$(notdir $(patsubst %/,%,$(dir $(p))))=./$(dir $(p)))

.PHONY: help build test test-short bench proto lint fuzz fixtures demo clean

help:
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

build: ## build bin/arthost and every bin/arthost-plugin-NAME
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/arthost ./cmd/arthost
	@set -e; for p in $(PLUGINS); do \
		name=$${p%%=*}; pkg=$${p#*=}; \
		echo "$(GO) build -o $(BIN)/arthost-plugin-$$name $$pkg"; \
		$(GO) build -o $(BIN)/arthost-plugin-$$name $$pkg; \
	done

test: build ## run every test (real plugin processes; no Python needed)
	$(GO) test -count=1 -timeout 20m ./...

lint: ## gofmt and go vet
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '\.pb\.go$$')); \
		if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

bench: build ## benchmarks with ratios measured side by side in one run
	@echo "== remote/in-process: linear model, 784 features, 10 classes (5 runs each) =="
	$(GO) test -run '^$$' -bench . -benchtime 200x -count 5 ./examples/plugins/linear/ | tee $(BIN)/bench-linear.txt | $(GO) run ./internal/cmd/benchratio -num remote -den inprocess

fuzz: ## run each fuzz target of the foundation for a while (FUZZTIME, default 30s)
	$(GO) test -run '^$$' -fuzz FuzzDecode -fuzztime $${FUZZTIME:-30s} ./internal/npyfile
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime $${FUZZTIME:-30s} ./host/config
	$(GO) test -run '^$$' -fuzz FuzzParseModel -fuzztime $${FUZZTIME:-30s} ./examples/plugins/linear
	$(GO) test -run '^$$' -fuzz FuzzFromProto -fuzztime $${FUZZTIME:-30s} ./shared/tensor

proto: ## regenerate shared/estimatorv1 from the .proto (needs protoc: apt-get install protobuf-compiler)
	GOBIN=$(GOBIN_DIR) $(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
	GOBIN=$(GOBIN_DIR) $(GO) install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GO_GRPC_VERSION)
	PATH=$(GOBIN_DIR):$$PATH protoc -I shared/proto \
		--go_out=. --go_opt=module=github.com/arthost/arthost \
		--go-grpc_out=. --go-grpc_opt=module=github.com/arthost/arthost \
		shared/proto/arthost/v1/estimator.proto

fixtures: ## regenerate committed test fixtures (needs Debian's python3-sklearn, python3-torch, python3-onnx)
	@echo "fixtures: nothing to regenerate yet in the foundation"

demo: build ## build everything and run the main job
	./scripts/demo.sh

clean:
	rm -rf $(BIN) $(GOBIN_DIR)
