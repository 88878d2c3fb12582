package inbound

import (
	"sort"
	"strings"

	"github.com/mhsanaei/3x-ui/v2/errs"
	"gorm.io/gorm"
)

// AddPatch records fields to set on the client with email in inbound id.
func AddPatch(patches map[int]map[string]map[string]any, inboundID int, email string, set map[string]any) {
	byEmail := patches[inboundID]
	if byEmail == nil {
		byEmail = map[string]map[string]any{}
		patches[inboundID] = byEmail
	}
	key := strings.ToLower(email)
	if cur := byEmail[key]; cur != nil {
		for k, v := range set {
			cur[k] = v
		}
		return
	}
	byEmail[key] = set
}

// PatchClients applies field patches to clients (by email) in each
// inbound's settings JSON, one read and one write per inbound.
func PatchClients(tx *gorm.DB, patches map[int]map[string]map[string]any) error {
	ids := make([]int, 0, len(patches))
	for id := range patches {
		ids = append(ids, id)
	}
	sort.Ints(ids) // fixed lock order across concurrent writers
	for _, id := range ids {
		_, doc, raws, idents, err := lockedClients(tx, id)
		if errs.KindOf(err) == errs.KindNotFound {
			continue // the row outlived its inbound; nothing to patch
		}
		if err != nil {
			return err
		}
		changed := false
		for i, ident := range idents {
			set := patches[id][strings.ToLower(ident.Email)]
			if set == nil {
				continue
			}
			if raws[i], err = patchClient(raws[i], set); err != nil {
				return err
			}
			changed = true
		}
		if changed {
			if err := saveSettings(tx, id, doc); err != nil {
				return err
			}
		}
	}
	return nil
}

// ClientRowRef is the part of a client_traffics row the rules need.
type ClientRowRef struct {
	Id         int
	InboundId  int
	Email      string
	ExpiryTime int64
	Reset      int
	Enable     bool
}

// InvalidClientSQL matches rows over quota or past expiry.
const InvalidClientSQL = "((total > 0 AND up + down >= total) OR (expiry_time > 0 AND expiry_time <= ?))"
