package inbound

import (
	"strings"
	"sync"

	"github.com/mhsanaei/3x-ui/v2/errs"

	"github.com/mhsanaei/3x-ui/v2/database/model"
	"gorm.io/gorm"
)

// likeScanLimit: up to this many new ids are looked up with one LIKE each
// (the database filters, nothing large is read); more are checked in one
// pass over the other UUID inbounds.
const likeScanLimit = 32

// checkIDsFreeElsewhere fails with errs.Conflict("id") when a VLESS/VMess client
// UUID is already used by another inbound: subscriptions and per-user stats
// assume one UUID is one person (docs promise 409).
func checkIDsFreeElsewhere(tx *gorm.DB, p model.Protocol, clients []Client, inboundID int) error {
	if clientKeyField(p) != "id" || len(clients) == 0 {
		return nil
	}
	want := make(map[string]bool, len(clients))
	for i := range clients {
		if clients[i].ID != "" {
			want[strings.ToLower(clients[i].ID)] = true
		}
	}
	q := tx.Model(&model.Inbound{}).Select("id", "settings").
		Where("id <> ? AND protocol IN ?", inboundID, []string{string(model.VLESS), string(model.VMESS)})
	if len(want) <= likeScanLimit {
		ors := tx.Where("1 = 0")
		for id := range want {
			ors = ors.Or("settings LIKE ?", "%"+id+"%")
		}
		q = q.Where(ors)
	}
	var others []model.Inbound
	if err := q.Find(&others).Error; err != nil {
		return err
	}
	for _, o := range others {
		for _, id := range storedIdents(o.Settings) {
			if want[strings.ToLower(id.ID)] {
				return errs.Conflict("id", "client id %s is already used by inbound %d", id.ID, o.Id)
			}
		}
	}
	return nil
}

// idOwners caches which inbounds hold each VLESS/VMess client id, for one
// shared version, so a client write checks its id in O(1) instead of
// scanning every other inbound's settings. This service's own client
// writes carry it to the version they commit; any other write moves the
// version past it, and the next check rebuilds it with one scan.
type idOwners struct {
	mu      sync.Mutex
	valid   bool
	version int64
	owners  map[string][]int // lower-case id -> inbound ids
}

// checkFree is checkIDsFreeElsewhere against the cache, which it first
// brings to version (the shared version read in tx).
func (o *idOwners) checkFree(tx *gorm.DB, version int64, p model.Protocol, clients []Client, inboundID int) error {
	if clientKeyField(p) != "id" || len(clients) == 0 {
		return nil
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.valid || o.version != version {
		if err := o.rebuildLocked(tx, version); err != nil {
			return err
		}
	}
	for i := range clients {
		for _, owner := range o.owners[strings.ToLower(clients[i].ID)] {
			if owner != inboundID {
				return errs.Conflict("id", "client id %s is already used by inbound %d", clients[i].ID, owner)
			}
		}
	}
	return nil
}

func (o *idOwners) rebuildLocked(tx *gorm.DB, version int64) error {
	var rows []model.Inbound
	err := tx.Model(&model.Inbound{}).Select("id", "settings").
		Where("protocol IN ?", []string{string(model.VLESS), string(model.VMESS)}).Find(&rows).Error
	if err != nil {
		o.valid = false
		return err
	}
	owners := map[string][]int{}
	for _, r := range rows {
		for _, id := range storedIdents(r.Settings) {
			if id.ID != "" {
				key := strings.ToLower(id.ID)
				owners[key] = append(owners[key], r.Id)
			}
		}
	}
	o.owners, o.version, o.valid = owners, version, true
	return nil
}

func (o *idOwners) invalidate() {
	o.mu.Lock()
	o.valid = false
	o.mu.Unlock()
}

// committed moves the cache from version pre to post by a write of this
// service that removed and added these ids in inboundID; a write that
// did not go straight from pre to pre+1 (another writer slipped in)
// invalidates it.
func (o *idOwners) committed(pre, post int64, inboundID int, removed, added []string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.valid || o.version != pre || post != pre+1 {
		o.valid = false
		return
	}
	for _, id := range removed {
		key := strings.ToLower(id)
		list := o.owners[key]
		for i, owner := range list {
			if owner == inboundID {
				list = append(list[:i:i], list[i+1:]...)
				break
			}
		}
		if len(list) == 0 {
			delete(o.owners, key)
		} else {
			o.owners[key] = list
		}
	}
	for _, id := range added {
		if id != "" {
			key := strings.ToLower(id)
			o.owners[key] = append(o.owners[key], inboundID)
		}
	}
	o.version = post
}

// storedIdents lists the clients' identities in a stored settings text;
// unreadable settings hold none (they cannot be served either).
func storedIdents(settings string) []clientIdent {
	doc, err := parseStoredSettings(settings)
	if err != nil {
		return nil
	}
	ids, err := doc.idents()
	if err != nil {
		return nil
	}
	return ids
}
