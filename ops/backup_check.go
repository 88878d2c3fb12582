package ops

import (
	"errors"
	"fmt"
	"github.com/mhsanaei/3x-ui/v2/errs"
	"github.com/mhsanaei/3x-ui/v2/inbound"
	"github.com/mhsanaei/3x-ui/v2/xray/users"
	"strings"

	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/xray"
	"gorm.io/gorm"
)

// backupRequiredTables must exist in a backup before its schema is
// brought up to date: a backup without them would silently delete every
// inbound, client counter, setting or user.
var backupRequiredTables = []string{"users", "inbounds", "client_traffics", "settings"}

// ImportReport is what an import changes, table by table.
type ImportReport struct {
	DryRun bool                   `json:"dryRun"`
	Tables map[string]TableChange `json:"tables"`
}

// TableChange is a table's row count now and after the import.
type TableChange struct {
	Before int64 `json:"before"`
	After  int64 `json:"after"`
}

var errDryRun = errors.New("dry run")

func checkBackupSchema(src *gorm.DB) error {
	for _, t := range backupRequiredTables {
		if !src.Migrator().HasTable(t) {
			return errs.Invalid("db", "backup has no %q table; it is not a complete x-ui backup", t)
		}
	}
	return nil
}

// validateBackupRows puts every inbound of the backup through the same
// validators as the API (shape, clients, stream, listen, lengths) and the
// uniqueness the API enforces across inbounds: port per address, tag,
// client email and client id.
func validateBackupRows(src *gorm.DB) error {
	var inbounds []*model.Inbound
	if err := src.Order("id").Find(&inbounds).Error; err != nil {
		return errs.Invalid("db", "cannot read the backup's inbounds: %v", err)
	}
	tags := map[string]int{}
	emails := map[string]int{}
	ids := map[string]int{}
	for i, in := range inbounds {
		where := fmt.Sprintf("inbound %d", in.Id)
		copyIn := *in
		clients, err := inbound.PrepareForImport(&copyIn)
		if err != nil {
			var e *errs.Error
			if errors.As(err, &e) {
				return &errs.Error{Kind: errs.KindInvalid, Field: e.Field, Msg: where + ": " + e.Msg}
			}
			return errs.Invalid("db", "%s: %v", where, err)
		}
		if in.Tag == "" {
			return errs.Invalid("tag", "%s: missing", where)
		}
		if other, ok := tags[in.Tag]; ok {
			return errs.Invalid("tag", "%s: %q is also used by inbound %d", where, in.Tag, other)
		}
		tags[in.Tag] = in.Id
		for _, o := range inbounds[:i] {
			if o.Port == in.Port && inbound.ListensOverlap(o.Listen, in.Listen) {
				return errs.Invalid("port", "%s: port %d is also used by inbound %d", where, in.Port, o.Id)
			}
		}
		for _, c := range clients {
			e := strings.ToLower(c.Email)
			if other, ok := emails[e]; ok && other != in.Id {
				return errs.Invalid("email", "%s: email %q is also used by inbound %d", where, c.Email, other)
			}
			emails[e] = in.Id
			if users.KeyField(string(in.Protocol)) == "id" {
				id := strings.ToLower(c.ID)
				if other, ok := ids[id]; ok && other != in.Id {
					return errs.Invalid("id", "%s: client id %s is also used by inbound %d", where, c.ID, other)
				}
				ids[id] = in.Id
			}
		}
	}
	return nil
}

// importReport counts rows of the data tables in src and live.
func importReport(src, live *gorm.DB) (*ImportReport, error) {
	r := &ImportReport{Tables: map[string]TableChange{}}
	for _, m := range []any{&model.User{}, &model.Inbound{}, &xray.ClientTraffic{}, &model.Setting{}} {
		sch, err := parseSchema(live, m)
		if err != nil {
			return nil, err
		}
		var before, after int64
		if err := live.Model(m).Count(&before).Error; err != nil {
			return nil, err
		}
		if err := src.Model(m).Count(&after).Error; err != nil {
			return nil, err
		}
		r.Tables[sch.Table] = TableChange{Before: before, After: after}
	}
	return r, nil
}
