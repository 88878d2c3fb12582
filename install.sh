#!/usr/bin/env bash
# install.sh: install or upgrade x-ui from a built release folder.
#
#   install.sh RELEASE_DIR
#
# RELEASE_DIR holds the x-ui binary and bin/xray-linux-<arch> (plus any
# bin/*.dat files, and x-ui.sh, which may also sit next to this script).
#
# A fresh install (no x-ui.json and no x-ui.db in the data folder yet) asks
# for the database (SQLite by default, or MariaDB for shared multi-node
# control), the node role and the panel port, then sets random login
# credentials on a master. An upgrade replaces the binaries and keeps every
# existing setting: it asks nothing.
#
# Answers are read from stdin, one per line; at end of input the defaults
# apply, so `install.sh DIR </dev/null` is a default SQLite master install.
# Settings are written only through `x-ui setting`, which validates them.
#
# Environment (defaults in brackets):
#   XUI_FOLDER       install folder          [/usr/local/x-ui]
#   XUI_DB_FOLDER    data folder             [/etc/x-ui]
#   XUI_LOG_FOLDER   log folder              [/var/log/x-ui]
#   XUI_SYSTEMD_DIR  where x-ui.service goes [/etc/systemd/system]
#   XUI_ENV_FILE     folders for x-ui.sh and the unit [/etc/default/x-ui]
#   XUI_SCRIPT_PATH  the management command  [/usr/bin/x-ui]
#   XUI_NO_SYSTEMD   1: write the unit but never call systemctl
set -uo pipefail

XUI_FOLDER="${XUI_FOLDER:-/usr/local/x-ui}"
XUI_DB_FOLDER="${XUI_DB_FOLDER:-/etc/x-ui}"
XUI_LOG_FOLDER="${XUI_LOG_FOLDER:-/var/log/x-ui}"
XUI_SYSTEMD_DIR="${XUI_SYSTEMD_DIR:-/etc/systemd/system}"
XUI_ENV_FILE="${XUI_ENV_FILE:-/etc/default/x-ui}"
XUI_SCRIPT_PATH="${XUI_SCRIPT_PATH:-/usr/bin/x-ui}"
XUI_BIN_FOLDER="${XUI_FOLDER}/bin"
# The binary reads its folders from these; XUI_DB_* overrides from the
# caller's shell would silently replace what the operator types, so drop them.
export XUI_DB_FOLDER XUI_BIN_FOLDER XUI_LOG_FOLDER
unset XUI_DB_TYPE XUI_DB_HOST XUI_DB_PORT XUI_DB_USER XUI_DB_PASSWORD XUI_DB_NAME XUI_DB_TLS

# Bounded retries for a rejected answer, so closed stdin cannot loop forever.
MAX_TRIES=3

die() {
	echo "install: error: $*" >&2
	exit 1
}
say() { echo "install: $*"; }

has_systemd() {
	[[ "${XUI_NO_SYSTEMD:-0}" != 1 ]] && command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]
}

xray_arch() {
	case "$(uname -m)" in
	x86_64 | amd64) echo amd64 ;;
	aarch64 | arm64) echo arm64 ;;
	*) die "unsupported CPU architecture $(uname -m)" ;;
	esac
}

# ask prints a prompt on stderr and reads one line (empty at end of input).
ask() {
	local prompt="$1" var="$2" line=""
	printf '%s' "$prompt" >&2
	IFS= read -r line || true
	printf -v "$var" '%s' "$line"
}

ask_secret() {
	local prompt="$1" var="$2" line=""
	printf '%s' "$prompt" >&2
	if [[ -t 0 ]]; then
		IFS= read -rs line || true
		echo >&2
	else
		IFS= read -r line || true
	fi
	printf -v "$var" '%s' "$line"
}

random_string() {
	head -c 512 /dev/urandom | LC_ALL=C tr -dc 'A-Za-z0-9' | cut -c "1-$1"
}

# install_file copies src to dst through a temp file and a rename, so a
# running binary is never overwritten in place.
install_file() {
	local src="$1" dst="$2" mode="$3"
	if ! install -m "$mode" "$src" "$dst.new" || ! mv -f "$dst.new" "$dst"; then
		die "cannot install $dst"
	fi
}

xui() { "$XUI_FOLDER/x-ui" "$@"; }

# ask_fresh_settings asks the fresh-install questions and applies them in
# one `x-ui setting` call; a rejected combination is asked again.
ask_fresh_settings() {
	local try db_type db_host db_port db_user db_pass db_name db_tls role node_id node_addr port
	for ((try = 1; try <= MAX_TRIES; try++)); do
		local flags=()
		ask "Database type (sqlite/mariadb) [sqlite]: " db_type
		db_type="${db_type:-sqlite}"
		flags+=(-dbType "$db_type")
		if [[ "$db_type" == mariadb ]]; then
			ask "MariaDB host [127.0.0.1]: " db_host
			ask "MariaDB port [3306]: " db_port
			ask "MariaDB user: " db_user
			ask_secret "MariaDB password: " db_pass
			ask "MariaDB database [3xui]: " db_name
			ask "MariaDB TLS (false/true/skip-verify/preferred) [false]: " db_tls
			flags+=(-dbHost "${db_host:-127.0.0.1}" -dbPort "${db_port:-3306}" -dbUser "$db_user"
				-dbPassword "$db_pass" -dbName "${db_name:-3xui}" -dbTLS "${db_tls:-false}")
		fi
		ask "Node role (master/worker) [master]: " role
		role="${role:-master}"
		flags+=(-nodeRole "$role")
		if [[ "$role" == worker ]]; then
			ask "Node ID (unique for each node): " node_id
		else
			ask "Node ID (optional on a master): " node_id
		fi
		[[ -n "$node_id" ]] && flags+=(-nodeId "$node_id")
		ask "Node address clients use to reach this node (optional): " node_addr
		[[ -n "$node_addr" ]] && flags+=(-nodeAddress "$node_addr")
		ask "Panel port [2053]: " port
		flags+=(-port "${port:-2053}")
		if xui setting "${flags[@]}"; then
			NODE_ROLE="$role"
			return 0
		fi
		echo "install: these settings were rejected (see above); try again ($try/$MAX_TRIES)" >&2
	done
	die "no valid settings after $MAX_TRIES tries; nothing was configured"
}

# secure_master_login replaces admin/admin with random credentials and a
# random web path. Only on a master, and only while the default login is
# still in place: the users table is shared, and a worker must not touch it.
secure_master_login() {
	local show
	show=$(xui setting -show true) || {
		echo "install: warning: cannot read the settings; change the login yourself: x-ui.sh set-username / set-password" >&2
		return 0
	}
	if ! grep -qx 'hasDefaultCredential: true' <<<"$show"; then
		say "existing panel login kept"
		return 0
	fi
	local user pass path
	user=$(random_string 10)
	pass=$(random_string 16)
	path="/$(random_string 15)/"
	if ! xui setting -username "$user" -password "$pass" -webBasePath "$path" >/dev/null; then
		echo "install: warning: could not set random credentials; change admin/admin now: x-ui.sh set-username / set-password" >&2
		return 0
	fi
	echo "================ panel login ================"
	echo "Username:      $user"
	echo "Password:      $pass"
	echo "Web base path: $path"
	echo "Keep these safe; change them with: x-ui.sh set-username / set-password"
	echo "============================================="
}

write_env_file() {
	mkdir -p "$(dirname "$XUI_ENV_FILE")" || die "cannot create $(dirname "$XUI_ENV_FILE")"
	cat >"$XUI_ENV_FILE.new" <<EOF
# Folders of the x-ui install, read by x-ui.service and x-ui.sh.
XUI_FOLDER=$XUI_FOLDER
XUI_DB_FOLDER=$XUI_DB_FOLDER
XUI_BIN_FOLDER=$XUI_BIN_FOLDER
XUI_LOG_FOLDER=$XUI_LOG_FOLDER
EOF
	mv -f "$XUI_ENV_FILE.new" "$XUI_ENV_FILE" || die "cannot write $XUI_ENV_FILE"
}

write_unit() {
	mkdir -p "$XUI_SYSTEMD_DIR" || die "cannot create $XUI_SYSTEMD_DIR"
	cat >"$XUI_SYSTEMD_DIR/x-ui.service.new" <<EOF
[Unit]
Description=x-ui panel for Xray-core
Documentation=https://github.com/mhsanaei/3x-ui
After=network-online.target mariadb.service mysql.service
Wants=network-online.target

[Service]
Type=simple
WorkingDirectory=$XUI_FOLDER
EnvironmentFile=-$XUI_ENV_FILE
Environment=XUI_DB_FOLDER=$XUI_DB_FOLDER
Environment=XUI_BIN_FOLDER=$XUI_BIN_FOLDER
Environment=XUI_LOG_FOLDER=$XUI_LOG_FOLDER
ExecStart=$XUI_FOLDER/x-ui run
# Only an explicit stop stops Xray: ExecStop (x-ui stop) marks the panel and
# stops it with Xray, except during a restart or after a crash. SIGTERM alone
# (restart, upgrade) or SIGUSR2 (exit 75) ends the panel after draining
# Xray's counters; Xray keeps serving and the next x-ui adopts it. Signals go
# to x-ui only, never to Xray.
ExecStop=$XUI_FOLDER/x-ui stop -unit x-ui.service
KillMode=process
TimeoutStopSec=30s
Restart=on-failure
RestartForceExitStatus=75
SuccessExitStatus=75
RestartSec=5s
LimitNOFILE=1048576

[Install]
WantedBy=multi-user.target
EOF
	mv -f "$XUI_SYSTEMD_DIR/x-ui.service.new" "$XUI_SYSTEMD_DIR/x-ui.service" || die "cannot write the unit"
}

main() {
	if [[ $# -ne 1 || "$1" == -h || "$1" == --help ]]; then
		echo "Usage: install.sh RELEASE_DIR   (RELEASE_DIR has x-ui and bin/xray-linux-<arch>)" >&2
		exit 2
	fi
	local src="$1" arch script_src
	arch=$(xray_arch)
	[[ -x "$src/x-ui" ]] || die "$src/x-ui: missing or not executable"
	[[ -x "$src/bin/xray-linux-$arch" ]] || die "$src/bin/xray-linux-$arch: missing or not executable"
	script_src="$src/x-ui.sh"
	[[ -f "$script_src" ]] || script_src="$(dirname "${BASH_SOURCE[0]}")/x-ui.sh"
	[[ -f "$script_src" ]] || die "x-ui.sh not found in $src or next to install.sh"
	if [[ $EUID -ne 0 && ! -w "$(dirname "$XUI_FOLDER")" ]]; then
		die "run as root (cannot write $(dirname "$XUI_FOLDER"))"
	fi

	local fresh=0
	if [[ ! -e "$XUI_DB_FOLDER/x-ui.json" && ! -e "$XUI_DB_FOLDER/x-ui.db" ]]; then
		fresh=1
	fi
	# A running x-ui is not stopped: the files are replaced by rename and the
	# restart below ends the old panel alone, so Xray keeps its users online
	# and the new panel adopts it.

	mkdir -p "$XUI_BIN_FOLDER" "$XUI_LOG_FOLDER" || die "cannot create $XUI_FOLDER"
	# The data folder holds x-ui.json with the database password.
	if [[ ! -d "$XUI_DB_FOLDER" ]]; then
		if ! mkdir -p "$XUI_DB_FOLDER" || ! chmod 0700 "$XUI_DB_FOLDER"; then
			die "cannot create $XUI_DB_FOLDER"
		fi
	fi
	install_file "$src/x-ui" "$XUI_FOLDER/x-ui" 0755
	install_file "$src/bin/xray-linux-$arch" "$XUI_BIN_FOLDER/xray-linux-$arch" 0755
	local dat
	for dat in "$src"/bin/*.dat; do
		[[ -e "$dat" ]] && install_file "$dat" "$XUI_BIN_FOLDER/$(basename "$dat")" 0644
	done
	install_file "$script_src" "$XUI_FOLDER/x-ui.sh" 0755
	mkdir -p "$(dirname "$XUI_SCRIPT_PATH")" && install_file "$script_src" "$XUI_SCRIPT_PATH" 0755
	say "installed $("$XUI_FOLDER/x-ui" -v) into $XUI_FOLDER"

	NODE_ROLE=""
	if [[ $fresh -eq 1 ]]; then
		say "fresh install: configuring $XUI_DB_FOLDER"
		ask_fresh_settings
		if [[ "$NODE_ROLE" == master ]]; then
			secure_master_login
		else
			say "worker node: the panel login is the master's (shared database)"
		fi
	else
		say "upgrade: existing settings in $XUI_DB_FOLDER kept"
	fi

	write_env_file
	write_unit
	if has_systemd; then
		if ! systemctl daemon-reload || ! systemctl enable x-ui || ! systemctl restart x-ui; then
			die "cannot start x-ui; see: journalctl -u x-ui"
		fi
		say "x-ui started"
	else
		say "systemd not available: start the panel with: $XUI_FOLDER/x-ui run"
	fi
	xui setting -show true | grep -E '^(port|webBasePath|dbType|nodeRole|nodeId|nodeAddress):'
	say "done. Manage it with: $(basename "$XUI_SCRIPT_PATH")  (or $XUI_FOLDER/x-ui.sh)"
}

main "$@"
