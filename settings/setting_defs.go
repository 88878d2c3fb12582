package settings

import (
	"encoding/json"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/errs"
	"gorm.io/gorm"
)

type settingKind int

const (
	kindString settingKind = iota
	kindInt
	kindBool
)

// settingDef describes one known setting: its type, default (as stored)
// and an optional check that may also normalize the stored string.
type settingDef struct {
	kind  settingKind
	def   string
	check func(c checkEnv, key, v string) (string, error)
	// secret values read as SecretMask in GetAllSettings (when set).
	secret bool
}

// checkEnv is what a check may look at besides the value: the write's
// transaction and this node's stored panel section (ports must not clash).
type checkEnv struct {
	tx    *gorm.DB
	panel config.PanelConfig
}

var settingDefs = map[string]settingDef{
	"xrayTemplateConfig": {kind: kindString, def: DefaultXrayTemplate, check: checkXrayTemplate},
	"subEnable":          {kind: kindBool, def: "false"},
	"subPort":            {kind: kindInt, def: "2096", check: checkSubPort},
	"subPath":            {kind: kindString, def: "/sub/", check: checkURLPath},
	"subJsonPath":        {kind: kindString, def: "/json/", check: checkURLPath},
	"subClashPath":       {kind: kindString, def: "/clash/", check: checkURLPath},
	"subEncrypt":         {kind: kindBool, def: "true"},
	"subUpdates":         {kind: kindInt, def: "12", check: intRange(0, 24*365)},
	"subTitle":           {kind: kindString, def: "", check: maxLen(255)},
	"subDomain":          {kind: kindString, def: "", check: checkDomain},
	"trafficDiff":        {kind: kindInt, def: "0", check: intRange(0, math.MaxInt32)},
	"expireDiff":         {kind: kindInt, def: "0", check: intRange(0, 3650)},
	"timeLocation":       {kind: kindString, def: "Local", check: checkTimeLocation},
	"pageSize":           {kind: kindInt, def: "50", check: intRange(0, 10000)},
	"remarkModel":        {kind: kindString, def: "-ieo", check: checkRemarkModel},
	"ipLimitWindow":      {kind: kindInt, def: "300", check: intRange(1, 86400)},
	// Days the audit log keeps its rows (the master prunes older ones).
	"auditRetentionDays": {kind: kindInt, def: "90", check: intRange(1, 3650)},

	// The Telegram bot, under 3x-ui v3.6's keys and defaults so an
	// upgraded install keeps its bot (tgBotLoginNotify is v2's, kept for
	// the same reason); checks in setting_tg.go, docs in docs/telegram.md.
	"tgBotEnable":      {kind: kindBool, def: "false"},
	"tgBotToken":       {kind: kindString, def: "", check: checkTgToken},
	"tgBotProxy":       {kind: kindString, def: "", check: checkTgProxy},
	"tgBotAPIServer":   {kind: kindString, def: "", check: checkTgAPIServer},
	"tgBotChatId":      {kind: kindString, def: "", check: checkTgChatIDs},
	"tgRunTime":        {kind: kindString, def: "@daily", check: checkTgRunTime},
	"tgBotBackup":      {kind: kindBool, def: "false"},
	"tgBotLoginNotify": {kind: kindBool, def: "true"},
	"tgCpu":            {kind: kindInt, def: "80", check: intRange(0, 100)},
	"tgMemory":         {kind: kindInt, def: "80", check: intRange(0, 100)},
	// Host alerts (docs/notifications.md): tgCpu and tgMemory are v3's
	// percent thresholds, tgDisk ours; 0 turns that alert off.
	"tgDisk": {kind: kindInt, def: "90", check: intRange(0, 100)},
	// How long a worker may stay behind the master's shared version, and
	// a node's traffic flush keep failing, before it is reported.
	"notifyLagSeconds":       {kind: kindInt, def: "300", check: intRange(30, 86400)},
	"notifyFlushFailSeconds": {kind: kindInt, def: "300", check: intRange(30, 86400)},
	"tgLang":                 {kind: kindString, def: "en-US", check: checkTgLang},
	// v3's per-kind alert filter; the default keeps what an install that
	// never saved it (v2, or before this setting) got: every kind.
	"tgEnabledEvents": {kind: kindString, def: strings.Join(EmailEventKinds(), ","), check: checkEmailEvents},
}

// typed converts a stored string to the setting's Go type.
func (d settingDef) typed(v string) any {
	switch d.kind {
	case kindInt:
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			n, _ = strconv.Atoi(d.def)
		}
		return n
	case kindBool:
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			b, _ = strconv.ParseBool(d.def)
		}
		return b
	}
	return v
}

// normalize turns an API value (JSON-decoded or Go-typed) into the stored
// string, or an error naming key.
func (d settingDef) normalize(c checkEnv, key string, value any) (string, error) {
	var s string
	switch d.kind {
	case kindInt:
		n, ok := toInt(value)
		if !ok {
			return "", errs.Invalid(key, "must be an integer, got %v", value)
		}
		s = strconv.Itoa(n)
	case kindBool:
		b, ok := toBool(value)
		if !ok {
			return "", errs.Invalid(key, "must be true or false, got %v", value)
		}
		s = strconv.FormatBool(b)
	default:
		str, ok := value.(string)
		if !ok {
			return "", errs.Invalid(key, "must be a string")
		}
		s = str
	}
	if d.check != nil {
		return d.check(c, key, s)
	}
	return s, nil
}

func toInt(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, true
	case int64:
		return int(x), true
	case int32:
		return int(x), true
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int(x), true
		}
	case json.Number:
		n, err := strconv.Atoi(x.String())
		return n, err == nil
	case string:
		n, err := strconv.Atoi(strings.TrimSpace(x))
		return n, err == nil
	}
	return 0, false
}

func toBool(v any) (bool, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		b, err := strconv.ParseBool(strings.TrimSpace(x))
		return b, err == nil
	}
	return false, false
}

func intRange(lo, hi int) func(checkEnv, string, string) (string, error) {
	return func(_ checkEnv, key, v string) (string, error) {
		n, _ := strconv.Atoi(v)
		if n < lo || n > hi {
			return "", errs.Invalid(key, "must be between %d and %d, got %d", lo, hi, n)
		}
		return v, nil
	}
}

func maxLen(n int) func(checkEnv, string, string) (string, error) {
	return func(_ checkEnv, key, v string) (string, error) {
		if len(v) > n {
			return "", errs.Invalid(key, "longer than %d characters", n)
		}
		return v, nil
	}
}

func checkSubPort(c checkEnv, key, v string) (string, error) {
	port, _ := strconv.Atoi(v)
	if port < 1 || port > 65535 {
		return "", errs.Invalid(key, "%d is not a TCP port (1-65535)", port)
	}
	if port == c.panel.Port {
		return "", errs.Conflict(key, "%d is the panel's own port", port)
	}
	var count int64
	if err := c.tx.Model(&model.Inbound{}).Where("port = ?", port).Count(&count).Error; err != nil {
		return "", err
	}
	if count > 0 {
		return "", errs.Conflict(key, "%d is used by an inbound", port)
	}
	return v, nil
}

var urlPathPattern = regexp.MustCompile(`^/[A-Za-z0-9/_\-.~]*$`)

// checkURLPath stores paths as /name/ so routes can be joined safely.
func checkURLPath(_ checkEnv, key, v string) (string, error) {
	v = config.NormalizeBasePath(strings.TrimSpace(v))
	if v == "/" || !urlPathPattern.MatchString(v) || strings.Contains(v, "//") || strings.Contains(v, "..") {
		return "", errs.Invalid(key, "%q must be a path like /sub/ using letters, digits, '/', '_', '-', '.' or '~'", v)
	}
	return v, nil
}

var domainPattern = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9\-.]{0,251}[A-Za-z0-9])?$`)

func checkDomain(_ checkEnv, key, v string) (string, error) {
	v = strings.TrimSpace(v)
	if v != "" && !domainPattern.MatchString(v) {
		return "", errs.Invalid(key, "%q is not a host name", v)
	}
	return v, nil
}

func checkTimeLocation(_ checkEnv, key, v string) (string, error) {
	if _, err := time.LoadLocation(v); err != nil || v == "" {
		return "", errs.Invalid(key, "%q is not a known time zone", v)
	}
	return v, nil
}

var remarkModelPattern = regexp.MustCompile(`^[-_ |.,:;/]([ieo]{0,3})$`)

// checkRemarkModel: a separator followed by up to three of i (inbound
// remark), e (email) and o (extra info), each at most once.
func checkRemarkModel(_ checkEnv, key, v string) (string, error) {
	m := remarkModelPattern.FindStringSubmatch(v)
	if m == nil {
		return "", errs.Invalid(key, "%q must be a separator followed by any of i, e, o", v)
	}
	seen := map[rune]bool{}
	for _, r := range m[1] {
		if seen[r] {
			return "", errs.Invalid(key, "%q repeats %q", v, r)
		}
		seen[r] = true
	}
	return v, nil
}

// checkXrayTemplate requires a JSON object with "inbounds" and a non-empty
// "outbounds" array of objects; it is stored as given.
func checkXrayTemplate(_ checkEnv, key, v string) (string, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal([]byte(v), &doc); err != nil || doc == nil {
		return "", errs.Invalid(key, "must be a JSON object")
	}
	var inbounds, outbounds []map[string]json.RawMessage
	raw, ok := doc["inbounds"]
	if !ok || json.Unmarshal(raw, &inbounds) != nil || inbounds == nil {
		return "", errs.Invalid(key, "must have an \"inbounds\" array of objects")
	}
	raw, ok = doc["outbounds"]
	if !ok || json.Unmarshal(raw, &outbounds) != nil || len(outbounds) == 0 {
		return "", errs.Invalid(key, "must have a non-empty \"outbounds\" array of objects")
	}
	for i, ob := range outbounds {
		if ob == nil {
			return "", errs.Invalid(key, "outbound %d is not an object", i+1)
		}
	}
	for i, in := range inbounds {
		if in == nil {
			return "", errs.Invalid(key, "inbound %d is not an object", i+1)
		}
	}
	return strings.TrimSpace(v), nil
}

// Named getters for the settings other parts read most.

func (s *Store) GetSubEnable() (bool, error) { return s.GetBool("subEnable") }
func (s *Store) GetSubPort() (int, error)    { return s.GetInt("subPort") }
func (s *Store) GetSubPath() (string, error) { return s.GetString("subPath") }
func (s *Store) GetSubJsonPath() (string, error) {
	return s.GetString("subJsonPath")
}
func (s *Store) GetSubClashPath() (string, error) {
	return s.GetString("subClashPath")
}
func (s *Store) GetSubEncrypt() (bool, error)    { return s.GetBool("subEncrypt") }
func (s *Store) GetSubUpdates() (int, error)     { return s.GetInt("subUpdates") }
func (s *Store) GetSubTitle() (string, error)    { return s.GetString("subTitle") }
func (s *Store) GetSubDomain() (string, error)   { return s.GetString("subDomain") }
func (s *Store) GetRemarkModel() (string, error) { return s.GetString("remarkModel") }
func (s *Store) GetIPLimitWindow() (int, error)  { return s.GetInt("ipLimitWindow") }

// GetTimeLocation returns the configured zone, falling back to Local.
func (s *Store) GetTimeLocation() (*time.Location, error) {
	name, err := s.GetString("timeLocation")
	if err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.Local, nil
	}
	return loc, nil
}

// SettingDefaults returns every known key with its default, typed.
func SettingDefaults() map[string]any {
	out := make(map[string]any, len(settingDefs))
	for k, d := range settingDefs {
		out[k] = d.typed(d.def)
	}
	return out
}
