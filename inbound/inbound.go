// Package inbound stores inbounds and their clients: validation, the
// settings JSON as the database keeps it, per-client traffic rows and resets.
package inbound

import (
	"database/sql"
	"encoding/json"
	"github.com/mhsanaei/3x-ui/v2/util/applied"
	"strconv"
	"strings"
	"sync"

	"github.com/mhsanaei/3x-ui/v2/audit"
	"github.com/mhsanaei/3x-ui/v2/cluster"
	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/database/sharedwrite"
	"github.com/mhsanaei/3x-ui/v2/errs"
	"github.com/mhsanaei/3x-ui/v2/xray"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// SQLChunk bounds IN lists and multi-row statements, well under SQLite's
// 32766 and MariaDB's 65535 placeholder limits.
const SQLChunk = 1000

// Store owns inbounds, their clients and the client_traffics rows
// that mirror them.
type Store struct {
	// Precheck, when set, has Xray test every structural write before commit.
	Precheck *XrayPrecheck

	db     *database.Handle
	node   *cluster.Node        // refuses writes on a worker
	writes sharedwrite.Writer   // every write: guard, tx, bump, fan-out
	panel  *config.PanelSection // an inbound may not take the panel's port

	idsOnce sync.Once
	ids     *idOwners        // see client_ids.go; shared with WithReceipt views
	receipt *applied.Receipt // set on a WithReceipt view only
	events  ClientEventSink  // client events (SetClientEvents); nil: none
	scope   *Scope           // set on a Scoped view only (scope.go)
}

// New is the inbounds and their clients in db, written only when node is
// a master; its writes tell nobody and the panel section it checks ports
// against is the default one (see NewNotifying).
func New(db *database.Handle, node *cluster.Node) *Store {
	return NewNotifying(db, node, nil, nil)
}

// NewNotifying is New whose committed writes are handed to notify (the
// app's fan-out: Xray apply, push, subscriptions), which returns each
// write's own apply outcome, and whose inbounds keep off the port of
// panel, this node's stored panel section (nil: the defaults of an
// x-ui.json without one, for stores that serve no panel).
func NewNotifying(db *database.Handle, node *cluster.Node, notify sharedwrite.Notifier, panel *config.PanelSection) *Store {
	if panel == nil {
		panel = config.NewPanelSection(config.DefaultPanelConfig())
	}
	return &Store{db: db, node: node, writes: sharedwrite.New(db, node, notify), panel: panel}
}

// WithReceipt is s for one caller's writes: the same database, role,
// fan-out, precheck and caches, and each write's apply result recorded in
// r, so the caller learns its own write's outcome even while other writes
// apply.
func (s *Store) WithReceipt(r *applied.Receipt) *Store {
	return &Store{db: s.db, node: s.node, writes: s.writes, panel: s.panel,
		Precheck: s.Precheck, ids: s.owners(), receipt: r, events: s.events, scope: s.scope}
}

// As is s making its writes for actor (recorded in each audit row), with
// the same receipt, precheck, caches, client-event sink and scope.
func (s *Store) As(actor audit.Actor) *Store {
	return &Store{db: s.db, node: s.node, writes: s.writes.As(actor), panel: s.panel,
		Precheck: s.Precheck, ids: s.owners(), receipt: s.receipt, events: s.events, scope: s.scope}
}

// owners is the client-id cache (made on first use).
func (s *Store) owners() *idOwners {
	s.idsOnce.Do(func() {
		if s.ids == nil {
			s.ids = &idOwners{}
		}
	})
	return s.ids
}

// write runs fn as one shared write (see sharedwrite.Writer.Commit) that
// logs no change entry, so workers reload their full snapshot, and Xray
// applies the new state whole.
func (s *Store) write(e audit.Entry, fn func(tx *gorm.DB) error) error {
	return s.writeLogged(e, func(tx *gorm.DB, _ int64, _ *audit.Entry) ([]model.SharedChange, error) { return nil, fn(tx) })
}

// writeLogged is write where fn (given the shared version before the
// write) also returns the change-log entries of its write, stored under
// the bumped version in the same transaction. e is the write's audit
// entry, which fn may complete (target id, changes).
func (s *Store) writeLogged(e audit.Entry, fn func(tx *gorm.DB, pre int64, e *audit.Entry) ([]model.SharedChange, error)) error {
	_, err := s.writes.Write(s.receipt, e, func(tx *gorm.DB, ch *sharedwrite.Change) error {
		var err error
		ch.Log, err = fn(tx, ch.Pre, ch.Audit)
		return err
	})
	return err
}

// TxOptions asks MariaDB for READ COMMITTED: every read-modify-write here
// locks its inbound row explicitly, and REPEATABLE READ's gap locks would
// only make bulk counter updates block (and deadlock with) client inserts.
func TxOptions(conn *gorm.DB) *sql.TxOptions { return sharedwrite.TxOptions(conn) }

// GetAllInbounds returns every inbound with its client_traffics rows.
func (s *Store) GetAllInbounds() ([]*model.Inbound, error) {
	conn, err := s.db.DB()
	if err != nil {
		return nil, err
	}
	var out []*model.Inbound
	err = conn.Preload("ClientStats").Order("id").Find(&out).Error
	return out, err
}

// GetInbounds returns the inbounds of one panel user.
func (s *Store) GetInbounds(userId int) ([]*model.Inbound, error) {
	conn, err := s.db.DB()
	if err != nil {
		return nil, err
	}
	var out []*model.Inbound
	err = conn.Preload("ClientStats").Where("user_id = ?", userId).Order("id").Find(&out).Error
	return out, err
}

// GetInbound returns one inbound with its client_traffics rows.
func (s *Store) GetInbound(id int) (*model.Inbound, error) {
	conn, err := s.db.DB()
	if err != nil {
		return nil, err
	}
	in := &model.Inbound{}
	if err := conn.Preload("ClientStats").First(in, id).Error; err != nil {
		if database.IsNotFound(err) {
			return nil, errs.NotFound("id", "inbound %d does not exist", id)
		}
		return nil, err
	}
	return in, nil
}

// lockInbound reads an inbound for update (row lock on MariaDB; SQLite
// transactions already hold the write lock). Every read-modify-write of an
// inbound's settings goes through it, so concurrent writers (an API call
// and the traffic rules) never overwrite each other's clients.
func lockInbound(tx *gorm.DB, id int) (*model.Inbound, error) {
	in := &model.Inbound{}
	err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).First(in, id).Error
	if database.IsNotFound(err) {
		return nil, errs.NotFound("id", "inbound %d does not exist", id)
	}
	return in, err
}

// lockedDoc locks an inbound row and parses its stored settings.
func lockedDoc(tx *gorm.DB, id int) (*model.Inbound, *settingsDoc, error) {
	in, err := lockInbound(tx, id)
	if err != nil {
		return nil, nil, err
	}
	doc, err := parseStoredSettings(in.Settings)
	if err != nil {
		return nil, nil, err
	}
	return in, doc, nil
}

// lockedClients is lockedDoc plus the inbound's client objects and their
// identities (id, password, email), index for index.
func lockedClients(tx *gorm.DB, id int) (*model.Inbound, *settingsDoc, []json.RawMessage, []clientIdent, error) {
	in, doc, err := lockedDoc(tx, id)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	raws, err := doc.clientList()
	if err != nil {
		return nil, nil, nil, nil, err
	}
	idents, err := identsOf(raws)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	return in, doc, raws, idents, nil
}

// prepareInbound validates an inbound for create/update, normalizes its
// settings JSON in place and returns its validated clients.
func prepareInbound(in *model.Inbound) ([]Client, error) {
	if err := validateInboundFields(in); err != nil {
		return nil, err
	}
	if strings.TrimSpace(in.Settings) == "" {
		return nil, errs.Invalid("settings", "must be a JSON object")
	}
	doc, err := parseSettings(in.Settings)
	if err != nil {
		return nil, err
	}
	raws, err := doc.clientList()
	if err != nil {
		return nil, err
	}
	method, err := checkSettingsShape(in.Protocol, doc, len(raws) > 0)
	if err != nil {
		return nil, err
	}
	clients, norm, err := newClients(in.Protocol, method, raws)
	if err != nil {
		return nil, err
	}
	doc.setClients(norm)
	if in.Settings, err = doc.encode(); err != nil {
		return nil, err
	}
	return clients, nil
}

func emailsOf(clients []Client) []string {
	out := make([]string, len(clients))
	for i := range clients {
		out[i] = clients[i].Email
	}
	return out
}

// AddInbound validates and creates an inbound with a client_traffics row per
// client. Up/Down/AllTime may be given (e.g. on import); Id is assigned.
func (s *Store) AddInbound(in *model.Inbound) (*model.Inbound, error) {
	if in == nil {
		return nil, errs.Invalid("inbound", "missing")
	}
	in.Id = 0
	in.ClientStats = nil
	in.Tag = strings.TrimSpace(in.Tag)
	clients, err := prepareInbound(in)
	if err != nil {
		return nil, err
	}
	if in.Tag == "" {
		in.Tag = inboundTag(in.Listen, in.Port)
	}
	if in.TrafficReset, err = CheckTrafficReset(in.TrafficReset); err != nil {
		return nil, err
	}
	in.LastTrafficResetTime = 0 // the reset job owns it
	e := audit.Entry{Action: "inbound.add", TargetKind: "inbound"}
	err = s.writeStructural(in, e, func(tx *gorm.DB, e *audit.Entry) error {
		in.Id = 0 // a retried attempt must not reuse a rolled-back id
		if err := checkPortFree(tx, in, s.panel.Get().Port); err != nil {
			return err
		}
		if err := checkTagFree(tx, in); err != nil {
			return err
		}
		if err := checkEmailsFree(tx, emailsOf(clients), 0); err != nil {
			return err
		}
		if err := checkIDsFreeElsewhere(tx, in.Protocol, clients, 0); err != nil {
			return err
		}
		if err := tx.Omit(clause.Associations).Create(in).Error; err != nil {
			return err
		}
		rows := make([]xray.ClientTraffic, len(clients))
		for i := range clients {
			rows[i] = clientTrafficRow(in.Id, &clients[i])
		}
		if err := forgetOwners(tx, emailsOf(clients)); err != nil {
			return err // a new inbound's clients belong to no reseller
		}
		if len(rows) > 0 {
			if err := tx.CreateInBatches(rows, SQLChunk/2).Error; err != nil {
				return err
			}
		}
		in.ClientStats = rows
		e.TargetID, e.Changes = strconv.Itoa(in.Id), audit.Inbound(nil, in)
		evs := make([]ClientEvent, len(clients))
		for i := range clients {
			evs[i] = ClientEvent{What: ClientAdded, Email: clients[i].Email, InboundID: in.Id}
		}
		return s.clientEvents(tx, "add inbound", evs)
	})
	if err != nil {
		in.Id = 0
		return nil, err
	}
	return in, nil
}

// UpdateInbound replaces an inbound's definition. Traffic counters are kept
// (they belong to the traffic flush and the reset calls); client_traffics rows
// follow the clients: matched by key, renamed, created or deleted.
func (s *Store) UpdateInbound(in *model.Inbound) (*model.Inbound, error) {
	if in == nil {
		return nil, errs.Invalid("inbound", "missing")
	}
	in.ClientStats = nil
	in.Tag = strings.TrimSpace(in.Tag)
	clients, err := prepareInbound(in)
	if err != nil {
		return nil, err
	}
	cols := map[string]any{}
	if in.TrafficReset != "" { // absent keeps the stored period
		if cols["traffic_reset"], err = CheckTrafficReset(in.TrafficReset); err != nil {
			return nil, err
		}
	}
	var out *model.Inbound
	e := audit.Entry{Action: "inbound.update", TargetKind: "inbound", TargetID: strconv.Itoa(in.Id)}
	err = s.writeStructural(in, e, func(tx *gorm.DB, e *audit.Entry) error {
		old, err := lockInbound(tx, in.Id)
		if err != nil {
			return err
		}
		if in.Tag == "" || (in.Tag == old.Tag && old.Tag == inboundTag(old.Listen, old.Port)) {
			in.Tag = inboundTag(in.Listen, in.Port)
		}
		if err := checkPortFree(tx, in, s.panel.Get().Port); err != nil {
			return err
		}
		if err := checkTagFree(tx, in); err != nil {
			return err
		}
		if err := checkEmailsFree(tx, emailsOf(clients), in.Id); err != nil {
			return err
		}
		if err := checkIDsFreeElsewhere(tx, in.Protocol, clients, in.Id); err != nil {
			return err
		}
		if err := syncClientRows(tx, old, in.Protocol, clients); err != nil {
			return err
		}
		if err := s.clientEvents(tx, "update inbound", eventsOfInboundEdit(in.Id, old.Settings, clients)); err != nil {
			return err
		}
		err = tx.Model(&model.Inbound{}).Where("id = ?", in.Id).Updates(map[string]any{
			"remark": in.Remark, "enable": in.Enable, "expiry_time": in.ExpiryTime,
			"listen": in.Listen, "port": in.Port, "protocol": in.Protocol,
			"settings": in.Settings, "stream_settings": in.StreamSettings,
			"tag": in.Tag, "sniffing": in.Sniffing, "total": in.Total,
		}).Error
		if err == nil && len(cols) > 0 {
			err = tx.Model(&model.Inbound{}).Where("id = ?", in.Id).Updates(cols).Error
		}
		if err != nil {
			return err
		}
		out = &model.Inbound{}
		if err := tx.Preload("ClientStats").First(out, in.Id).Error; err != nil {
			return err
		}
		e.Changes = audit.Inbound(old, out)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DelInbound deletes an inbound with its client_traffics and client IP rows.
func (s *Store) DelInbound(id int) error {
	e := audit.Entry{Action: "inbound.delete", TargetKind: "inbound", TargetID: strconv.Itoa(id)}
	return s.writeLogged(e, func(tx *gorm.DB, _ int64, e *audit.Entry) ([]model.SharedChange, error) {
		old, err := lockInbound(tx, id)
		if err != nil {
			return nil, err
		}
		e.Changes = audit.Inbound(old, nil)
		return []model.SharedChange{{Kind: model.ChangeInbound, InboundId: id}}, delInboundRows(tx, id)
	})
}

func delInboundRows(tx *gorm.DB, id int) error {
	if _, err := lockInbound(tx, id); err != nil {
		return err
	}
	if err := forgetInboundOwners(tx, id); err != nil {
		return err
	}
	emails := tx.Model(&xray.ClientTraffic{}).Select("email").Where("inbound_id = ?", id)
	if err := tx.Where("client_email IN (?)", emails).Delete(&model.InboundClientIps{}).Error; err != nil {
		return err
	}
	if err := tx.Where("inbound_id = ?", id).Delete(&xray.ClientTraffic{}).Error; err != nil {
		return err
	}
	return tx.Delete(&model.Inbound{}, id).Error
}
