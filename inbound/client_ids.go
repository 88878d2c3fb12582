package inbound

import (
	"github.com/mhsanaei/3x-ui/v2/errs"
	"strings"

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
		doc, err := parseStoredSettings(o.Settings)
		if err != nil {
			continue
		}
		raws, err := doc.clientList()
		if err != nil {
			continue
		}
		ids, err := identsOf(raws)
		if err != nil {
			continue
		}
		for _, id := range ids {
			if want[strings.ToLower(id.ID)] {
				return errs.Conflict("id", "client id %s is already used by inbound %d", id.ID, o.Id)
			}
		}
	}
	return nil
}
