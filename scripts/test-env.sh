#!/usr/bin/env bash
# Prepares this machine for `make test`; `make test` runs it first and
# .ci/run only calls `make test`. Idempotent: on a ready machine it changes
# nothing and takes a few seconds. Every step that does change something
# prints a "changed:" line, and the last line counts them.
#
# What it makes sure of:
#   - tools the tests call: ip (iproute2), nft (nftables), curl, shellcheck, chromium
#     with fonts for Chinese and Persian (fonts-noto-cjk, fonts-noto-core),
#     openssl, aiosmtpd (python3-aiosmtpd, the email tests' SMTP server),
#     prometheus (the metrics acceptance test's scraper),
#     mariadb client and server (installed with apt when missing),
#     node and npm for the web UI (checked);
#   - MariaDB running, the xui_test account (created over the unix socket,
#     where root logs in on a stock Debian), no stale test databases;
#   - the test binaries (Xray, and sing-box for subscription round trips),
#     built once from their Go modules into a cache outside the checkout
#     ($XUI_TEST_CACHE, default ~/.cache/x-ui-test, keyed by version).
#
# XUI_TEST_SKIP_MARIADB=1 skips every MariaDB step (SQLite half only).
# --xray-only: just build or reuse Xray into bin/ (what `make run` needs).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

GO=${GO:-go}
CACHE=${XUI_TEST_CACHE:-$HOME/.cache/x-ui-test}
TEST_USER=${XUI_TEST_MARIADB_USER:-xui_test}
TEST_PASS=${XUI_TEST_MARIADB_PASSWORD:-xui_test}
DB_HOST=${XUI_TEST_MARIADB_HOST:-127.0.0.1}
DB_PORT=${XUI_TEST_MARIADB_PORT:-3306}
SINGBOX_VERSION=${XUI_TEST_SINGBOX_VERSION:-v1.14.1}
changes=0

say() { echo "test-env: $*"; }
changed() { changes=$((changes + 1)); say "changed: $*"; }
# die prints one line naming what is missing and the ways on, then stops.
die() {
	echo "test-env: cannot prepare the test machine: $*" >&2
	exit 2
}
ways_on="run 'make test' as root on Debian (it installs and starts what is missing), or 'XUI_TEST_SKIP_MARIADB=1 make test' for the SQLite half"

apt_updated=0
apt_install() {
	local pkgs=("$@")
	if [ "$(id -u)" != 0 ]; then die "${pkgs[*]} not installed and not root; $ways_on"; fi
	command -v apt-get >/dev/null || die "${pkgs[*]} not installed and no apt-get here; install them by hand, or $ways_on"
	if [ "$apt_updated" = 0 ]; then
		apt-get update -qq >/dev/null || die "apt-get update failed (no package network?); install ${pkgs[*]} by hand"
		apt_updated=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >/dev/null ||
		die "apt-get install ${pkgs[*]} failed"
	changed "installed ${pkgs[*]}"
}

need_cmd() { # need_cmd COMMAND PACKAGE
	command -v "$1" >/dev/null 2>&1 || apt_install "$2"
}

need_pkg() { # need_pkg PACKAGE: for packages without a command (fonts)
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed' || apt_install --no-install-recommends "$1"
}

prepare_tools() {
	need_cmd ip iproute2
	need_cmd nft nftables
	need_cmd curl curl
	need_cmd shellcheck shellcheck
	need_cmd chromium chromium
	# Fonts for the browser tests' screenshots in every UI language: Debian's
	# Chromium has none for Chinese (boxes) and only DejaVu for Persian.
	need_pkg fonts-noto-cjk
	need_pkg fonts-noto-core
	need_cmd openssl openssl
	# The email tests' SMTP server (notify/smtptest): Debian's aiosmtpd.
	need_cmd aiosmtpd python3-aiosmtpd
	prepare_prometheus
	# The web UI builds with the machine's Node 20 and npm 11 (Debian's own
	# nodejs is older than Vite 8 needs), so they are checked, not installed.
	if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
		die "node and npm (Node 20 or newer) are needed to build and test the web UI; install them, or $ways_on"
	fi
}

# prepare_prometheus installs Debian's prometheus for the metrics
# acceptance test (tests/multinode), which runs its own process with its
# own config, port and data folder. The packaged service is not wanted:
# where systemd started it on install, it is stopped and disabled again.
prepare_prometheus() {
	command -v prometheus >/dev/null 2>&1 && return
	apt_install --no-install-recommends prometheus
	if command -v systemctl >/dev/null 2>&1 && systemctl is-enabled --quiet prometheus 2>/dev/null; then
		systemctl disable --now prometheus >/dev/null 2>&1 || true
	fi
}

tcp_login() {
	mariadb -h"$DB_HOST" -P"$DB_PORT" -u"$TEST_USER" -p"$TEST_PASS" -N -e 'SELECT 1' >/dev/null 2>&1
}

prepare_mariadb() {
	if [ ! -x /usr/sbin/mariadbd ] || ! command -v mariadb >/dev/null 2>&1; then
		apt_install mariadb-server mariadb-client
	fi
	if ! mariadb-admin ping --silent >/dev/null 2>&1; then
		[ "$(id -u)" = 0 ] || die "MariaDB is not running and only root can start it; $ways_on"
		mkdir -p /run/mysqld
		chown mysql:mysql /run/mysqld 2>/dev/null || true
		start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
		for _ in $(seq 1 60); do
			mariadb-admin ping --silent >/dev/null 2>&1 && break
			sleep 1
		done
		mariadb-admin ping --silent >/dev/null 2>&1 || die "MariaDB did not start within 60 s (see its error log); $ways_on"
		changed "started mariadbd"
	fi
	# The account is checked over TCP, as the tests use it; only when that
	# fails is it (re)created over the socket, where root logs in.
	if ! tcp_login; then
		mariadb -N -e 'SELECT 1' >/dev/null 2>&1 ||
			die "the test account $TEST_USER cannot log in and root cannot reach MariaDB over its socket to create it; $ways_on"
		mariadb <<-SQL || die "creating the MariaDB test account $TEST_USER failed"
			CREATE USER IF NOT EXISTS '$TEST_USER'@'127.0.0.1' IDENTIFIED BY '$TEST_PASS';
			CREATE USER IF NOT EXISTS '$TEST_USER'@'localhost' IDENTIFIED BY '$TEST_PASS';
			ALTER USER '$TEST_USER'@'127.0.0.1' IDENTIFIED BY '$TEST_PASS';
			ALTER USER '$TEST_USER'@'localhost' IDENTIFIED BY '$TEST_PASS';
			GRANT ALL PRIVILEGES ON *.* TO '$TEST_USER'@'127.0.0.1' WITH GRANT OPTION;
			GRANT ALL PRIVILEGES ON *.* TO '$TEST_USER'@'localhost' WITH GRANT OPTION;
			FLUSH PRIVILEGES;
		SQL
		tcp_login || die "MariaDB at $DB_HOST:$DB_PORT refuses $TEST_USER over TCP even after the account was created (is that the server on this machine's socket?); $ways_on"
		changed "created MariaDB account $TEST_USER"
	fi
	# Databases left behind by killed test runs (tests name theirs xui_t_*).
	# Only ones older than an hour: another test run may be using newer ones.
	stale=$(mariadb -h"$DB_HOST" -P"$DB_PORT" -u"$TEST_USER" -p"$TEST_PASS" -N -e \
		"SELECT table_schema FROM information_schema.tables WHERE table_schema LIKE 'xui\\_t\\_%' GROUP BY table_schema HAVING MAX(create_time) < NOW() - INTERVAL 1 HOUR" 2>/dev/null || true)
	for db in $stale; do
		mariadb -h"$DB_HOST" -P"$DB_PORT" -u"$TEST_USER" -p"$TEST_PASS" -e "DROP DATABASE IF EXISTS \`$db\`"
		changed "dropped stale test database $db"
	done
}

# cached_build NAME VERSION OUTFILE -- go build/install command...
# Builds into $CACHE/NAME-VERSION/ once; later runs reuse it.
cached_build() {
	local name=$1 version=$2 out=$3
	shift 4
	local dir="$CACHE/$name-$version"
	if [ -x "$dir/$out" ]; then return 0; fi
	mkdir -p "$dir"
	say "building $name $version into $dir (once; later runs reuse it)"
	local tmp="$dir/.build-$$"
	mkdir -p "$tmp"
	if ! (cd "$PWD" && GOBIN="$tmp" OUT="$tmp/$out" "$@") >"$dir/build.log" 2>&1; then
		rm -rf "$tmp"
		die "building $name $version failed (log: $dir/build.log)"
	fi
	mv "$tmp/$out" "$dir/$out"
	rm -rf "$tmp"
	changed "built $name $version"
}

# prepare_xray builds (or reuses) Xray and keeps bin/'s copy current: the
# panel finds Xray in bin/ (XUI_BIN_FOLDER).
prepare_xray() {
	xray_version=$($GO list -m -f '{{.Version}}' github.com/xtls/xray-core)
	# shellcheck disable=SC2016
	cached_build xray "$xray_version" xray-linux-amd64 -- \
		sh -c '"$0" build -trimpath -ldflags="-s -w" -o "$OUT" github.com/xtls/xray-core/main' "$GO"
	mkdir -p bin
	local src="$CACHE/xray-$xray_version/xray-linux-amd64"
	if [ ! -x bin/xray-linux-amd64 ] || [ "$(cat bin/.xray-version 2>/dev/null)" != "$xray_version" ] || ! cmp -s "$src" bin/xray-linux-amd64; then
		cp "$src" bin/xray-linux-amd64.tmp && mv bin/xray-linux-amd64.tmp bin/xray-linux-amd64
		echo "$xray_version" >bin/.xray-version
		changed "copied xray $xray_version into bin/"
	fi
}

prepare_singbox() {
	cached_build sing-box "$SINGBOX_VERSION" sing-box -- \
		"$GO" install -trimpath -ldflags="-s -w" -tags with_utls,with_gvisor "github.com/sagernet/sing-box/cmd/sing-box@$SINGBOX_VERSION"
}

if [ "${1:-}" = --xray-only ]; then
	prepare_xray
	say "ready: xray $xray_version in bin/ ($changes changes)"
	exit 0
fi
prepare_tools
if [ "${XUI_TEST_SKIP_MARIADB:-}" = 1 ]; then
	say "XUI_TEST_SKIP_MARIADB=1: MariaDB steps skipped"
else
	prepare_mariadb
fi
prepare_xray
prepare_singbox
say "ready: xray $xray_version, sing-box $SINGBOX_VERSION in $CACHE ($changes changes)"
