// Package notify is the panel's one event stream and its delivery: any
// node records events in the shared database (Recorder), and only the
// master turns them into signed webhook posts from a durable outbox
// (Dispatcher). docs/notifications.md is the contract receivers rely on.
package notify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log"
	"time"

	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/errs"
	"gorm.io/gorm"
)

// Kind names what happened; receivers switch on it.
type Kind string

// The kinds the panel records (docs/notifications.md lists their payloads).
const (
	ClientDepleted Kind = "client.depleted"
	ClientExpired  Kind = "client.expired"
	ClientAdded    Kind = "client.added"
	ClientChanged  Kind = "client.changed"
	ClientDisabled Kind = "client.disabled"
	ClientQuota    Kind = "client.quota"
	ClientExpiring Kind = "client.expiring"
	LoginFailed    Kind = "login.failed"
	LoginSucceeded Kind = "login.succeeded"
	XrayCrashed    Kind = "xray.crashed"
	XrayRecovered  Kind = "xray.recovered"
	NodeStale      Kind = "node.stale"
	NodeBack       Kind = "node.back"
	NodeLagging    Kind = "node.lagging"
	LeaseMoved     Kind = "lease.moved"
	FlushFailing   Kind = "traffic.flush_failing"
	DBUnreachable  Kind = "db.unreachable"
	HostCPUHigh    Kind = "host.cpu_high"
	HostMemoryHigh Kind = "host.memory_high"
	HostDiskHigh   Kind = "host.disk_high"
	BackupDone     Kind = "backup.done"
	// Test is sent by the "test" button to one webhook only.
	Test Kind = "test"
)

// Kinds are every kind a webhook may subscribe to.
func Kinds() []Kind {
	return []Kind{ClientDepleted, ClientExpired, ClientAdded, ClientChanged, ClientDisabled, ClientQuota, ClientExpiring,
		LoginFailed, LoginSucceeded, XrayCrashed, XrayRecovered, NodeStale, NodeBack, NodeLagging, LeaseMoved,
		FlushFailing, DBUnreachable, HostCPUHigh, HostMemoryHigh, HostDiskHigh, BackupDone, Test}
}

// maxPayload bounds an event's payload: events are notices, not data
// dumps, and every webhook gets a copy of each.
const maxPayload = 8 << 10

// Event is one thing that happened, as receivers get it (the webhook body).
type Event struct {
	ID      string          `json:"id"` // 128-bit random hex; the idempotency id
	Kind    Kind            `json:"kind"`
	Time    time.Time       `json:"time"`
	NodeID  string          `json:"nodeId,omitempty"` // the node that saw it
	Payload json.RawMessage `json:"payload"`
}

// New is an event of kind with payload marshalled as JSON (nil: {}).
func New(kind Kind, payload any) Event {
	raw := json.RawMessage("{}")
	if payload != nil {
		if b, err := json.Marshal(payload); err == nil {
			raw = b
		} else {
			raw, _ = json.Marshal(map[string]string{"error": "payload: " + err.Error()})
		}
	}
	return Event{Kind: kind, Payload: raw}
}

// newID is a random 128-bit id in hex.
func newID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("notify: crypto/rand failed: %v", err))
	}
	return hex.EncodeToString(b[:])
}

// Recorder inserts events into notify_events. Every node has one; a nil
// *Recorder records nothing, so parts built without notifications work.
type Recorder struct {
	db       *database.Handle
	nodeID   string
	now      func() time.Time
	recorded func() // after an event is stored outside a transaction
}

// NewRecorder records into db as node nodeID ("local" when empty, the
// single node's id elsewhere in the panel).
func NewRecorder(db *database.Handle, nodeID string) *Recorder {
	if nodeID == "" {
		nodeID = "local"
	}
	return &Recorder{db: db, nodeID: nodeID, now: time.Now}
}

// NewRecorderWaking is NewRecorder that calls recorded after each event
// it stores outside a transaction (the master's Dispatcher.Wake, so its
// own events go out without waiting for a poll). An event recorded in a
// caller's transaction is not committed yet; the next poll finds it.
func NewRecorderWaking(db *database.Handle, nodeID string, recorded func()) *Recorder {
	r := NewRecorder(db, nodeID)
	r.recorded = recorded
	return r
}

// Record stores ev, filling its id, time and node when empty. With tx it
// is part of the caller's transaction (the event exists exactly when the
// change it reports committed); with nil it uses the recorder's database.
func (r *Recorder) Record(ctx context.Context, tx *gorm.DB, ev Event) (Event, error) {
	if r == nil {
		return ev, nil
	}
	if ev.Kind == "" {
		return ev, errs.Invalid("kind", "is required")
	}
	if len(ev.Payload) == 0 {
		ev.Payload = json.RawMessage("{}")
	}
	if len(ev.Payload) > maxPayload || !json.Valid(ev.Payload) {
		return ev, errs.Invalid("payload", "must be a JSON value of at most %d bytes", maxPayload)
	}
	if ev.ID == "" {
		ev.ID = newID()
	}
	if ev.Time.IsZero() {
		ev.Time = r.now()
	}
	if ev.NodeID == "" {
		ev.NodeID = r.nodeID
	}
	conn := tx
	if conn == nil {
		var err error
		if conn, err = r.db.DB(); err != nil {
			return ev, err
		}
	}
	row := model.NotifyEvent{EventID: ev.ID, Kind: string(ev.Kind), At: ev.Time.UnixMilli(), NodeID: ev.NodeID, Payload: string(ev.Payload)}
	if err := conn.WithContext(ctx).Create(&row).Error; err != nil {
		return ev, fmt.Errorf("record %s event: %w", ev.Kind, err)
	}
	// The stored time is what receivers get, at millisecond precision.
	ev.Time = time.UnixMilli(row.At).UTC()
	if tx == nil && r.recorded != nil {
		r.recorded()
	}
	return ev, nil
}

// Emit records an event of kind outside any transaction and logs a
// failure: for loops whose work must not stop because a notice could
// not be stored (the database may be the very thing that is down).
func (r *Recorder) Emit(kind Kind, payload any) {
	if r == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), emitTimeout)
	defer cancel()
	if _, err := r.Record(ctx, nil, New(kind, payload)); err != nil {
		logf("notify: %v", err)
	}
}

// emitTimeout bounds an event recorded outside a caller's transaction.
const emitTimeout = 5 * time.Second

// logf is where the loops' failures go.
func logf(format string, args ...any) { log.Printf(format, args...) }

// eventOf turns a stored row back into the event receivers get.
func eventOf(row model.NotifyEvent) Event {
	payload := json.RawMessage(row.Payload)
	if len(payload) == 0 {
		payload = json.RawMessage("{}")
	}
	return Event{ID: row.EventID, Kind: Kind(row.Kind), Time: time.UnixMilli(row.At).UTC(), NodeID: row.NodeID, Payload: payload}
}
