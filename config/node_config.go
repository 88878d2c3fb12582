package config

import "fmt"

// NodeRole is a node's part in multi-node shared control.
type NodeRole string

const (
	NodeRoleMaster NodeRole = "master"
	NodeRoleWorker NodeRole = "worker"
)

// NodeConfig is the node group of x-ui.json.
type NodeConfig struct {
	Role                NodeRole
	NodeID              string
	NodeAddress         string
	SyncIntervalSeconds int
	TrafficFlushSeconds int
}

const (
	defaultSyncIntervalSeconds = 30
	defaultTrafficFlushSeconds = 10
)

// GetNodeConfigFromJSON reads the node settings; a missing or unreadable file
// gives a master with default intervals. The commands Load x-ui.json first
// and refuse a damaged one, so this fallback never decides a node's role.
func GetNodeConfigFromJSON() NodeConfig {
	return nodeConfigFrom(loadSettingsOrEmpty())
}

func nodeConfigFrom(settings map[string]any) NodeConfig {
	role := readGroupedString(settings, "nodeRole")
	if role == "" {
		role = string(NodeRoleMaster)
	}
	return NodeConfig{
		Role:                NodeRole(role),
		NodeID:              readGroupedString(settings, "nodeId"),
		NodeAddress:         readGroupedString(settings, "nodeAddress"),
		SyncIntervalSeconds: readGroupedInt(settings, "syncInterval", defaultSyncIntervalSeconds),
		TrafficFlushSeconds: readGroupedInt(settings, "trafficFlushInterval", defaultTrafficFlushSeconds),
	}
}

// ValidateNodeConfig checks a node configuration against the DB it will use.
func ValidateNodeConfig(nodeCfg NodeConfig, dbCfg DBConfig) error {
	switch nodeCfg.Role {
	case NodeRoleMaster, NodeRoleWorker:
	default:
		return fmt.Errorf("nodeRole: invalid value %q (use master or worker)", nodeCfg.Role)
	}
	if nodeCfg.Role == NodeRoleWorker && nodeCfg.NodeID == "" {
		return fmt.Errorf("nodeId: worker mode requires a nodeId")
	}
	if nodeCfg.Role == NodeRoleWorker && NormalizeDBType(dbCfg.Type) != DBTypeMariaDB {
		return fmt.Errorf("dbType: worker mode requires mariadb")
	}
	if nodeCfg.SyncIntervalSeconds <= 0 {
		return fmt.Errorf("syncInterval: must be positive, got %d", nodeCfg.SyncIntervalSeconds)
	}
	if nodeCfg.TrafficFlushSeconds <= 0 {
		return fmt.Errorf("trafficFlushInterval: must be positive, got %d", nodeCfg.TrafficFlushSeconds)
	}
	return nil
}
