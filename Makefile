# x-ui: build, run and test entry points. See README.md.
GO          ?= go
XRAY_BIN    := bin/xray-linux-amd64
RUN_FOLDER  ?= ./data
# -parallel 8: the parallel tests mostly wait (Xray, x-ui nodes, MariaDB),
# so the default of GOMAXPROCS (2 on CI) leaves the cores idle; see
# docs/benchmarks.md "Test suite time".
TEST_FLAGS  ?= -race -count=1 -parallel 8 -timeout 25m
# Test binaries built once from their Go modules, outside the checkout.
TEST_CACHE  ?= $(HOME)/.cache/x-ui-test
SINGBOX_VER := v1.14.1
export XUI_TEST_CACHE := $(TEST_CACHE)
export XUI_TEST_SINGBOX_VERSION := $(SINGBOX_VER)

UI_DIR      := web/ui
UI_STAMP    := $(UI_DIR)/.stamp
# The UI is rebuilt when the lockfile, sources or build config change.
UI_HASH      = $(shell cat $(UI_DIR)/package-lock.json $(UI_DIR)/index.html $(UI_DIR)/vite.config.ts $$(find $(UI_DIR)/src -type f | sort) 2>/dev/null | sha256sum | cut -c1-16)

.PHONY: all build xray test-env run test vet fmt clean ui ui-test test-ui bench-ui bench-cluster

all: build xray

build:
	$(GO) build -o x-ui .

# Build the React UI into web/ui/dist/app (embedded by the next go build);
# skipped when nothing it depends on changed since the last build.
ui:
	@if [ -f $(UI_DIR)/dist/app/index.html ] && [ "$$(cat $(UI_STAMP) 2>/dev/null)" = "$(UI_HASH)" ]; then \
		echo "web UI up to date"; \
	else \
		cd $(UI_DIR) && npm ci --no-audit --no-fund && npx vite build && cd - >/dev/null && echo "$(UI_HASH)" > $(UI_STAMP); \
	fi

# Unit tests (vitest) and browser tests (headless /usr/bin/chromium against a
# real x-ui run with real Xray; the worker scenario needs MariaDB unless
# XUI_TEST_SKIP_MARIADB=1).
test-ui: ui xray
	$(GO) build -o $(UI_DIR)/e2e-out/x-ui .
	cd $(UI_DIR) && npx vitest run
	cd $(UI_DIR) && XUI_E2E_BIN=$(CURDIR)/$(UI_DIR)/e2e-out/x-ui XUI_TEST_XRAY_BIN=$(CURDIR)/$(XRAY_BIN) node e2e/run.mjs
ui-test: test-ui

# 20,000-client browser benchmark; results go to docs/benchmarks.md by hand.
bench-ui: ui xray
	$(GO) build -o $(UI_DIR)/e2e-out/x-ui .
	cd $(UI_DIR) && XUI_E2E_BIN=$(CURDIR)/$(UI_DIR)/e2e-out/x-ui XUI_TEST_XRAY_BIN=$(CURDIR)/$(XRAY_BIN) node ../../bench/ui-clients.mjs

# Cluster suite, long form (root: network namespaces; MariaDB): a master
# and 4 workers with real Xray (scenarios 1-5) and 10/100/500 simulated
# workers (scenario 6); rewrites docs/cluster-report.md and
# docs/img/cluster-*.png from the run. The short form runs in `make test`.
bench-cluster: test-env
	@./scripts/bench-cluster.sh

# Xray from the version pinned in go.mod, built once into the cache and
# copied into bin/ (skipped when bin/ already holds that version).
xray:
	@./scripts/test-env.sh --xray-only

# Everything the tests need on this machine (tools, MariaDB and its test
# account, cached Xray and sing-box); idempotent and quick when ready.
test-env:
	@./scripts/test-env.sh

run: ui build xray
	@mkdir -p $(RUN_FOLDER)
	@echo "Starting x-ui on SQLite in $(RUN_FOLDER)"
	@echo "Open http://127.0.0.1:2053/ and log in as admin / admin (change it: ./x-ui setting -username ... -password ...)"
	XUI_DB_FOLDER=$(RUN_FOLDER) XUI_BIN_FOLDER=$(CURDIR)/bin XUI_LOG_FOLDER=$(RUN_FOLDER) ./x-ui run

vet:
	$(GO) vet ./...

fmt:
	gofmt -l -w $$(git ls-files '*.go')

test: test-env vet
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1)
	XUI_TEST_XRAY_BIN=$(CURDIR)/$(XRAY_BIN) XUI_TEST_SINGBOX_BIN=$(TEST_CACHE)/sing-box-$(SINGBOX_VER)/sing-box \
		$(GO) test $(TEST_FLAGS) ./...
	$(MAKE) --no-print-directory test-ui

clean:
	rm -f x-ui
