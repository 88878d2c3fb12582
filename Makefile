# x-ui: build, run and test entry points. See README.md.
GO          ?= go
XRAY_BIN    := bin/xray-linux-amd64
XRAY_STAMP  := bin/.xray-version
XRAY_VER    := $(shell $(GO) list -m -f '{{.Version}}' github.com/xtls/xray-core 2>/dev/null)
RUN_FOLDER  ?= ./data
TEST_FLAGS  ?= -race -count=1 -timeout 25m

.PHONY: all build xray run test vet fmt clean

all: build xray

build:
	$(GO) build -o x-ui .

# Build Xray from the version pinned in go.mod; skipped when the binary for
# that version is already in bin/.
xray:
	@if [ -x $(XRAY_BIN) ] && [ "$$(cat $(XRAY_STAMP) 2>/dev/null)" = "$(XRAY_VER)" ]; then \
		echo "xray $(XRAY_VER) already built in $(XRAY_BIN)"; \
	else \
		echo "building xray $(XRAY_VER) into $(XRAY_BIN)"; \
		mkdir -p bin && $(GO) build -trimpath -ldflags='-s -w' -o $(XRAY_BIN) github.com/xtls/xray-core/main && \
		echo "$(XRAY_VER)" > $(XRAY_STAMP); \
	fi

run: build xray
	@mkdir -p $(RUN_FOLDER)
	@echo "Starting x-ui on SQLite in $(RUN_FOLDER)"
	@echo "Open http://127.0.0.1:2053/ and log in as admin / admin (change it: ./x-ui setting -username ... -password ...)"
	XUI_DB_FOLDER=$(RUN_FOLDER) XUI_BIN_FOLDER=$(CURDIR)/bin XUI_LOG_FOLDER=$(RUN_FOLDER) ./x-ui run

vet:
	$(GO) vet ./...

fmt:
	gofmt -l -w $$(git ls-files '*.go')

test: xray vet
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1)
	XUI_TEST_XRAY_BIN=$(CURDIR)/$(XRAY_BIN) $(GO) test $(TEST_FLAGS) ./...

clean:
	rm -f x-ui
