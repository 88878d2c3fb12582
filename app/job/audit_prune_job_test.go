package job

import (
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/audit"
	"github.com/mhsanaei/3x-ui/v2/cluster"
	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/database/testdb"
	"github.com/mhsanaei/3x-ui/v2/settings"
)

// The prune deletes the rows older than auditRetentionDays and keeps the
// rest; a worker deletes nothing (its account may not); the retention
// setting refuses days outside 1-3650 naming the key.
func TestAuditPruneKeepsTheRetention(t *testing.T) {
	t.Parallel() // own databases
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		h := testdb.Handle(t, b)
		mariadb := b.Name == dbtest.MariaDB
		master := cluster.NewNode(config.NodeConfig{Role: config.NodeRoleMaster}, mariadb, h)
		store := settings.New(h, master)
		if err := store.UpdateSettings(map[string]any{"auditRetentionDays": 0}); err == nil {
			t.Fatal("retention 0 accepted")
		} else if msg := err.Error(); len(msg) < len("auditRetentionDays") || msg[:len("auditRetentionDays")] != "auditRetentionDays" {
			t.Fatalf("retention 0: %v, want the key named", err)
		}
		if err := store.UpdateSettings(map[string]any{"auditRetentionDays": 30}); err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
		day := int64(24 * time.Hour / time.Millisecond)
		conn := h.Current()
		if err := conn.Where("1 = 1").Delete(&model.AuditLog{}).Error; err != nil {
			t.Fatal(err)
		}
		for _, age := range []int64{40, 31, 29, 1} {
			row := model.AuditLog{At: now.UnixMilli() - age*day, ActorKind: audit.KindSystem, Action: "test.age"}
			if err := conn.Create(&row).Error; err != nil {
				t.Fatal(err)
			}
		}
		count := func() int64 {
			var n int64
			conn.Model(&model.AuditLog{}).Count(&n)
			return n
		}
		worker := cluster.NewNode(config.NodeConfig{Role: config.NodeRoleWorker, NodeID: "w"}, mariadb, h)
		(&AuditPruneJob{Log: audit.NewLog(h, worker), Settings: store, Now: func() time.Time { return now }}).Run()
		if n := count(); n != 4 {
			t.Fatalf("worker pruned: %d rows left, want 4", n)
		}
		(&AuditPruneJob{Log: audit.NewLog(h, master), Settings: store, Now: func() time.Time { return now }}).Run()
		var left []model.AuditLog
		conn.Order("at").Find(&left)
		if len(left) != 2 || left[0].At != now.UnixMilli()-29*day {
			t.Fatalf("after prune: %+v, want the rows of 29 and 1 days ago", left)
		}
	})
}
