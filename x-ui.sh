#!/usr/bin/env bash
# x-ui.sh: manage an installed x-ui panel. Without arguments it shows a menu;
# with a command it runs that one action and exits (for scripts).
#
# Every setting goes through the x-ui binary (`x-ui setting ...`), which
# validates the whole change and writes x-ui.json atomically; this script
# never edits JSON itself, so a rejected change leaves the file untouched.
#
# Environment (explicit values win over /etc/default/x-ui, which install.sh
# writes, which wins over the defaults):
#   XUI_FOLDER      install folder            (default /usr/local/x-ui)
#   XUI_BIN         the x-ui binary           (default $XUI_FOLDER/x-ui)
#   XUI_DB_FOLDER   x-ui.json, x-ui.db, caches (default /etc/x-ui)
#   XUI_BIN_FOLDER  Xray binary and config    (default $XUI_FOLDER/bin)
#   XUI_LOG_FOLDER  panel log files           (default /var/log/x-ui)
#   XUI_SERVICE     systemd unit name         (default x-ui)
#   XUI_ENV_FILE    the defaults file         (default /etc/default/x-ui)
#   XUI_NO_SYSTEMD  set to 1 to never call systemctl
set -uo pipefail

# load_env_file reads KEY=VALUE lines for known keys only (never sourced:
# the file is data, not code) and keeps values already set in the env.
load_env_file() {
	local file="$1" key value
	[[ -r "$file" ]] || return 0
	while IFS='=' read -r key value || [[ -n "$key" ]]; do
		case "$key" in
		XUI_FOLDER | XUI_DB_FOLDER | XUI_BIN_FOLDER | XUI_LOG_FOLDER | XUI_SERVICE) ;;
		*) continue ;;
		esac
		value="${value%\"}"
		value="${value#\"}"
		if [[ -z "${!key:-}" ]]; then
			printf -v "$key" '%s' "$value"
		fi
	done <"$file"
}

load_env_file "${XUI_ENV_FILE:-/etc/default/x-ui}"
XUI_FOLDER="${XUI_FOLDER:-/usr/local/x-ui}"
XUI_BIN="${XUI_BIN:-${XUI_FOLDER}/x-ui}"
XUI_SERVICE="${XUI_SERVICE:-x-ui}"
XUI_DB_FOLDER="${XUI_DB_FOLDER:-/etc/x-ui}"
XUI_BIN_FOLDER="${XUI_BIN_FOLDER:-${XUI_FOLDER}/bin}"
XUI_LOG_FOLDER="${XUI_LOG_FOLDER:-/var/log/x-ui}"
export XUI_DB_FOLDER XUI_BIN_FOLDER XUI_LOG_FOLDER

if [[ -t 1 ]]; then
	red=$'\e[31m' green=$'\e[32m' yellow=$'\e[33m' plain=$'\e[0m'
else
	red='' green='' yellow='' plain=''
fi

err() { echo "${red}error:${plain} $*" >&2; }
info() { echo "${green}$*${plain}"; }
warn() { echo "${yellow}$*${plain}" >&2; }

# xui runs the binary and passes its exit code and messages through.
xui() {
	if [[ ! -x "$XUI_BIN" ]]; then
		err "x-ui binary not found or not executable at $XUI_BIN (install x-ui, or set XUI_BIN)"
		return 1
	fi
	"$XUI_BIN" "$@"
}

# change runs `x-ui setting` with the given flags and reminds to restart.
change() {
	local rc=0
	xui setting "$@" || rc=$?
	if [[ $rc -ne 0 ]]; then
		err "the change was rejected (exit $rc); nothing was changed"
		return "$rc"
	fi
	warn "Restart x-ui to apply the change: x-ui.sh restart"
}

has_systemd() {
	[[ "${XUI_NO_SYSTEMD:-0}" != 1 ]] && command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]
}

need_systemd() {
	if ! has_systemd; then
		err "systemd is not available here; run the panel directly: $XUI_BIN run"
		return 1
	fi
}

service_do() {
	need_systemd || return 1
	systemctl "$1" "$XUI_SERVICE" || {
		err "systemctl $1 $XUI_SERVICE failed; see: x-ui.sh logs"
		return 1
	}
	info "x-ui: $1 done"
}

# stop_panel stops the panel and Xray: through systemd (the unit's ExecStop
# runs `x-ui stop`), or without systemd by `x-ui stop` directly. A restart
# (x-ui.sh restart) keeps Xray serving; see `x-ui stop` in cmd_stop.go.
stop_panel() {
	if has_systemd; then
		service_do stop
		return
	fi
	xui stop
}

# show_status exits like an LSB status action: 0 running, 3 stopped,
# 4 unknown (no systemd to ask).
show_status() {
	if ! has_systemd; then
		echo "x-ui service: unknown (systemd is not available)"
		return 4
	fi
	local state enabled
	state=$(systemctl is-active "$XUI_SERVICE" 2>/dev/null)
	enabled=$(systemctl is-enabled "$XUI_SERVICE" 2>/dev/null)
	echo "x-ui service: ${state:-unknown} (autostart: ${enabled:-unknown})"
	[[ "$state" == active ]] && return 0
	return 3
}

show_node() {
	local out
	out=$(xui setting -show true) || return 1
	awk '
		function v(k) { return (k in s) ? s[k] : "" }
		{ i = index($0, ": "); if (i > 0) s[substr($0, 1, i - 1)] = substr($0, i + 2) }
		END {
			id = v("nodeId"); if (id == "") id = "<empty>"
			addr = v("nodeAddress"); if (addr == "") addr = "<empty>"
			print "Node role: " v("nodeRole")
			print "Node ID: " id
			print "Node address: " addr
			print "Database: " v("dbType")
			print "Sync interval: " v("syncInterval") "s"
			print "Traffic flush interval: " v("trafficFlushInterval") "s"
		}' <<<"$out"
}

show_logs() {
	local lines="${1:-100}"
	if [[ ! "$lines" =~ ^[0-9]+$ ]]; then
		err "lines: must be a number, got \"$lines\""
		return 2
	fi
	# The panel writes x-ui.log (rotated to x-ui.log.1 ...) in XUI_LOG_FOLDER.
	local file="$XUI_LOG_FOLDER/x-ui.log"
	if [[ -f "$file" ]]; then
		tail -n "$lines" "$file"
		return
	fi
	if has_systemd; then
		journalctl -u "$XUI_SERVICE" -n "$lines" --no-pager
		return
	fi
	err "no log file $file (has x-ui run yet?) and no systemd journal"
	return 1
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

set_password() {
	local pass
	ask_secret "New panel password: " pass
	# Through stdin, so the password never shows in ps.
	printf '%s\n' "$pass" | change -password -
}

# set_mariadb takes HOST PORT USER DBNAME [TLS] and reads the password from
# the terminal (hidden) or the first line of stdin.
set_mariadb() {
	if [[ $# -lt 4 ]]; then
		err "usage: x-ui.sh db-mariadb HOST PORT USER DBNAME [TLS]  (password read from stdin)"
		return 2
	fi
	local pass
	local flags=(-dbType mariadb -dbHost "$1" -dbPort "$2" -dbUser "$3" -dbName "$4")
	if [[ $# -ge 5 ]]; then
		flags+=(-dbTLS "$5")
	fi
	ask_secret "MariaDB password for $3: " pass
	change "${flags[@]}" -dbPassword "$pass"
}

menu_database() {
	local db_type host port user name tls
	ask "Database type (sqlite/mariadb) [sqlite]: " db_type
	db_type="${db_type:-sqlite}"
	if [[ "$db_type" != mariadb ]]; then
		change -dbType "$db_type"
		return
	fi
	ask "MariaDB host [127.0.0.1]: " host
	ask "MariaDB port [3306]: " port
	ask "MariaDB user: " user
	ask "MariaDB database [3xui]: " name
	ask "MariaDB TLS (false/true/skip-verify/preferred) [false]: " tls
	set_mariadb "${host:-127.0.0.1}" "${port:-3306}" "$user" "${name:-3xui}" "${tls:-false}"
}

menu_node_role() {
	local role id
	ask "Node role (master/worker): " role
	if [[ "$role" == worker ]]; then
		ask "Node ID (unique per node, empty keeps the current one): " id
		if [[ -n "$id" ]]; then
			change -nodeRole worker -nodeId "$id"
			return
		fi
	fi
	change -nodeRole "$role"
}

# prompt_then asks for one value and passes it to `x-ui setting -FLAG`.
prompt_then() {
	local prompt="$1" flag="$2" value
	ask "$prompt" value
	change "-$flag" "$value"
}

usage() {
	cat <<EOF
Usage: x-ui.sh [command]   (no command: interactive menu)

Service:   start | stop | restart | status | enable | disable | logs [LINES]
           (restart keeps Xray and its users online; stop stops Xray too)
Settings:  settings                      show all settings (x-ui setting -show true)
           set-port PORT | set-base-path PATH | set-listen IP
           set-username NAME | set-password (read from stdin)
           reset-settings                reset panel network and shared settings
Database:  db-sqlite | db-mariadb HOST PORT USER DBNAME [TLS] (password from stdin)
           migrate-db sqlite-to-mariadb|mariadb-to-sqlite
Node:      node                          show role, id, address and intervals
           node-role master|worker [NODE_ID]
           node-id ID | node-address ADDRESS
           sync-interval SECONDS | flush-interval SECONDS
Other:     version | help
           setting ... | run | migrate   passed to the x-ui binary ($XUI_BIN)
Changes take effect after: x-ui.sh restart
EOF
}

menu() {
	local choice
	while true; do
		cat <<EOF

  x-ui management
  1. Start            2. Stop             3. Restart
  4. Status           5. Enable autostart 6. Disable autostart
  7. Show settings    8. Set port         9. Set web base path
 10. Set username    11. Set password    12. Show logs
 13. Node status     14. Set node role   15. Set node ID
 16. Set node address 17. Set sync interval 18. Set flush interval
 19. Database settings
  0. Exit
EOF
		ask "Choose [0-19]: " choice
		case "$choice" in
		0 | "") return 0 ;;
		1) service_do start ;;
		2) stop_panel ;;
		3) service_do restart ;;
		4) show_status ;;
		5) service_do enable ;;
		6) service_do disable ;;
		7) xui setting -show true ;;
		8) prompt_then "Panel port: " port ;;
		9) prompt_then "Web base path (e.g. /panel/): " webBasePath ;;
		10) prompt_then "New panel username: " username ;;
		11) set_password ;;
		12) show_logs 100 ;;
		13) show_node ;;
		14) menu_node_role ;;
		15) prompt_then "Node ID: " nodeId ;;
		16) prompt_then "Node address (host clients use to reach this node): " nodeAddress ;;
		17) prompt_then "Sync interval in seconds [30]: " syncInterval ;;
		18) prompt_then "Traffic flush interval in seconds [10]: " trafficFlushInterval ;;
		19) menu_database ;;
		*) err "unknown choice \"$choice\"" ;;
		esac
	done
}

# need_args checks a command got exactly n arguments.
need_args() {
	local n="$1" cmd="$2"
	shift 2
	if [[ $# -ne $n ]]; then
		err "$cmd: expected $n argument(s), got $#"
		usage >&2
		exit 2
	fi
}

main() {
	if [[ $# -eq 0 ]]; then
		menu
		return
	fi
	local cmd="$1"
	shift
	case "$cmd" in
	stop) need_args 0 "$cmd" "$@" && stop_panel ;;
	start | restart | enable | disable) need_args 0 "$cmd" "$@" && service_do "$cmd" ;;
	status) need_args 0 "$cmd" "$@" && show_status ;;
	logs | log) show_logs "${1:-100}" ;;
	settings | show) need_args 0 "$cmd" "$@" && xui setting -show true ;;
	set-port) need_args 1 "$cmd" "$@" && change -port "$1" ;;
	set-base-path) need_args 1 "$cmd" "$@" && change -webBasePath "$1" ;;
	set-listen) need_args 1 "$cmd" "$@" && change -listenIP "$1" ;;
	set-username) need_args 1 "$cmd" "$@" && change -username "$1" ;;
	set-password) need_args 0 "$cmd" "$@" && set_password ;;
	reset-settings) need_args 0 "$cmd" "$@" && change -reset ;;
	db-sqlite) need_args 0 "$cmd" "$@" && change -dbType sqlite ;;
	db-mariadb) set_mariadb "$@" ;;
	migrate-db) need_args 1 "$cmd" "$@" && xui migrate-db -direction "$1" ;;
	node | node-status) need_args 0 "$cmd" "$@" && show_node ;;
	node-role)
		if [[ $# -eq 2 ]]; then
			change -nodeRole "$1" -nodeId "$2"
		else
			need_args 1 "$cmd" "$@" && change -nodeRole "$1"
		fi
		;;
	node-id) need_args 1 "$cmd" "$@" && change -nodeId "$1" ;;
	node-address) need_args 1 "$cmd" "$@" && change -nodeAddress "$1" ;;
	sync-interval) need_args 1 "$cmd" "$@" && change -syncInterval "$1" ;;
	flush-interval) need_args 1 "$cmd" "$@" && change -trafficFlushInterval "$1" ;;
	version | -v) xui -v ;;
	setting | run | migrate) xui "$cmd" "$@" ;;
	help | -h | --help) usage ;;
	*)
		err "unknown command \"$cmd\""
		usage >&2
		return 2
		;;
	esac
}

main "$@"
