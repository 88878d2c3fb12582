package notify

import (
	"context"
	"log"
	"time"

	"github.com/mhsanaei/3x-ui/v2/cluster"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/util/loop"
)

// staleAfterSyncs matches the node list (cluster.NodeStatus.Stale): a
// node whose heartbeat is older than this many sync intervals is stale.
const staleAfterSyncs = 3

// NodeWatch is the master's view of the workers' heartbeats as events: a
// node that stopped heartbeating cannot report itself, so the master
// records node.stale for it, and node.back when it beats again.
type NodeWatch struct {
	db    *database.Handle
	rec   *Recorder
	every time.Duration // the cluster's sync interval
	now   func() time.Time
	// stale is the last reported state per node id; a node seen first is
	// looked up in notify_events, so a new master (restart or lease
	// takeover) neither repeats nor misses a transition.
	stale map[string]bool
	// behind is, per worker, since when it is behind the shared version
	// and which version it must reach to have caught up (lag.go).
	behind map[string]lagState
	inStep map[string]bool // workers this watch saw caught up (mark cleared)
}

// NewNodeWatch watches node_states in db every sync interval and records
// transitions with rec.
func NewNodeWatch(db *database.Handle, rec *Recorder, syncEvery time.Duration) *NodeWatch {
	if syncEvery <= 0 {
		syncEvery = 30 * time.Second
	}
	return &NodeWatch{db: db, rec: rec, every: syncEvery, now: time.Now, stale: map[string]bool{}, behind: map[string]lagState{}, inStep: map[string]bool{}}
}

// Run checks every sync interval until ctx ends.
func (w *NodeWatch) Run(ctx context.Context) error {
	loop.Every(ctx, w.every, func() {
		if err := w.CheckOnce(ctx); err != nil && ctx.Err() == nil {
			log.Printf("notify: node watch: %v", err)
		}
	})
	return nil
}

// CheckOnce records node.stale or node.back for every trusted node whose
// state changed since it was last reported. The event's nodeId is the
// node concerned; payload.reportedBy is the master that saw it.
func (w *NodeWatch) CheckOnce(ctx context.Context) error {
	conn, err := w.db.Reconnect()
	if err != nil {
		return err
	}
	var states []model.NodeState
	if err := conn.WithContext(ctx).Order("node_id").Find(&states).Error; err != nil {
		return err
	}
	// Only rows signed by their node's key: a worker's account can write
	// node_states, and must not make the master report another node.
	trusted, err := cluster.TrustedNodeStates(conn, states, true)
	if err != nil {
		return err
	}
	limit := int64(staleAfterSyncs * w.every / time.Second)
	now := w.now().Unix()
	lag, err := w.lagInputs(conn)
	if err != nil {
		return err
	}
	for _, st := range trusted {
		if st.NodeID == w.rec.nodeID {
			continue // this master is alive by definition
		}
		stale := now-st.LastHeartbeatAt > limit
		if err := w.checkLag(ctx, conn, st, stale, lag); err != nil {
			return err
		}
		was, known := w.stale[st.NodeID]
		if !known {
			was = w.lastReportedStale(ctx, st.NodeID)
		}
		if stale != was && known {
			// Another master (a lease takeover) may have reported it.
			was = w.lastReportedStale(ctx, st.NodeID)
		}
		w.stale[st.NodeID] = was
		if stale == was {
			continue
		}
		kind := NodeBack
		if stale {
			kind = NodeStale
		}
		ev := New(kind, map[string]any{"role": st.NodeRole, "address": st.NodeAddress,
			"lastHeartbeatAt": st.LastHeartbeatAt, "reportedBy": w.rec.nodeID})
		ev.NodeID = st.NodeID
		if _, err := w.rec.Record(ctx, nil, ev); err != nil {
			return err
		}
		w.stale[st.NodeID] = stale
	}
	return nil
}

// lastReportedStale reports whether the last node event about id was
// node.stale (false when none was recorded: a node starts alive).
func (w *NodeWatch) lastReportedStale(ctx context.Context, id string) bool {
	conn, err := w.db.DB()
	if err != nil {
		return false
	}
	var last model.NotifyEvent
	err = conn.WithContext(ctx).Where("node_id = ? AND kind IN ?", id, []string{string(NodeStale), string(NodeBack)}).
		Order("seq DESC").Limit(1).Find(&last).Error
	return err == nil && last.Kind == string(NodeStale)
}
