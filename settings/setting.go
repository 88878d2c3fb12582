// Package settings stores the panel's key/value settings in the database,
// typed and validated per key, with defaults for keys never written.
package settings

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"github.com/mhsanaei/3x-ui/v2/util/applied"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/mhsanaei/3x-ui/v2/audit"
	"github.com/mhsanaei/3x-ui/v2/cluster"
	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/database/sharedwrite"
	"github.com/mhsanaei/3x-ui/v2/errs"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// DefaultXrayTemplate is the Xray config every install starts from: the API
// inbound on 127.0.0.1:62789, stats policies, and routing that blocks
// private ranges and BitTorrent. It uses no geoip:/geosite: rules, so it
// runs without geo files.
//
//go:embed setting_xray_template.json
var DefaultXrayTemplate string

// Store reads and writes the shared settings table. Every write is
// a shared write: master only, and it bumps shared_accounts_version.
type Store struct {
	db     *database.Handle
	node   *cluster.Node      // refuses writes on a worker
	writes sharedwrite.Writer // every write: guard, tx, bump, fan-out
	// panel is this node's stored panel section: UpdateWithPanel writes
	// it, and the subscription port must differ from its port.
	panel *config.PanelSection

	receipt *applied.Receipt // set on a WithReceipt view only
}

// WithReceipt is s for one caller's writes: the same database, role and
// fan-out, and each write's apply result recorded in r.
func (s *Store) WithReceipt(r *applied.Receipt) *Store {
	return &Store{db: s.db, node: s.node, writes: s.writes, panel: s.panel, receipt: r}
}

// New is the settings table of db, written only when node is a master;
// its writes tell nobody and its panel section is the default one (see
// NewNotifying).
func New(db *database.Handle, node *cluster.Node) *Store {
	return NewNotifying(db, node, nil, nil)
}

// NewNotifying is New whose committed writes are handed to notify (the
// app's fan-out), which returns each write's own apply outcome, and whose
// panel section is panel (nil: a section of its own holding the defaults
// of an x-ui.json without one, for stores that serve no panel).
func NewNotifying(db *database.Handle, node *cluster.Node, notify sharedwrite.Notifier, panel *config.PanelSection) *Store {
	if panel == nil {
		panel = config.NewPanelSection(config.DefaultPanelConfig())
	}
	return &Store{db: db, node: node, writes: sharedwrite.New(db, node, notify), panel: panel}
}

// Panel is this node's stored panel section, a change waiting for a
// panel restart included.
func (s *Store) Panel() config.PanelConfig { return s.panel.Get() }

// settingKeyIs matches settings.key without writing the reserved word raw.
func settingKeyIs(key string) clause.Expression {
	return clause.Eq{Column: clause.Column{Name: "key"}, Value: key}
}

// ReadString returns the stored value of key, or its default.
func ReadString(conn *gorm.DB, key string) (string, error) {
	def, ok := settingDefs[key]
	if !ok {
		return "", errs.Invalid(key, "unknown setting")
	}
	var rows []model.Setting
	if err := conn.Where(settingKeyIs(key)).Limit(1).Find(&rows).Error; err != nil {
		return "", fmt.Errorf("read setting %s: %w", key, err)
	}
	if len(rows) == 0 {
		return def.def, nil
	}
	return rows[0].Value, nil
}

// ReadStrings returns the stored values of keys, defaults filled in, in
// one query.
func ReadStrings(conn *gorm.DB, keys ...string) (map[string]string, error) {
	out := make(map[string]string, len(keys))
	for _, k := range keys {
		def, ok := settingDefs[k]
		if !ok {
			return nil, errs.Invalid(k, "unknown setting")
		}
		out[k] = def.def
	}
	var rows []model.Setting
	if err := conn.Where(clause.IN{Column: clause.Column{Name: "key"}, Values: anySlice(keys)}).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("read settings: %w", err)
	}
	for _, r := range rows {
		out[r.Key] = r.Value
	}
	return out, nil
}

func anySlice(keys []string) []any {
	out := make([]any, len(keys))
	for i, k := range keys {
		out[i] = k
	}
	return out
}

func ReadInt(conn *gorm.DB, key string) (int, error) {
	v, err := ReadString(conn, key)
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		// A hand-edited bad row falls back to the default rather than failing.
		n, _ = strconv.Atoi(settingDefs[key].def)
	}
	return n, nil
}

func ReadBool(conn *gorm.DB, key string) (bool, error) {
	v, err := ReadString(conn, key)
	if err != nil {
		return false, err
	}
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	if err != nil {
		b, _ = strconv.ParseBool(settingDefs[key].def)
	}
	return b, nil
}

// GetString returns a string setting (or any setting as stored).
func (s *Store) GetString(key string) (string, error) {
	conn, err := s.db.DB()
	if err != nil {
		return "", err
	}
	return ReadString(conn, key)
}

// GetInt returns an integer setting.
func (s *Store) GetInt(key string) (int, error) {
	conn, err := s.db.DB()
	if err != nil {
		return 0, err
	}
	return ReadInt(conn, key)
}

// GetBool returns a boolean setting.
func (s *Store) GetBool(key string) (bool, error) {
	conn, err := s.db.DB()
	if err != nil {
		return false, err
	}
	return ReadBool(conn, key)
}

// SetString, SetInt and SetBool validate and store one setting.
func (s *Store) SetString(key, value string) error {
	return s.UpdateSettings(map[string]any{key: value})
}

func (s *Store) SetInt(key string, value int) error {
	return s.UpdateSettings(map[string]any{key: value})
}

func (s *Store) SetBool(key string, value bool) error {
	return s.UpdateSettings(map[string]any{key: value})
}

// GetXrayConfigTemplate returns the Xray template JSON.
func (s *Store) GetXrayConfigTemplate() (string, error) {
	return s.GetString("xrayTemplateConfig")
}

// SetXrayConfigTemplate stores a new template after checking its shape.
func (s *Store) SetXrayConfigTemplate(template string) error {
	return s.UpdateSettings(map[string]any{"xrayTemplateConfig": template})
}

// GetAllSettings returns every known setting, typed, defaults filled in.
func (s *Store) GetAllSettings() (map[string]any, error) {
	conn, err := s.db.DB()
	if err != nil {
		return nil, err
	}
	var rows []model.Setting
	if err := conn.Find(&rows).Error; err != nil {
		return nil, err
	}
	stored := make(map[string]string, len(rows))
	for _, r := range rows {
		stored[r.Key] = r.Value
	}
	out := make(map[string]any, len(settingDefs))
	for key, def := range settingDefs {
		v, ok := stored[key]
		if !ok {
			v = def.def
		}
		if def.secret && v != "" {
			v = SecretMask
		}
		out[key] = def.typed(v)
	}
	return out, nil
}

// UpdateSettings validates every key and value first, then stores them all
// in one transaction; an unknown key or bad value changes nothing.
func (s *Store) UpdateSettings(values map[string]any) error {
	return s.updateSettings(values, nil)
}

// updateSettings is UpdateSettings whose audit row also lists extra (the
// x-ui.json changes of the same save).
func (s *Store) updateSettings(values map[string]any, extra []audit.Change) error {
	if err := s.node.RequireMaster(); err != nil {
		return err
	}
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys) // deterministic: the first bad key is always the same one
	kept := keys[:0]
	for _, k := range keys {
		def, ok := settingDefs[k]
		if !ok {
			return errs.Invalid(k, "unknown setting")
		}
		// The mask GetAllSettings showed, sent back by a form: keep the secret.
		if s, isString := values[k].(string); def.secret && isString && s == SecretMask {
			continue
		}
		kept = append(kept, k)
	}
	keys = kept
	e := audit.Entry{Action: settingsAction(keys), TargetKind: "settings"}
	_, err := s.writes.Write(s.receipt, e, func(tx *gorm.DB, ch *sharedwrite.Change) error {
		ch.Settings = true
		rows := make([]model.Setting, 0, len(keys))
		env := checkEnv{tx: tx, panel: s.panel.Get()}
		for _, k := range keys {
			v, err := settingDefs[k].normalize(env, k, values[k])
			if err != nil {
				return err
			}
			rows = append(rows, model.Setting{Key: k, Value: v})
		}
		if err := checkEmailComplete(tx, rows); err != nil {
			return err
		}
		if err := checkMetricsSafe(env, rows); err != nil {
			return err
		}
		changes, err := settingChanges(tx, rows)
		if err != nil {
			return err
		}
		ch.Audit.Changes = append(changes, extra...)
		if len(rows) > 0 {
			upsert := clause.OnConflict{
				Columns:   []clause.Column{{Name: "key"}},
				DoUpdates: clause.AssignmentColumns([]string{"value"}),
			}
			if err := tx.Clauses(upsert).Create(&rows).Error; err != nil {
				return err
			}
		}
		return nil
	})
	return err
}

// ResetSettings deletes every stored setting so all read as defaults.
func (s *Store) ResetSettings() error {
	e := audit.Entry{Action: "settings.reset", TargetKind: "settings"}
	_, err := s.writes.Write(s.receipt, e, func(tx *gorm.DB, ch *sharedwrite.Change) error {
		ch.Settings = true
		return tx.Where("1 = 1").Delete(&model.Setting{}).Error
	})
	return err
}

// TemplateInbound is the part of a template inbound that reserves a port/tag.
type TemplateInbound struct {
	Tag  string
	Port int
}

// TemplateInbounds lists the current template's inbounds (the API inbound
// at least), whose ports and tags panel inbounds may not reuse.
func TemplateInbounds(conn *gorm.DB) ([]TemplateInbound, error) {
	tpl, err := ReadString(conn, "xrayTemplateConfig")
	if err != nil {
		return nil, err
	}
	var doc struct {
		Inbounds []struct {
			Tag  string          `json:"tag"`
			Port json.RawMessage `json:"port"`
		} `json:"inbounds"`
	}
	if err := json.Unmarshal([]byte(tpl), &doc); err != nil {
		return nil, nil // a stored template is validated on write; be lenient on read
	}
	out := make([]TemplateInbound, 0, len(doc.Inbounds))
	for _, in := range doc.Inbounds {
		var port int
		var f float64
		var str string
		if json.Unmarshal(in.Port, &f) == nil && f == math.Trunc(f) {
			port = int(f)
		} else if json.Unmarshal(in.Port, &str) == nil {
			port, _ = strconv.Atoi(strings.TrimSpace(str))
		}
		out = append(out, TemplateInbound{Tag: in.Tag, Port: port})
	}
	return out, nil
}
