package metrics

import (
	"time"

	"github.com/mhsanaei/3x-ui/v2/cluster"
	"github.com/prometheus/client_golang/prometheus"
)

func addClusterDescs(add func(name, help string, labels ...string)) {
	add("cluster_shared_version", "The cluster's current shared version (master only).")
	add("cluster_nodes", "Nodes with a status row (master only).")
	add("cluster_node_applied_version", "The shared version each node has applied.", "node_id", "role")
	add("cluster_node_lag_versions", "Shared versions each node has not applied yet.", "node_id", "role")
	add("cluster_node_lag_seconds", "How long each node has been behind: since the oldest version it has not applied was committed (0 when current).", "node_id", "role")
	add("cluster_node_stale", "1 when the node's heartbeat is older than 3 sync intervals.", "node_id", "role")
	add("cluster_node_last_heartbeat_timestamp_seconds", "Unix time of each node's last heartbeat.", "node_id", "role")
	add("cluster_node_pending_deltas", "Traffic deltas each node reported journaled and not flushed.", "node_id", "role")
	add("cluster_node_xray_up", "1 when the node reported its Xray running.", "node_id", "role")
}

// exportCluster is the master's view of every node, read from node_states
// (cached with the traffic totals). Lag in seconds counts from the commit
// of the oldest version the node has not applied, as this master noted
// it; a version committed before this master started counts from the
// node's last sync instead (an upper bound the master can still give).
func exportCluster(ch chan<- prometheus.Metric, d descs, ov *cluster.NodesOverview, v *versionTimes, at time.Time) {
	gauge := func(name string, val float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d.get(name), prometheus.GaugeValue, val, labels...)
	}
	gauge("cluster_shared_version", float64(ov.SharedVersion))
	gauge("applied_version", float64(ov.SharedVersion)) // the master's own
	gauge("cluster_nodes", float64(len(ov.Nodes)))
	for _, n := range ov.Nodes {
		l := []string{n.NodeID, n.NodeRole}
		gauge("cluster_node_applied_version", float64(n.LastSeenVersion), l...)
		gauge("cluster_node_lag_versions", float64(n.Lag), l...)
		lagSec := 0.0
		if n.Lag > 0 {
			since, ok := v.firstAfter(n.LastSeenVersion)
			if !ok && n.LastSyncAt > 0 {
				since, ok = time.Unix(n.LastSyncAt, 0), true
			}
			if ok {
				lagSec = max(at.Sub(since).Seconds(), 0)
			}
		}
		gauge("cluster_node_lag_seconds", lagSec, l...)
		gauge("cluster_node_stale", boolValue(n.Stale), l...)
		gauge("cluster_node_last_heartbeat_timestamp_seconds", float64(n.LastHeartbeatAt), l...)
		gauge("cluster_node_pending_deltas", float64(n.PendingDeltas), l...)
		gauge("cluster_node_xray_up", boolValue(n.XrayState == "running"), l...)
	}
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
