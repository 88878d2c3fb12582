package audit

import (
	"time"

	"github.com/mhsanaei/3x-ui/v2/cluster"
	"github.com/mhsanaei/3x-ui/v2/database"
)

// Log is the audit log of one database as seen by one node: its pages,
// its pruning and the rows of actions that write nothing else.
type Log struct {
	db   *database.Handle
	node *cluster.Node
}

// NewLog is the audit log in db read and pruned by node.
func NewLog(db *database.Handle, node *cluster.Node) *Log {
	return &Log{db: db, node: node}
}

// List answers one page of the rows f selects.
func (l *Log) List(f Filter) (*Page, error) {
	conn, err := l.db.DB()
	if err != nil {
		return nil, err
	}
	return List(conn, f)
}

// Prune deletes the rows older than days before now, on the master only
// (a worker's account may not delete them); it says how many went.
func (l *Log) Prune(now time.Time, days int) (int64, error) {
	if days <= 0 || !l.node.IsMaster() {
		return 0, nil
	}
	conn, err := l.db.DB()
	if err != nil {
		return 0, err
	}
	return Prune(conn, now.Add(-time.Duration(days)*24*time.Hour).UnixMilli())
}

// Action records e, an action that changes no row (an Xray restart), as
// a's. Workers record nothing: only the master may insert rows, and the
// audit log is of the shared state the master writes.
func (l *Log) Action(a Actor, e Entry) error {
	if !l.node.IsMaster() {
		return nil
	}
	conn, err := l.db.DB()
	if err != nil {
		return err
	}
	return Record(conn, l.node.Config().NodeID, a, e)
}
