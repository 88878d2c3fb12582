#!/usr/bin/env bash
# api-smoke.sh: start a real `x-ui run` in a temp folder on a free loopback
# port and drive its REST API with curl: log in, set Xray's API port, add an
# inbound and a client, list them, use an API token, download a backup.
# Exits non-zero on the first failure.
#
# Env: XUI_SMOKE_BIN  x-ui binary to test (default: go build from this tree)
#      XUI_TEST_XRAY_BIN  Xray binary (default: <repo>/bin/xray-linux-amd64)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/xui-smoke.XXXXXX")
PID=""

cleanup() {
	if [[ -n "$PID" ]] && kill -0 "$PID" 2>/dev/null; then
		# SIGINT is the full stop (Xray too); SIGTERM would leave Xray
		# serving, as a restart does.
		kill -INT "$PID" 2>/dev/null || true
		for _ in $(seq 1 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$PID" 2>/dev/null || true
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT

die() {
	echo "SMOKE FAIL: $*" >&2
	if [[ -f "$WORK/stdout.log" ]]; then
		echo "--- last lines of x-ui output ---" >&2
		tail -n 40 "$WORK/stdout.log" >&2
	fi
	exit 1
}
step() { echo "== $*"; }

# free_port prints a loopback TCP port nobody listens on, below the
# kernel's ephemeral range: a port inside it can become another process's
# source port before x-ui binds it (seen in CI with many tests at once).
free_port() {
	local p low=32768
	read -r low _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
	((low > 21024)) || low=32768
	for _ in $(seq 1 100); do
		p=$((20000 + RANDOM % (low - 20000)))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

XUI=${XUI_SMOKE_BIN:-}
if [[ -z "$XUI" ]]; then
	step "building x-ui"
	(cd "$ROOT" && go build -o "$WORK/x-ui" .) || die "go build failed"
	XUI="$WORK/x-ui"
fi
XRAY=${XUI_TEST_XRAY_BIN:-$ROOT/bin/xray-linux-amd64}
[[ -x "$XRAY" ]] || die "xray binary not found at $XRAY (run make xray)"

mkdir -p "$WORK/db" "$WORK/bin"
ln -s "$XRAY" "$WORK/bin/xray-linux-amd64"
PORT=$(free_port) || die "no free port"
API_PORT=$(free_port) || die "no free port"
IN_PORT=$(free_port) || die "no free port"
BASE="http://127.0.0.1:$PORT/smoke/"
API="${BASE}panel/api"
cat >"$WORK/db/x-ui.json" <<JSON
{"panelNetwork": {"listen": "127.0.0.1", "port": $PORT, "webBasePath": "/smoke/"}}
JSON

step "starting x-ui run on 127.0.0.1:$PORT"
XUI_DB_FOLDER="$WORK/db" XUI_BIN_FOLDER="$WORK/bin" XUI_LOG_FOLDER="$WORK/log" XUI_LOG_LEVEL=info \
	"$XUI" run >"$WORK/stdout.log" 2>&1 &
PID=$!
for _ in $(seq 1 150); do
	curl -fsS -o /dev/null "${BASE}health" 2>/dev/null && break
	kill -0 "$PID" 2>/dev/null || die "x-ui exited during startup"
	sleep 0.2
done
curl -fsS -o /dev/null "${BASE}health" || die "panel did not come up"

JAR="$WORK/cookies"
CSRF=""
BODY="$WORK/body"

# call METHOD PATH [curl args...]: session request; fails unless HTTP 2xx
# and "success":true. The body is left in $BODY.
call() {
	local method=$1 path=$2
	shift 2
	local code
	code=$(curl -sS -o "$BODY" -w '%{http_code}' -X "$method" -b "$JAR" -c "$JAR" \
		-H "X-CSRF-Token: $CSRF" "$@" "$API/$path") || die "$method $path: curl failed"
	[[ "$code" == 2* ]] || die "$method $path: HTTP $code: $(cat "$BODY")"
	grep -q '"success":true' "$BODY" || die "$method $path: not successful: $(cat "$BODY")"
}
expect_body() { grep -q -- "$1" "$BODY" || die "expected $1 in: $(head -c 2000 "$BODY")"; }

step "unauthenticated API call is refused"
code=$(curl -sS -o "$BODY" -w '%{http_code}' "$API/inbounds/list")
[[ "$code" == 401 ]] || die "expected 401 without login, got $code"

step "login admin/admin"
code=$(curl -sS -o "$BODY" -w '%{http_code}' -c "$JAR" \
	--data-urlencode username=admin --data-urlencode password=admin "${BASE}login")
[[ "$code" == 200 ]] || die "login: HTTP $code: $(cat "$BODY")"
expect_body '"defaultCredential":true'
CSRF=$(sed -n 's/.*"csrfToken":"\([^"]*\)".*/\1/p' "$BODY")
[[ -n "$CSRF" ]] || die "login returned no csrfToken"

step "write without CSRF token is refused"
code=$(curl -sS -o /dev/null -w '%{http_code}' -b "$JAR" -X POST "$API/inbounds/resetAllTraffics")
[[ "$code" == 403 ]] || die "expected 403 without CSRF header, got $code"

step "3x-ui v3's login: csrf-token, then login with the token in X-CSRF-Token"
V3JAR="$WORK/cookies-v3"
curl -sS -o "$BODY" -c "$V3JAR" "${BASE}csrf-token"
V3CSRF=$(sed -n 's/.*"obj":"\([^"]*\)".*/\1/p' "$BODY")
[[ -n "$V3CSRF" ]] || die "csrf-token answered no token: $(cat "$BODY")"
grep -q '3x-ui' "$V3JAR" || die "no 3x-ui cookie after csrf-token"
code=$(curl -sS -o "$BODY" -w '%{http_code}' -b "$V3JAR" -c "$V3JAR" -H "X-CSRF-Token: $V3CSRF" \
	--data-urlencode username=admin --data-urlencode password=admin "${BASE}login")
[[ "$code" == 200 ]] || die "v3 login: HTTP $code: $(cat "$BODY")"
code=$(curl -sS -o "$BODY" -w '%{http_code}' -b "$V3JAR" -X POST -H "X-CSRF-Token: $V3CSRF" "$API/inbounds/resetAllTraffics")
[[ "$code" == 200 ]] || die "v3 session write: HTTP $code: $(cat "$BODY")"

step "move Xray's API to port $API_PORT and restart Xray"
call GET setting/getXrayTemplate
TEMPLATE=$(sed -e 's/^{"success":true,"msg":"[^"]*","obj"://' -e 's/}$//' "$BODY" | sed "s/62789/$API_PORT/")
printf '{"xraySetting":%s}' "$TEMPLATE" >"$WORK/template.json"
call POST setting/updateXrayTemplate -H 'Content-Type: application/json' --data-binary "@$WORK/template.json"
call POST server/restartXrayService
call GET server/status
expect_body '"state":"running"'
expect_body '"defaultCredential":true'

step "add an inbound on port $IN_PORT"
UUID1=$(curl -sS -b "$JAR" "$API/server/getNewUUID" | sed -n 's/.*"uuid":"\([^"]*\)".*/\1/p')
[[ -n "$UUID1" ]] || die "getNewUUID failed"
cat >"$WORK/inbound.json" <<JSON
{"remark":"smoke","enable":true,"listen":"127.0.0.1","port":$IN_PORT,"protocol":"vless",
 "settings":"{\"clients\":[{\"id\":\"$UUID1\",\"email\":\"smoke-1@example.com\",\"enable\":true}],\"decryption\":\"none\"}",
 "streamSettings":"{\"network\":\"tcp\",\"security\":\"none\"}",
 "sniffing":"{\"enabled\":false}"}
JSON
call POST inbounds/add -H 'Content-Type: application/json' --data-binary "@$WORK/inbound.json"
INBOUND_ID=$(sed -n 's/.*"obj":{"id":\([0-9]*\).*/\1/p' "$BODY")
[[ -n "$INBOUND_ID" ]] || die "inbounds/add returned no id: $(cat "$BODY")"

step "add a client to inbound $INBOUND_ID"
UUID2=$(curl -sS -b "$JAR" "$API/server/getNewUUID" | sed -n 's/.*"uuid":"\([^"]*\)".*/\1/p')
call POST inbounds/addClient --data-urlencode "id=$INBOUND_ID" \
	--data-urlencode "settings={\"clients\":[{\"id\":\"$UUID2\",\"email\":\"smoke-2@example.com\",\"enable\":true}]}"

step "list inbounds and clients"
call GET inbounds/list
expect_body "smoke-1@example.com"
expect_body "smoke-2@example.com"
call GET "inbounds/$INBOUND_ID/clients?page=1&size=10"
expect_body '"total":2'
call GET inbounds/getClientTraffics/smoke-2@example.com
expect_body '"email":"smoke-2@example.com"'

step "API token works without cookie or CSRF"
call POST setting/apiTokens/create -H 'Content-Type: application/json' --data '{"name":"smoke"}'
TOKEN=$(sed -n 's/.*"token":"\([^"]*\)".*/\1/p' "$BODY")
[[ "$TOKEN" == xui_* ]] || die "no token in: $(cat "$BODY")"
code=$(curl -sS -o "$BODY" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$API/inbounds/list")
[[ "$code" == 200 ]] || die "bearer list: HTTP $code"
expect_body "smoke-2@example.com"
code=$(curl -sS -o "$BODY" -w '%{http_code}' -H "Authorization: Bearer ${TOKEN#xui_}" "$API/inbounds/list")
[[ "$code" == 200 ]] || die "bearer without the xui_ prefix: HTTP $code"

step "bad input is a 4xx naming the field"
code=$(curl -sS -o "$BODY" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
	-H 'Content-Type: application/json' --data-binary "@$WORK/inbound.json" -X POST "$API/inbounds/add")
[[ "$code" == 409 ]] || die "duplicate port: expected 409, got $code: $(cat "$BODY")"
expect_body 'port'

step "download a backup"
code=$(curl -sS -o "$WORK/backup.db" -w '%{http_code}' -b "$JAR" "$API/server/getDb")
[[ "$code" == 200 ]] || die "getDb: HTTP $code"
[[ "$(head -c 15 "$WORK/backup.db")" == "SQLite format 3" ]] || die "backup is not a SQLite file"

step "logout ends the session"
curl -sS -o /dev/null -b "$JAR" -c "$JAR" -X POST -H "X-CSRF-Token: $CSRF" "${BASE}logout"
code=$(curl -sS -o /dev/null -w '%{http_code}' -b "$JAR" "$API/inbounds/list")
[[ "$code" == 401 ]] || die "after logout: expected 401, got $code"
# A logout ends every session of the user, the v3-style one too.
code=$(curl -sS -o /dev/null -w '%{http_code}' -b "$V3JAR" "$API/inbounds/list")
[[ "$code" == 401 ]] || die "v3 session after logout: expected 401, got $code"

step "the panel log is in XUI_LOG_FOLDER and x-ui.sh logs reads it"
[[ -f "$WORK/log/x-ui.log" ]] || die "no $WORK/log/x-ui.log"
XUI_LOG_FOLDER="$WORK/log" XUI_NO_SYSTEMD=1 XUI_ENV_FILE=/nonexistent bash "$ROOT/x-ui.sh" logs 200 >"$WORK/logs.out" ||
	die "x-ui.sh logs failed: $(cat "$WORK/logs.out")"
grep -q "Starting x-ui" "$WORK/logs.out" || die "x-ui.sh logs does not show the panel log: $(head -c 2000 "$WORK/logs.out")"

echo "SMOKE OK"
