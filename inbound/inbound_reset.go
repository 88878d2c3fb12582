package inbound

import (
	"strconv"
	"strings"
	"time"

	"github.com/mhsanaei/3x-ui/v2/audit"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/errs"
	"github.com/mhsanaei/3x-ui/v2/xray"
	"gorm.io/gorm"
)

// notExpiredSQL matches rows whose expiry has not passed (never, not yet
// started, or in the future).
const notExpiredSQL = "(expiry_time <= 0 OR expiry_time > ?)"

// ResetClientTraffic zeroes one client's up/down and re-enables it unless
// its expiry has passed.
func (s *Store) ResetClientTraffic(inboundId int, email string) error {
	e := audit.Entry{Action: "client.resetTraffic", TargetKind: "client", TargetID: email}
	return s.write(e, func(tx *gorm.DB) error {
		var rows []xray.ClientTraffic
		if err := tx.Where("inbound_id = ? AND email = ?", inboundId, email).Limit(1).Find(&rows).Error; err != nil {
			return err
		}
		if len(rows) == 0 {
			return errs.NotFound("email", "inbound %d has no client %q", inboundId, email)
		}
		id := rows[0].Id
		return resetClientRows(tx, func(q *gorm.DB) *gorm.DB { return q.Where("id = ?", id) })
	})
}

// ResetAllClientTraffics zeroes the client counters of one inbound, or of
// every inbound when inboundId is -1.
func (s *Store) ResetAllClientTraffics(inboundId int) error {
	e := audit.Entry{Action: "inbound.resetClientTraffics", TargetKind: "inbound", TargetID: inboundTarget(inboundId)}
	return s.write(e, func(tx *gorm.DB) error {
		scope := func(q *gorm.DB) *gorm.DB { return q.Where("1 = 1") }
		if inboundId != -1 {
			if _, err := lockInbound(tx, inboundId); err != nil {
				return err
			}
			scope = func(q *gorm.DB) *gorm.DB { return q.Where("inbound_id = ?", inboundId) }
		}
		return resetClientRows(tx, scope)
	})
}

// resetClientRows zeroes up/down of the rows in scope and re-enables the
// disabled ones that have not expired, in the rows and in the JSON.
func resetClientRows(tx *gorm.DB, scope func(*gorm.DB) *gorm.DB) error {
	now := time.Now().UnixMilli()
	var revive []ClientRowRef
	err := tx.Model(&xray.ClientTraffic{}).Select("id", "inbound_id", "email").
		Scopes(scope).Where("enable = ? AND "+notExpiredSQL, false, now).Find(&revive).Error
	if err != nil {
		return err
	}
	if err := tx.Model(&xray.ClientTraffic{}).Scopes(scope).Updates(map[string]any{"up": 0, "down": 0}).Error; err != nil {
		return err
	}
	if len(revive) == 0 {
		return nil
	}
	ids := make([]int, len(revive))
	patches := map[int]map[string]map[string]any{}
	for i, r := range revive {
		ids[i] = r.Id
		AddPatch(patches, r.InboundId, r.Email, map[string]any{"enable": true})
	}
	for start := 0; start < len(ids); start += SQLChunk {
		err := tx.Model(&xray.ClientTraffic{}).Where("id IN ?", ids[start:min(start+SQLChunk, len(ids))]).
			Update("enable", true).Error
		if err != nil {
			return err
		}
	}
	return PatchClients(tx, patches)
}

// ResetInboundTraffic zeroes one inbound's up/down.
func (s *Store) ResetInboundTraffic(id int) error {
	e := audit.Entry{Action: "inbound.resetTraffic", TargetKind: "inbound", TargetID: inboundTarget(id)}
	return s.write(e, func(tx *gorm.DB) error {
		if _, err := lockInbound(tx, id); err != nil {
			return err
		}
		return tx.Model(&model.Inbound{}).Where("id = ?", id).Updates(map[string]any{"up": 0, "down": 0}).Error
	})
}

// ResetAllTraffics zeroes the up/down of every inbound (all_time is kept).
func (s *Store) ResetAllTraffics() error {
	e := audit.Entry{Action: "inbound.resetAllTraffics", TargetKind: "inbound", TargetID: "*"}
	return s.write(e, func(tx *gorm.DB) error {
		return tx.Model(&model.Inbound{}).Where("1 = 1").Updates(map[string]any{"up": 0, "down": 0}).Error
	})
}

// DelDepletedClients deletes clients without auto-renew that are over quota
// or past expiry, from one inbound or every inbound (inboundId -1).
func (s *Store) DelDepletedClients(inboundId int) error {
	e := audit.Entry{Action: "client.deleteDepleted", TargetKind: "inbound", TargetID: inboundTarget(inboundId)}
	return s.writeLogged(e, func(tx *gorm.DB, _ int64, e *audit.Entry) ([]model.SharedChange, error) {
		return nil, delDepleted(tx, inboundId, e)
	})
}

// inboundTarget is an inbound id as an audit target ("*": every inbound).
func inboundTarget(id int) string {
	if id == -1 {
		return "*"
	}
	return strconv.Itoa(id)
}

// delDepleted is DelDepletedClients in tx, listing the deleted clients in e.
func delDepleted(tx *gorm.DB, inboundId int, e *audit.Entry) error {
	q := tx.Model(&xray.ClientTraffic{}).Select("id", "inbound_id", "email").
		Where("reset = 0 AND "+InvalidClientSQL, time.Now().UnixMilli())
	if inboundId != -1 {
		if _, err := lockInbound(tx, inboundId); err != nil {
			return err
		}
		q = q.Where("inbound_id = ?", inboundId)
	}
	var rows []ClientRowRef
	if err := q.Find(&rows).Error; err != nil {
		return err
	}
	byInbound := map[int]map[string]bool{}
	ids := make([]int, len(rows))
	emails := make([]string, len(rows))
	for i, r := range rows {
		ids[i], emails[i] = r.Id, r.Email
		if byInbound[r.InboundId] == nil {
			byInbound[r.InboundId] = map[string]bool{}
		}
		byInbound[r.InboundId][strings.ToLower(r.Email)] = true
	}
	for id, gone := range byInbound {
		if err := removeClientsByEmail(tx, id, gone); err != nil {
			return err
		}
	}
	for _, email := range emails {
		e.Changes = append(e.Changes, audit.Change{Field: "clients." + email, After: "deleted"})
	}
	if err := forgetOwners(tx, emails); err != nil {
		return err
	}
	return deleteClientRows(tx, ids, emails)
}

// removeClientsByEmail drops clients whose lower-cased email is in gone
// from one inbound's settings JSON.
func removeClientsByEmail(tx *gorm.DB, inboundID int, gone map[string]bool) error {
	_, doc, raws, idents, err := lockedClients(tx, inboundID)
	if err != nil {
		return err
	}
	kept := raws[:0:0]
	for i, ident := range idents {
		if !gone[strings.ToLower(ident.Email)] {
			kept = append(kept, raws[i])
		}
	}
	if len(kept) == len(raws) {
		return nil
	}
	doc.setClients(kept)
	return saveSettings(tx, inboundID, doc)
}
