package inbound

import (
	"sort"
	"strconv"
	"strings"

	"github.com/mhsanaei/3x-ui/v2/audit"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/errs"
	"github.com/mhsanaei/3x-ui/v2/xray"
	"gorm.io/gorm"
)

// The inbound writes 3x-ui v3.6 added (inbounds/setEnable/:id,
// :id/delAllClients, bulkDel). Each is one shared write: refused on a
// worker, one transaction with its audit row and version bump, and a
// change-log entry per inbound so workers reread only those inbounds.

// MaxBulkInbounds bounds one inbounds/bulkDel call.
const MaxBulkInbounds = SQLChunk

// peekInbound reads the columns a write decides on before it starts.
func (s *Store) peekInbound(id int, cols ...string) (*model.Inbound, error) {
	conn, err := s.db.DB()
	if err != nil {
		return nil, err
	}
	var rows []model.Inbound
	if err := conn.Select(append([]string{"id"}, cols...)).Where("id = ?", id).Limit(1).Find(&rows).Error; err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, errs.NotFound("id", "inbound %d does not exist", id)
	}
	return &rows[0], nil
}

// SetInboundEnable switches an inbound on or off without rewriting its
// settings (v3 made it a route of its own so a switch on an inbound of
// thousands of clients stays cheap). Switching it on passes the same
// pre-commit checks as an update (its port free on the host, Xray
// accepting the config); switching it off takes it out of Xray. changed is
// false when the inbound was already so: then nothing is written.
func (s *Store) SetInboundEnable(id int, enable bool) (changed bool, err error) {
	if err := s.node.RequireMaster(); err != nil {
		return false, err
	}
	if err := s.scope.checkInbound(id); err != nil {
		return false, err
	}
	cur, err := s.peekInbound(id, "enable")
	if err != nil {
		return false, err
	}
	if cur.Enable == enable {
		return false, nil
	}
	in := &model.Inbound{}
	e := audit.Entry{Action: "inbound.setEnable", TargetKind: "inbound", TargetID: strconv.Itoa(id)}
	err = s.writeStructural(in, e, func(tx *gorm.DB, e *audit.Entry) error {
		old, err := lockInbound(tx, id)
		if err != nil {
			return err
		}
		*in = *old
		in.Enable = enable
		if enable {
			// A disabled inbound's port may have been taken since.
			if err := checkPortFree(tx, in, s.panel.Get().Port); err != nil {
				return err
			}
		}
		e.Changes = []audit.Change{{Field: "enable", Before: old.Enable, After: enable}}
		return tx.Model(&model.Inbound{}).Where("id = ?", id).Update("enable", enable).Error
	})
	return err == nil, err
}

// DelAllClients deletes every client of one inbound (settings.clients
// becomes empty) with their traffic, IP and owner rows, keeping the
// inbound. It answers how many clients were deleted; an inbound without
// clients is left unwritten.
func (s *Store) DelAllClients(id int) (int, error) {
	if err := s.node.RequireMaster(); err != nil {
		return 0, err
	}
	if err := s.scope.checkInbound(id); err != nil {
		return 0, err
	}
	cur, err := s.peekInbound(id, "settings")
	if err != nil {
		return 0, err
	}
	if len(storedIdents(cur.Settings)) == 0 {
		return 0, nil
	}
	deleted := 0
	e := audit.Entry{Action: "client.deleteAll", TargetKind: "inbound", TargetID: strconv.Itoa(id)}
	err = s.writeLogged(e, func(tx *gorm.DB, _ int64, e *audit.Entry) ([]model.SharedChange, error) {
		deleted = 0
		_, doc, _, idents, err := lockedClients(tx, id)
		if err != nil {
			return nil, err
		}
		emails := make([]string, len(idents))
		for i := range idents {
			emails[i] = idents[i].Email
		}
		if err := s.scope.checkOwned(tx, emails); err != nil {
			return nil, err
		}
		doc.setClients(nil)
		if err := saveSettings(tx, id, doc); err != nil {
			return nil, err
		}
		// Every counter row of the inbound goes, also one whose client was
		// already missing from the JSON (as deleting the inbound does).
		if err := forgetInboundOwners(tx, id); err != nil {
			return nil, err
		}
		if err := forgetOwners(tx, emails); err != nil {
			return nil, err
		}
		if err := tx.Where("inbound_id = ?", id).Delete(&xray.ClientTraffic{}).Error; err != nil {
			return nil, err
		}
		if err := deleteClientRows(tx, nil, emails); err != nil {
			return nil, err
		}
		for _, email := range emails {
			e.Changes = append(e.Changes, audit.Change{Field: "clients." + email, After: "deleted"})
		}
		deleted = len(emails)
		return []model.SharedChange{{Kind: model.ChangeInbound, InboundId: id}}, nil
	})
	if err != nil {
		return 0, err
	}
	return deleted, nil
}

// DelInbounds deletes several inbounds, with their client rows, in one
// transaction: an unknown id refuses the whole call (404 naming it) and
// nothing is deleted. Duplicates count once. It answers how many
// inbounds were deleted.
func (s *Store) DelInbounds(ids []int) (int, error) {
	ids, err := checkInboundIDs(ids)
	if err != nil {
		return 0, err
	}
	for _, id := range ids {
		if err := s.scope.checkInbound(id); err != nil {
			return 0, err
		}
	}
	targets := make([]string, len(ids))
	for i, id := range ids {
		targets[i] = strconv.Itoa(id)
	}
	e := audit.Entry{Action: "inbound.bulkDelete", TargetKind: "inbound", TargetID: strings.Join(targets, ",")}
	err = s.writeLogged(e, func(tx *gorm.DB, _ int64, e *audit.Entry) ([]model.SharedChange, error) {
		e.Changes = nil
		log := make([]model.SharedChange, 0, len(ids))
		for _, id := range ids { // ascending: one lock order for every writer
			old, err := lockInbound(tx, id)
			if database.IsNotFound(err) || errs.KindOf(err) == errs.KindNotFound {
				return nil, errs.NotFound("ids", "inbound %d does not exist; nothing was deleted", id)
			}
			if err != nil {
				return nil, err
			}
			for _, c := range audit.Inbound(old, nil) {
				c.Field = "inbounds." + strconv.Itoa(id) + "." + c.Field
				e.Changes = append(e.Changes, c)
			}
			if err := delInboundRows(tx, id); err != nil {
				return nil, err
			}
			log = append(log, model.SharedChange{Kind: model.ChangeInbound, InboundId: id})
		}
		return log, nil
	})
	if err != nil {
		return 0, err
	}
	return len(ids), nil
}

// checkInboundIDs validates a bulk call's ids and returns them sorted
// without duplicates.
func checkInboundIDs(ids []int) ([]int, error) {
	if len(ids) == 0 {
		return nil, errs.Invalid("ids", "is required: a list of inbound ids")
	}
	if len(ids) > MaxBulkInbounds {
		return nil, errs.Invalid("ids", "at most %d inbounds per call, got %d", MaxBulkInbounds, len(ids))
	}
	seen := make(map[int]bool, len(ids))
	out := make([]int, 0, len(ids))
	for _, id := range ids {
		if id <= 0 {
			return nil, errs.Invalid("ids", "%d is not an inbound id", id)
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	sort.Ints(out)
	return out, nil
}
