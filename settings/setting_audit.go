package settings

import (
	"log"
	"sort"

	"github.com/mhsanaei/3x-ui/v2/audit"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"gorm.io/gorm"
)

// As is s making its writes for actor (recorded in each audit row).
func (s *Store) As(actor audit.Actor) *Store {
	return &Store{db: s.db, node: s.node, writes: s.writes.As(actor), panel: s.panel, receipt: s.receipt}
}

// settingsAction names a settings write: the Xray template has its own
// action (it is its own page and route).
func settingsAction(keys []string) string {
	if len(keys) == 1 && keys[0] == "xrayTemplateConfig" {
		return "xray.template.update"
	}
	return "settings.update"
}

// settingChanges are the changes rows make to the stored settings (read
// in tx before they are written): a secret setting's values masked, the
// Xray template walked as JSON so only the paths that changed show.
func settingChanges(tx *gorm.DB, rows []model.Setting) ([]audit.Change, error) {
	keys := make([]string, len(rows))
	for i, r := range rows {
		keys[i] = r.Key
	}
	before, err := ReadStrings(tx, keys...)
	if err != nil {
		return nil, err
	}
	var out []audit.Change
	for _, r := range rows {
		old := before[r.Key]
		switch {
		case old == r.Value:
		case settingDefs[r.Key].secret:
			out = append(out, audit.Change{Field: r.Key, Before: audit.Masked, After: audit.Masked})
		case r.Key == "xrayTemplateConfig":
			out = append(out, audit.Diff(r.Key+".", audit.JSONObject(old), audit.JSONObject(r.Value))...)
		default:
			if c := audit.Value(r.Key, old, r.Value); c != nil {
				out = append(out, *c)
			}
		}
	}
	return out, nil
}

// panelChanges are the panel values (3x-ui's names) a save changes, under
// "panel." so they read apart from the shared settings.
func panelChanges(current, checked map[string]any) []audit.Change {
	keys := make([]string, 0, len(checked))
	for k := range checked {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []audit.Change
	for _, k := range keys {
		if c := audit.Value("panel."+k, current[k], checked[k]); c != nil {
			out = append(out, *c)
		}
	}
	return out
}

// recordPanel records a save that changed only this node's x-ui.json:
// no shared row changes, so the row is the transaction's only write. A
// worker may change its own x-ui.json but not insert audit rows (its
// database account cannot): the change goes to its panel log instead.
func (s *Store) recordPanel(changes []audit.Change) error {
	if s.node.IsWorker() {
		log.Printf("panel settings of this worker changed (not in the shared audit log): %d fields", len(changes))
		return nil
	}
	conn, err := s.db.DB()
	if err != nil {
		return err
	}
	node := s.node.Config().NodeID
	e := audit.Entry{Action: "panel.update", TargetKind: "x-ui.json", TargetID: node, Changes: changes}
	return audit.Tx(conn, node, s.writes.Actor(), e, func(*gorm.DB, *audit.Entry) error { return nil })
}
