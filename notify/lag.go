package notify

import (
	"context"
	"time"

	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/settings"
	"gorm.io/gorm"
)

// lagState is a worker found behind the master's shared version: since
// when, and the version it must apply to have caught up (the master's
// version when the lag began; under steady writes a healthy worker is
// always a little behind the newest one, never behind an old one for long).
type lagState struct {
	since  time.Time
	target int64
}

// lagInputs are what one pass of the lag check reads once.
type lagInputs struct {
	version int64         // the master's shared version now
	after   time.Duration // notifyLagSeconds
}

func (w *NodeWatch) lagInputs(conn *gorm.DB) (lagInputs, error) {
	v, err := database.GetSharedAccountsVersion(conn)
	if err != nil {
		return lagInputs{}, err
	}
	secs, err := settings.ReadInt(conn, "notifyLagSeconds")
	if err != nil {
		return lagInputs{}, err
	}
	return lagInputs{version: v, after: time.Duration(secs) * time.Second}, nil
}

// checkLag records node.lagging once when a live worker stayed behind for
// longer than notifyLagSeconds; its mark (notify_marks) goes when the
// worker caught up, so a new master neither repeats nor forgets it. A
// stale worker is node.stale's business and is not timed here.
func (w *NodeWatch) checkLag(ctx context.Context, conn *gorm.DB, st model.NodeState, stale bool, in lagInputs) error {
	if st.NodeRole != string(config.NodeRoleWorker) {
		return nil
	}
	now := w.now()
	cur, timed := w.behind[st.NodeID]
	switch {
	case stale || st.LastSeenVersion >= in.version:
		delete(w.behind, st.NodeID)
		if !stale && (timed || !w.inStep[st.NodeID]) {
			// Caught up (or first seen in step by this master): a later
			// lag is a new one.
			if err := clearMark(conn.WithContext(ctx), markNode, st.NodeID, "lagging"); err != nil {
				return err
			}
			w.inStep[st.NodeID] = true
		}
		return nil
	case timed && st.LastSeenVersion >= cur.target:
		// It applied everything it lagged behind: caught up, behind only
		// newer writes now.
		if err := clearMark(conn.WithContext(ctx), markNode, st.NodeID, "lagging"); err != nil {
			return err
		}
		timed = false
	}
	w.inStep[st.NodeID] = false
	if !timed {
		cur = lagState{since: now, target: in.version}
		w.behind[st.NodeID] = cur
	}
	if now.Sub(cur.since) < in.after {
		return nil
	}
	ev := New(NodeLagging, map[string]any{"appliedVersion": st.LastSeenVersion, "masterVersion": in.version,
		"behindSeconds": int64(now.Sub(cur.since) / time.Second), "lastSyncAt": st.LastSyncAt, "reportedBy": w.rec.nodeID})
	ev.NodeID = st.NodeID
	return conn.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		_, err := w.rec.recordIfMarked(ctx, tx, markNode, st.NodeID, "lagging", 0, ev)
		return err
	})
}
