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
PLUGINS := linear=./examples/plugins/linear faulty=./examples/plugins/faulty
PLUGINS += $(foreach p,$(wildcard plugins/*/main.go),$(notdir $(patsubst %/,%,$(dir $(p))))=./$(dir $(p)))

.PHONY: help build test bench proto proto-python lint fuzz fixtures demo conformance clean

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
	ln -sf $(CURDIR)/examples/plugins/python/arthost-plugin-pysoftmax $(BIN)/arthost-plugin-pysoftmax

test: build ## run every test (real plugin processes; no Python needed)
	$(GO) test -count=1 -timeout 20m ./...

lint: ## gofmt and go vet
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '\.pb\.go$$')); \
		if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

bench: build ## benchmarks with ratios measured side by side in one run
	@echo "== remote/in-process: linear model, 784 features, 10 classes (5 runs each) =="
	$(GO) test -run '^$$' -bench . -benchtime 200x -count 5 ./examples/plugins/linear/ | tee $(BIN)/bench-linear.txt | $(GO) run ./internal/cmd/benchratio -num remote -den inprocess
	@echo "-- the direct channel against gRPC for the same calls (remote/remote-grpc) --"
	$(GO) run ./internal/cmd/benchratio -num remote -den remote-grpc < $(BIN)/bench-linear.txt
	@echo "== supervision overhead and restart time =="
	$(GO) test -run '^$$' -bench . -count 5 ./host/supervise
	@echo "== black-box plugin: HTTP query overhead and concurrency =="
	$(GO) test -run '^$$' -bench . -count 5 ./plugins/blackbox/internal/httpsource/ ./plugins/blackbox/
	@echo "== ONNX plugin: predict against torch (one thread) and ONNX Runtime =="
	@# ONNX Runtime is a yardstick only, from npm, outside the repository.
	@[ -d /tmp/ort/node_modules/onnxruntime-node ] || ! command -v npm >/dev/null || \
		(mkdir -p /tmp/ort && cd /tmp/ort && ONNXRUNTIME_NODE_INSTALL=skip npm install --silent onnxruntime-node@1.30.0) || \
		echo "bench: could not install onnxruntime-node; the ORT column is skipped"
	plugins/onnx/bench/run.sh
	@echo "== ONNX plugin: loss_gradient and all-class class_gradient against torch (one thread) =="
	sh plugins/onnx/bench/grad_run.sh
	@echo "== PGD through the plugin boundary (attack time beyond the plugin's own gradient calls: gradonly) =="
	@# The in-process side of the digits CNN lives with the ONNX plugin (the host
	@# may not import a plugin); the two packages alternate run by run so that
	@# pairing run i of each side cancels some machine noise.
	@rm -f $(BIN)/bench-pgd.txt; for i in 1 2 3 4 5; do \
		$(GO) test -run '^$$' -bench PGD -count 1 ./host/attack/ >> $(BIN)/bench-pgd.txt && \
		$(GO) test -run '^$$' -bench PGD -count 1 ./plugins/onnx/ >> $(BIN)/bench-pgd.txt || \
		{ cat $(BIN)/bench-pgd.txt; exit 1; }; done
	$(GO) run ./internal/cmd/benchratio -num remote -den inprocess < $(BIN)/bench-pgd.txt
	$(GO) run ./internal/cmd/benchratio -num remote -den gradonly < $(BIN)/bench-pgd.txt
	@echo "== scikit-learn plugin: predict_proba of 1000 rows per family against scikit-learn =="
	plugins/sklearn/bench/bench.sh
	@echo "== Gaussian process: fit/predict against scikit-learn, analytic vs finite-difference gradients =="
	@if $(PYTHON) -c 'import sklearn' 2>/dev/null; then $(PYTHON) plugins/gp/bench/bench.py --count 5; \
		else echo "skipped: scikit-learn (python3-sklearn) is not installed"; fi

fuzz: ## run each fuzz target of the foundation for a while (FUZZTIME, default 30s)
	$(GO) test -run '^$$' -fuzz FuzzDecode -fuzztime $${FUZZTIME:-30s} ./internal/npyfile
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime $${FUZZTIME:-30s} ./host/config
	$(GO) test -run '^$$' -fuzz FuzzParseModel -fuzztime $${FUZZTIME:-30s} ./examples/plugins/linear
	$(GO) test -run '^$$' -fuzz FuzzFromProto -fuzztime $${FUZZTIME:-30s} ./shared/tensor
	$(GO) test -run '^$$' -fuzz FuzzAnswer -fuzztime $${FUZZTIME:-30s} ./shared/direct
	$(GO) test -run '^$$' -fuzz FuzzStderrReader -fuzztime $${FUZZTIME:-30s} ./host/remote
	$(GO) test -run '^$$' -fuzz FuzzRead -fuzztime $${FUZZTIME:-30s} ./host/lockfile
	$(GO) test -run '^$$' -fuzz FuzzDefences -fuzztime $${FUZZTIME:-30s} ./host/defences
	$(GO) test -run '^$$' -fuzz FuzzRead -fuzztime $${FUZZTIME:-30s} ./plugins/blackbox/internal/npyarr
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime $${FUZZTIME:-30s} ./plugins/blackbox/internal/table
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeV2$$' -fuzztime $${FUZZTIME:-30s} ./plugins/blackbox/internal/httpsource
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeTFServing$$' -fuzztime $${FUZZTIME:-30s} ./plugins/blackbox/internal/httpsource
	$(GO) test -run '^$$' -fuzz FuzzUnmarshal -fuzztime $${FUZZTIME:-30s} ./plugins/gp/internal/gpc
	$(GO) test -run '^$$' -fuzz FuzzLoad -fuzztime $${FUZZTIME:-30s} ./plugins/sklearn/internal/model
	$(GO) test -run '^$$' -fuzz FuzzLoad -fuzztime $${FUZZTIME:-30s} ./plugins/onnx/internal/graph

conformance: build ## ONNX backend suites and real exports, then `arthost plugins test` on every plugin
	$(GO) test -count=1 -run 'TestONNXBackend|TestRealExports' -v ./plugins/onnx/internal/conformance | grep -E '^(=== RUN|--- |    [a-z_-]+: |ok|FAIL|PASS)|passed|skipped' || true
	$(GO) test -count=1 -run 'TestONNXBackend|TestRealExports' ./plugins/onnx/internal/conformance
	$(BIN)/arthost --plugin-dir $(BIN) plugins test linear --model examples/plugins/linear/testdata/small.json --gradient-tolerance 1e-6
	$(BIN)/arthost --plugin-dir $(BIN) plugins test faulty
	$(BIN)/arthost --plugin-dir $(BIN) plugins test onnx --model plugins/onnx/testdata/cnn.onnx --gradient-tolerance 2e-3 --fit
	$(BIN)/arthost --plugin-dir $(BIN) plugins test onnx --model plugins/onnx/testdata/cnn2.onnx --gradient-tolerance 2e-3
	$(BIN)/arthost --plugin-dir $(BIN) plugins test onnx --model examples/digits/cnn.onnx --gradient-tolerance 2e-3
	$(BIN)/arthost --plugin-dir $(BIN) plugins test onnx --model plugins/onnx/testdata/mlp.onnx --gradient-tolerance 2e-3
	$(BIN)/arthost --plugin-dir $(BIN) plugins test pysoftmax --model examples/plugins/linear/testdata/small.json --gradient-tolerance 1e-6
	$(BIN)/arthost --plugin-dir $(BIN) plugins test sklearn --model plugins/sklearn/testdata/models/iris__pipe_std_lr.json --gradient-tolerance 1e-4 --fit
	$(BIN)/arthost --plugin-dir $(BIN) plugins test sklearn --model plugins/sklearn/testdata/models/breast_cancer__random_forest.json
	$(BIN)/arthost --plugin-dir $(BIN) plugins test gp --opt optimize=false --opt nb_features=3 --fit-first --gradient-tolerance 1e-4

proto-python: ## regenerate the Python plugin's stubs (needs Debian's python3-grpc-tools)
	examples/plugins/python/gen.sh

proto: ## regenerate shared/estimatorv1 and the ONNX plugin's onnx.proto types (needs protoc: apt-get install protobuf-compiler python3-onnx)
	GOBIN=$(GOBIN_DIR) $(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
	GOBIN=$(GOBIN_DIR) $(GO) install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GO_GRPC_VERSION)
	PATH=$(GOBIN_DIR):$$PATH protoc -I shared/proto \
		--go_out=. --go_opt=module=github.com/arthost/arthost \
		--go-grpc_out=. --go-grpc_opt=module=github.com/arthost/arthost \
		shared/proto/arthost/v1/estimator.proto shared/proto/arthost/v1/direct.proto
	PATH=$(GOBIN_DIR):$$PATH plugins/onnx/gen.sh

fixtures: build ## regenerate committed test fixtures (needs Debian's python3-sklearn, python3-torch, python3-onnx, python3-scipy, python3-pil)
	cd plugins/blackbox/testdata && $(PYTHON) make_fixtures.py
	$(PYTHON) host/defences/testdata/make_fixtures.py
	$(PYTHON) plugins/gp/fixtures/make_fixtures.py
	$(PYTHON) plugins/sklearn/fixtures/make_fixtures.py
	$(PYTHON) plugins/onnx/fixtures/make_fixtures.py
	$(PYTHON) examples/digits/make_data.py
	$(PYTHON) examples/digits/make_models.py

demo: build ## build everything and run the main job: attack a mixed-framework ensemble, write reports/demo/report.html
	$(BIN)/arthost --plugin-dir $(BIN) demo --report reports/demo
	@echo "open reports/demo/report.html"

clean:
	rm -rf $(BIN) $(GOBIN_DIR)
