package service

import (
	"encoding/json"
	"sort"
	"strings"
	"time"

	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/inbound"
	"github.com/mhsanaei/3x-ui/v2/xray"
	"gorm.io/gorm"
)

// maxDeltaVersions: a worker further behind than this reloads everything
// (one full read is cheaper than replaying a long log).
const maxDeltaVersions = 1000

// LoadSnapshotDelta builds the snapshot at version from base and the
// change log, reading only what changed: the log entries, the inbounds
// they name and the traffic rows of the clients they name. ok is false
// when the log cannot bridge base.Version..version (a gap: an unlogged
// write or a pruned range); the caller then loads the full snapshot.
//
// Rows are read as they are now, which may be newer than version; the
// next sync applies those newer entries again, so the snapshot converges.
func LoadSnapshotDelta(conn *gorm.DB, base *SharedAccountsSnapshot, version int64) (*SharedAccountsSnapshot, bool, error) {
	if base == nil || version <= base.Version || version-base.Version > maxDeltaVersions {
		return nil, false, nil
	}
	changes, ok, err := database.LoadSharedChanges(conn, base.Version, version)
	if err != nil || !ok {
		return nil, false, err
	}
	d := newSnapshotDelta(base, version)
	for _, c := range changes {
		if c.Kind == model.ChangeInbound {
			d.reread[c.InboundId] = true
		}
	}
	for _, c := range changes {
		if c.Kind != model.ChangeClient || d.reread[c.InboundId] {
			continue
		}
		if err := d.patchClient(c); err != nil {
			return nil, false, err
		}
	}
	if err := d.refreshRows(conn); err != nil {
		return nil, false, err
	}
	if err := d.rereadInbounds(conn); err != nil {
		return nil, false, err
	}
	return d.next, true, nil
}

// snapshotDelta is a copy-on-write successor of a snapshot: the base and
// its inbounds are never modified (readers may hold them).
type snapshotDelta struct {
	next    *SharedAccountsSnapshot
	pos     map[int]int  // inbound id -> index in next.Inbounds
	copied  map[int]bool // inbounds already copied
	reread  map[int]bool // inbounds to read again whole
	emails  map[string]bool
	touched map[int]bool // inbounds whose traffic rows are refreshed
}

func newSnapshotDelta(base *SharedAccountsSnapshot, version int64) *snapshotDelta {
	next := *base
	next.Version = version
	next.GeneratedAt = time.Now().Unix()
	next.Inbounds = append([]*model.Inbound(nil), base.Inbounds...)
	d := &snapshotDelta{next: &next, pos: map[int]int{}, copied: map[int]bool{}, reread: map[int]bool{},
		emails: map[string]bool{}, touched: map[int]bool{}}
	for i, in := range next.Inbounds {
		d.pos[in.Id] = i
	}
	return d
}

func (d *snapshotDelta) inbound(id int) *model.Inbound {
	i, ok := d.pos[id]
	if !ok {
		return nil
	}
	if !d.copied[id] {
		c := *d.next.Inbounds[i]
		c.ClientStats = append([]xray.ClientTraffic(nil), c.ClientStats...)
		d.next.Inbounds[i] = &c
		d.copied[id] = true
	}
	return d.next.Inbounds[i]
}

func (d *snapshotDelta) patchClient(c model.SharedChange) error {
	in := d.inbound(c.InboundId)
	if in == nil {
		d.reread[c.InboundId] = true // not in the base: read it whole
		return nil
	}
	settings, err := inbound.ReplaceStoredClient(in.Settings, c.Email, c.OldEmail, json.RawMessage(c.Client))
	if err != nil {
		d.reread[c.InboundId] = true
		return nil
	}
	in.Settings = settings
	for _, e := range []string{c.Email, c.OldEmail} {
		if e != "" {
			d.emails[strings.ToLower(e)] = true
		}
	}
	d.touched[c.InboundId] = true
	return nil
}

// refreshRows replaces the traffic rows of the patched clients with the
// database's (a removed client's row is simply gone).
func (d *snapshotDelta) refreshRows(conn *gorm.DB) error {
	if len(d.emails) == 0 {
		return nil
	}
	list := make([]string, 0, len(d.emails))
	for e := range d.emails {
		list = append(list, e)
	}
	var rows []xray.ClientTraffic
	for start := 0; start < len(list); start += inbound.SQLChunk {
		var part []xray.ClientTraffic
		if err := conn.Where("email IN ?", list[start:min(start+inbound.SQLChunk, len(list))]).Find(&part).Error; err != nil {
			return err
		}
		rows = append(rows, part...)
	}
	for id := range d.touched {
		in := d.inbound(id)
		kept := in.ClientStats[:0]
		for _, r := range in.ClientStats {
			if !d.emails[strings.ToLower(r.Email)] {
				kept = append(kept, r)
			}
		}
		for _, r := range rows {
			if r.InboundId == id {
				kept = append(kept, r)
			}
		}
		in.ClientStats = kept
	}
	return nil
}

// rereadInbounds loads the named inbounds whole; a missing one was deleted.
func (d *snapshotDelta) rereadInbounds(conn *gorm.DB) error {
	if len(d.reread) == 0 {
		return nil
	}
	ids := make([]int, 0, len(d.reread))
	for id := range d.reread {
		ids = append(ids, id)
	}
	var fresh []*model.Inbound
	if err := conn.Preload("ClientStats").Where("id IN ?", ids).Find(&fresh).Error; err != nil {
		return err
	}
	byID := map[int]*model.Inbound{}
	for _, in := range fresh {
		byID[in.Id] = in
	}
	out := d.next.Inbounds[:0:0]
	for _, in := range d.next.Inbounds {
		if !d.reread[in.Id] {
			out = append(out, in)
		}
	}
	out = append(out, fresh...)
	sort.Slice(out, func(a, b int) bool { return out[a].Id < out[b].Id })
	d.next.Inbounds = out
	return nil
}
