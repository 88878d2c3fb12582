# x-ui: build, run and test entry points. See README.md.
GO          ?= go
XRAY_BIN    := bin/xray-linux-amd64
RUN_FOLDER  ?= ./data
TEST_FLAGS  ?= -race -count=1 -timeout 25m
# Test binaries built once from their Go modules, outside the checkout.
TEST_CACHE  ?= $(HOME)/.cache/x-ui-test
SINGBOX_VER := v1.14.1
export XUI_TEST_CACHE := $(TEST_CACHE)
export XUI_TEST_SINGBOX_VERSION := $(SINGBOX_VER)

.PHONY: all build xray test-env run test vet fmt clean

all: build xray

build:
	$(GO) build -o x-ui .

# Xray from the version pinned in go.mod, built once into the cache and
# copied into bin/ (skipped when bin/ already holds that version).
xray:
	@./scripts/test-env.sh --xray-only

# Everything the tests need on this machine (tools, MariaDB and its test
# account, cached Xray and sing-box); idempotent and quick when ready.
test-env:
	@./scripts/test-env.sh

run: build xray
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
	@if [ "$$XUI_TEST_SKIP_MARIADB" != 1 ]; then ./scripts/plan-tests-mariadb.sh; fi
	XUI_TEST_XRAY_BIN=$(CURDIR)/$(XRAY_BIN) XUI_TEST_SINGBOX_BIN=$(TEST_CACHE)/sing-box-$(SINGBOX_VER)/sing-box \
		$(GO) test $(TEST_FLAGS) ./...

clean:
	rm -f x-ui
