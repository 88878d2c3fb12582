#!/usr/bin/env bash
# Runs the user's plan tests that open the database, unchanged, against
# MariaDB: each test gets its own fresh database through the XUI_DB_*
# overrides (the tests themselves only know SQLite paths). The script checks
# that the test really created its schema in MariaDB.
set -euo pipefail
cd "$(dirname "$0")/.."
host=${XUI_TEST_MARIADB_HOST:-127.0.0.1}
port=${XUI_TEST_MARIADB_PORT:-3306}
user=${XUI_TEST_MARIADB_USER:-xui_test}
pass=${XUI_TEST_MARIADB_PASSWORD:-xui_test}
sql() { mariadb -h"$host" -P"$port" -u"$user" -p"$pass" -N -e "$1"; }

tests=(
	"./database TestInitDB_CreatesSharedMetadataTables"
	"./database TestBumpSharedAccountsVersion"
	"./database TestUpsertNodeState"
	"./web/service TestBumpSharedAccountsVersionRollsBackWithTransaction"
	"./web/service TestFlushOnceClearsPendingOnSuccess"
)
passed=0
failed=0
for entry in "${tests[@]}"; do
	read -r pkg name <<<"$entry"
	db="xui_t_plan_$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')"
	sql "CREATE DATABASE \`$db\`"
	if XUI_DB_TYPE=mariadb XUI_DB_HOST="$host" XUI_DB_PORT="$port" XUI_DB_USER="$user" \
		XUI_DB_PASSWORD="$pass" XUI_DB_NAME="$db" \
		go test -count=1 -run "^${name}\$" "$pkg" >"/tmp/$db.log" 2>&1 &&
		[ "$(sql "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema='$db'")" -gt 0 ]; then
		echo "mariadb plan test: $name ok"
		passed=$((passed + 1))
	else
		echo "mariadb plan test: $name FAILED"
		cat "/tmp/$db.log"
		failed=$((failed + 1))
	fi
	sql "DROP DATABASE IF EXISTS \`$db\`"
	rm -f "/tmp/$db.log"
done
echo "plan tests on MariaDB: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
