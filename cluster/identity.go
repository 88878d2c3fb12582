package cluster

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"gorm.io/gorm"
)

// NodeInstance identifies this machine and data folder. It is stable across
// restarts of the same node and differs between two installs that were
// given the same nodeId by mistake.
func NodeInstance() string {
	host, _ := os.Hostname()
	folder, err := filepath.Abs(config.GetDBFolderPath())
	if err != nil {
		folder = config.GetDBFolderPath()
	}
	sum := sha256.Sum256([]byte(host + "|" + folder))
	return hex.EncodeToString(sum[:8])
}

// CheckNodeIdentity refuses a nodeId that another live node uses: its row
// has a different instance and a heartbeat within 3 sync intervals.
func CheckNodeIdentity(conn *gorm.DB, node config.NodeConfig, instance string) error {
	if node.NodeID == "" {
		return nil
	}
	var row model.NodeState
	err := conn.Where("node_id = ?", node.NodeID).First(&row).Error
	if database.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	age := time.Now().Unix() - row.LastHeartbeatAt
	if row.Instance != "" && row.Instance != instance && age < int64(staleAfterSyncs*node.SyncIntervalSeconds) {
		return fmt.Errorf("nodeId: %q is already used by a live node at %q (heartbeat %ds ago); give every node its own nodeId",
			node.NodeID, row.NodeAddress, age)
	}
	return nil
}
