package notify_test

import (
	"context"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/cluster"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/notify"
)

// The master reports a worker whose heartbeat stopped, once, and again
// when it is back; a new master (restart) does not repeat the report.
func TestNodeWatchReportsStaleAndBackOnce(t *testing.T) {
	// Not parallel: the node signing key lives in XUI_DB_FOLDER.
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		t.Setenv("XUI_DB_FOLDER", t.TempDir())
		r := newRig(t, b)
		beat := func(at time.Time) {
			st := model.NodeState{NodeID: "w1", NodeRole: "worker", NodeAddress: "10.0.0.2", LastHeartbeatAt: at.Unix(), UpdatedAt: at.Unix()}
			if err := cluster.SignNodeState(&st); err != nil {
				t.Fatal(err)
			}
			if err := r.h.Current().Save(&st).Error; err != nil {
				t.Fatal(err)
			}
		}
		kinds := func() []string {
			var rows []model.NotifyEvent
			if err := r.h.Current().Where("node_id = ?", "w1").Order("seq").Find(&rows).Error; err != nil {
				t.Fatal(err)
			}
			out := []string{}
			for _, e := range rows {
				out = append(out, e.Kind)
			}
			return out
		}
		check := func(w *notify.NodeWatch, want ...string) {
			t.Helper()
			if err := w.CheckOnce(context.Background()); err != nil {
				t.Fatal(err)
			}
			sameOrder(t, kinds(), append([]string{}, want...))
		}
		w := notify.NewNodeWatch(r.h, r.rec, time.Second)
		beat(time.Now())
		check(w)
		beat(time.Now().Add(-time.Minute))
		check(w, "node.stale")
		check(w, "node.stale")
		restarted := notify.NewNodeWatch(r.h, r.rec, time.Second)
		check(restarted, "node.stale")
		beat(time.Now())
		check(restarted, "node.stale", "node.back")
		check(w, "node.stale", "node.back")
	})
}
