// Package sharedwrite is the one path every shared write takes: refused on
// a worker, one transaction, the audit row and the shared version bump
// (with the change-log entries) just before commit, then the committed
// change handed to the node's fan-out, whose result is that write's own
// apply outcome.
package sharedwrite

import (
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/mhsanaei/3x-ui/v2/audit"
	"github.com/mhsanaei/3x-ui/v2/cluster"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/util/applied"
	"gorm.io/gorm"
)

// Change is what one committed shared write changed.
type Change struct {
	Pre, Post int64 // the shared version before and after the write
	// Clients, when not nil, says the write changed only these clients:
	// Xray applies them user by user. Nil: the write may have changed the
	// config anywhere, so it is applied whole.
	Clients []ClientChange
	// Log are the change-log entries stored under Post (workers replay
	// them; none makes workers reload their full snapshot).
	Log []model.SharedChange
	// Settings says the write changed panel settings (the subscription
	// server re-reads its own from them).
	Settings bool
	// Audit is the write's audit entry, recorded in its transaction: it
	// starts as the entry given to Commit and fn fills in what only the
	// write knows (the target id, the fields that changed).
	Audit *audit.Entry
}

// ErrNoAudit refuses a write whose entry names no action: every shared
// write is recorded in the audit log.
var ErrNoAudit = errors.New("sharedwrite: a write must carry an audit entry with an action")

// ClientChange is a committed write that changed only clients of one
// inbound: Xray applies it user by user, without rendering and diffing
// the whole config (which costs O(all clients) per edit).
type ClientChange struct {
	InboundID      int
	Tag            string
	Protocol       model.Protocol
	Method         string // the inbound's shadowsocks method
	InboundEnabled bool
	// Removed are emails no longer in the inbound.
	Removed []string
	// Written are clients added or replaced, as now stored.
	Written []WrittenClient
	// RemovedIDs and AddedIDs are the client ids gone and added (the
	// inbound store's id cache follows them).
	RemovedIDs, AddedIDs []string
}

// WrittenClient is one client as a write stored it.
type WrittenClient struct {
	Email    string
	Replaces string // email of the client it replaced ("" for an add)
	Enable   bool   // served by Xray (client and its traffic row enabled)
	Raw      json.RawMessage
}

// Notifier is told of every committed shared write and returns the result
// of the live apply that write caused (nil: applied, or nothing to apply).
type Notifier interface {
	Changed(Change) error
}

// Writer makes shared writes on one database for one node. The zero
// Notifier tells nobody (tools, tests of the stores alone).
type Writer struct {
	db     *database.Handle
	node   *cluster.Node
	notify Notifier
	actor  audit.Actor // who the writes are made for (zero: system)
}

// New is the shared-write path of db on node, announcing to notify.
func New(db *database.Handle, node *cluster.Node, notify Notifier) Writer {
	return Writer{db: db, node: node, notify: notify}
}

// As is w making its writes for actor (recorded in each audit row).
func (w Writer) As(actor audit.Actor) Writer {
	w.actor = actor
	return w
}

// Actor is who w writes for.
func (w Writer) Actor() audit.Actor { return w.actor }

// DB is the writer's database (for the reads around a write).
func (w Writer) DB() *database.Handle { return w.db }

// Node is the writer's role.
func (w Writer) Node() *cluster.Node { return w.node }

// Write is Commit then Announce: the usual shared write.
func (w Writer) Write(r *applied.Receipt, e audit.Entry, fn func(tx *gorm.DB, ch *Change) error) (Change, error) {
	ch, err := w.Commit(e, fn)
	if err != nil {
		return ch, err
	}
	w.Announce(r, ch)
	return ch, nil
}

// Commit runs fn as one shared write: master only, one transaction, the
// audit row of e (as fn completed it) inserted, and the shared version
// bumped and ch.Log stored under it just before commit. fn is given the
// change with Pre and Audit set and fills in Clients and Log. fn may run
// again when MariaDB resolves a deadlock by aborting it, so it must start
// from the database's state (and a fresh Change), not from what a failed
// attempt left.
func (w Writer) Commit(e audit.Entry, fn func(tx *gorm.DB, ch *Change) error) (Change, error) {
	if e.Action == "" {
		return Change{}, ErrNoAudit
	}
	if err := w.node.RequireMaster(); err != nil {
		return Change{}, err
	}
	conn, err := w.db.DB()
	if err != nil {
		return Change{}, err
	}
	var ch Change
	err = database.RetryOnDeadlock(func() error {
		return conn.Transaction(func(tx *gorm.DB) error {
			pre, err := database.GetSharedAccountsVersion(tx)
			if err != nil {
				return err
			}
			entry := e
			ch = Change{Pre: pre, Audit: &entry}
			if err := fn(tx, &ch); err != nil {
				return err
			}
			if err := audit.Record(tx, w.node.Config().NodeID, w.actor, entry); err != nil {
				return err
			}
			if err := database.BumpSharedAccountsVersion(tx); err != nil {
				return err
			}
			ch.Post, err = database.LogSharedChanges(tx, ch.Log)
			return err
		}, TxOptions(conn))
	})
	if err != nil {
		return Change{}, err
	}
	return ch, nil
}

// Announce hands a committed change to the fan-out and records the result
// in r, the receipt of the caller that made the write.
func (w Writer) Announce(r *applied.Receipt, ch Change) {
	if w.notify != nil {
		r.Record(w.notify.Changed(ch))
	}
}

// TxOptions asks MariaDB for READ COMMITTED: every read-modify-write of a
// shared write locks its rows explicitly, and REPEATABLE READ's gap locks
// would only make bulk counter updates block (and deadlock with) client
// inserts.
func TxOptions(conn *gorm.DB) *sql.TxOptions {
	if database.DialectOf(conn).IsMySQL() {
		return &sql.TxOptions{Isolation: sql.LevelReadCommitted}
	}
	return nil
}

// NotifierFunc is a function as a Notifier (tools and tests that only
// count or observe writes).
type NotifierFunc func(Change) error

// Changed calls f.
func (f NotifierFunc) Changed(ch Change) error { return f(ch) }
