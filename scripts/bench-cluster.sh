#!/usr/bin/env bash
# make bench-cluster: runs the cluster suite in its long form (root,
# network namespaces, MariaDB from scripts/test-env.sh) and regenerates
# docs/cluster-report.md and docs/img/cluster-*.png from that one run.
# XUI_BENCH_NOTE describes other work on the machine during the run.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d /tmp/xui-bench-cluster.XXXXXX)
meta="$out/meta.txt"
{
	echo "started: $(date -u '+%Y-%m-%d %H:%M')"
	echo "loadBefore: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
	echo "cpus: $(nproc)"
	echo "memory: $(awk '/MemTotal/ {printf "%.0f GB", $2/1024/1024}' /proc/meminfo)"
	echo "go: $(go version | cut -d' ' -f3)"
	echo "mariadb: MariaDB $(mysql -N -h 127.0.0.1 -u xui_test -pxui_test -e 'SELECT VERSION()' 2>/dev/null || echo unknown)"
	echo "xray: $(bin/xray-linux-amd64 version 2>/dev/null | head -1 | cut -d' ' -f2 || echo unknown)"
	echo "note: ${XUI_BENCH_NOTE:-not recorded}"
} > "$meta"
status=0
XUI_BENCH_CLUSTER=1 XUI_CLUSTER_REPORT_DIR="$out" XUI_TEST_XRAY_BIN="$PWD/bin/xray-linux-amd64" \
	go test -count=1 -timeout 90m -v -run 'TestClusterSuite|TestClusterSimulation' \
	-bench ClusterScale -benchtime 1x ./tests/multinode/ 2>&1 | tee "$out/test.log" || status=$?
{
	echo "finished: $(date -u '+%Y-%m-%d %H:%M')"
	echo "loadAfter: $(cut -d' ' -f1-3 /proc/loadavg)"
} >> "$meta"
(cd bench/clusterreport && go run . -in "$out" -out ../../docs)
echo "results and log in $out"
exit "$status"
