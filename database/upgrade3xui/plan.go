package upgrade3xui

import (
	"encoding/base32"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/mhsanaei/3x-ui/v2/config"
)

// Item is one line of the report.
type Item struct {
	What   string // a settings key, a group of keys or a table
	Detail string
}

// jsonMove says where one upstream panel setting goes in x-ui.json.
type jsonMove struct {
	from, to string
	// convert turns the stored string into the x-ui.json value; ok=false
	// means there is nothing to move (empty or upstream's "unset").
	convert func(v string) (value any, ok bool, err error)
}

var jsonMoves = []jsonMove{
	{"webPort", "port", toPort},
	{"webBasePath", "webBasePath", func(v string) (any, bool, error) {
		return config.NormalizeBasePath(strings.TrimSpace(v)), true, nil
	}},
	{"webListen", "listen", nonEmpty},
	{"webCertFile", "certFile", nonEmpty},
	{"webKeyFile", "keyFile", nonEmpty},
	{"webDomain", "webDomain", nonEmpty},
	{"sessionMaxAge", "sessionMaxAge", toMinutes},
	{"secret", "secret", nonEmpty},
}

func nonEmpty(v string) (any, bool, error) {
	v = strings.TrimSpace(v)
	return v, v != "", nil
}

func toPort(v string) (any, bool, error) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 1 || n > 65535 {
		return nil, false, fmt.Errorf("webPort %q is not a port (1-65535)", v)
	}
	return n, true, nil
}

func toMinutes(v string) (any, bool, error) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 {
		return nil, false, fmt.Errorf("sessionMaxAge %q is not a number of minutes", v)
	}
	// 0 means upstream's default; this panel's default then applies.
	return n, n > 0, nil
}

// sharedKeys are settings rows this panel reads under the same key.
var sharedKeys = map[string]string{
	"xrayTemplateConfig": "Xray template",
	"trafficDiff":        "limits",
	"expireDiff":         "limits",
	"ipLimitWindow":      "limits",
	"timeLocation":       "time zone of the periodic traffic reset (shared)",
	"pageSize":           "UI",
	"remarkModel":        "UI",
	// Email alerts keep v3's names (docs/notifications.md, Email); v3's
	// event names in smtpEnabledEvents are read as ours.
	"smtpEnable":         "email alerts",
	"smtpHost":           "email alerts",
	"smtpPort":           "email alerts",
	"smtpEncryptionType": "email alerts",
	"smtpUsername":       "email alerts",
	"smtpPassword":       "email alerts",
	"smtpFrom":           "email alerts",
	"smtpFromName":       "email alerts",
	"smtpTo":             "email alerts",
	"smtpEnabledEvents":  "email alerts (v3's login.attempt, xray.crash, node.down/up read as ours; cpu/memory/outbound events dropped)",
}

// ignoredGroups explain upstream settings this panel has no feature for.
// The rows stay in the table; nothing reads them.
var ignoredGroups = []struct {
	prefix, reason string
}{
	{"ldap", "LDAP sync: not available in this panel"},
	{"smtpCpu", "email on high CPU: no CPU events in this panel yet"},
	{"smtpMemory", "email on high memory: no memory events in this panel yet"},
	{"externalTrafficInform", "external traffic webhook: not available in this panel"},
	{"datepicker", "UI calendar choice: the web UI uses the Gregorian calendar"},
	{"restartXrayOnClientDisable", "this panel removes disabled clients through the Xray API without a restart"},
	{"twoFactor", ""}, // handled by the two-factor conversion
}

// plan is what the upgrade will do.
type plan struct {
	writes    map[string]any // x-ui.json key -> value
	moved     []Item
	kept      []Item // x-ui.json already had a value
	shared    []Item
	ignored   []Item
	converted []Item
	twoFactor string // secret to store on the first admin, "" = none
}

func makePlan(snap *Snapshot, current map[string]any, adminSecret string) (*plan, error) {
	p := &plan{writes: map[string]any{}}
	handled := map[string]bool{}
	for _, mv := range jsonMoves {
		raw, ok := snap.Settings[mv.from]
		handled[mv.from] = true
		if !ok {
			continue
		}
		value, some, err := mv.convert(raw)
		if err != nil {
			return nil, err
		}
		if !some {
			p.moved = append(p.moved, Item{mv.from, "empty upstream: this panel's default applies"})
			continue
		}
		shown := fmt.Sprint(value)
		if mv.from == "secret" {
			shown = "(hidden)"
		}
		if have, ok := lookup(current, mv.to); ok {
			if fmt.Sprint(have) == fmt.Sprint(value) {
				p.moved = append(p.moved, Item{mv.from, fmt.Sprintf("%s = %s (already in x-ui.json)", mv.to, shown)})
			} else {
				p.kept = append(p.kept, Item{mv.from, fmt.Sprintf("x-ui.json already sets %s; kept it (upstream had %s)", mv.to, shown)})
			}
			continue
		}
		p.writes[mv.to] = value
		p.moved = append(p.moved, Item{mv.from, fmt.Sprintf("-> x-ui.json %s = %s", mv.to, shown)})
	}
	p.planTwoFactor(snap, adminSecret)
	handled["twoFactorEnable"], handled["twoFactorToken"] = true, true

	var sub, tg []string
	ignored := map[string][]string{}
	var unknown []string
	for _, key := range snap.SettingOrder {
		if handled[key] {
			continue
		}
		if strings.HasPrefix(key, "sub") {
			sub = append(sub, key)
			continue
		}
		if strings.HasPrefix(key, "tg") {
			tg = append(tg, key)
			continue
		}
		if use, ok := sharedKeys[key]; ok {
			p.shared = append(p.shared, Item{key, use})
			continue
		}
		reason := ""
		for _, g := range ignoredGroups {
			if strings.HasPrefix(key, g.prefix) {
				reason = g.reason
				break
			}
		}
		if reason == "" {
			unknown = append(unknown, key)
			continue
		}
		ignored[reason] = append(ignored[reason], key)
	}
	if len(sub) > 0 {
		p.shared = append(p.shared, Item{fmt.Sprintf("sub* (%d keys)", len(sub)), "subscription settings: " + strings.Join(sub, ", ")})
	}
	if len(tg) > 0 {
		// v2's tg* keys are the bot's own (notify/telegram, docs/telegram.md).
		p.shared = append(p.shared, Item{fmt.Sprintf("tg* (%d keys)", len(tg)), "Telegram bot settings: " + strings.Join(tg, ", ")})
	}
	reasons := make([]string, 0, len(ignored))
	for r := range ignored {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	for _, r := range reasons {
		keys := ignored[r]
		p.ignored = append(p.ignored, Item{fmt.Sprintf("%s (%d keys)", groupName(keys), len(keys)), r + ": " + strings.Join(keys, ", ")})
	}
	if len(unknown) > 0 {
		p.ignored = append(p.ignored, Item{fmt.Sprintf("other (%d keys)", len(unknown)), "not used by this panel: " + strings.Join(unknown, ", ")})
	}
	if n, ok := snap.Counts["custom_geo_resources"]; ok {
		p.ignored = append(p.ignored, Item{fmt.Sprintf("custom_geo_resources (%d rows)", n),
			"custom geo files are not supported yet; the table is kept as it is"})
	}
	return p, nil
}

func (p *plan) planTwoFactor(snap *Snapshot, adminSecret string) {
	enabled := strings.EqualFold(strings.TrimSpace(snap.Settings["twoFactorEnable"]), "true")
	token := strings.TrimSpace(snap.Settings["twoFactorToken"])
	switch {
	case !enabled || token == "":
		p.ignored = append(p.ignored, Item{"twoFactorEnable/twoFactorToken", "two-factor login was off upstream: nothing to convert"})
	case !validTOTPSecret(token):
		// Storing it would lock the admin out: no code could ever match.
		p.ignored = append(p.ignored, Item{"twoFactorToken", "not a base32 TOTP secret: two-factor left off, set it up again in the panel"})
	case adminSecret == token:
		p.converted = append(p.converted, Item{"twoFactorToken", "already on the first admin (users.two_factor_secret)"})
	case adminSecret != "":
		p.converted = append(p.converted, Item{"twoFactorToken", "the first admin already has another two-factor secret; kept it"})
	default:
		p.twoFactor = token
		p.converted = append(p.converted, Item{"twoFactorEnable/twoFactorToken",
			"-> users.two_factor_secret of the first admin: the same authenticator code keeps working"})
	}
}

func groupName(keys []string) string {
	if len(keys) == 1 {
		return keys[0]
	}
	prefix := keys[0]
	for _, k := range keys[1:] {
		for !strings.HasPrefix(k, prefix) {
			prefix = prefix[:len(prefix)-1]
		}
	}
	return prefix + "*"
}

// lookup finds key the way config's readers do (its group, "other", flat).
func lookup(settings map[string]any, key string) (any, bool) {
	for _, group := range []string{"panelNetwork", "panelTLS", "panelSecurity", "other"} {
		if g, ok := settings[group].(map[string]any); ok {
			if v, ok := g[key]; ok && v != nil {
				return v, true
			}
		}
	}
	v, ok := settings[key]
	return v, ok && v != nil
}

func validTOTPSecret(s string) bool {
	s = strings.TrimRight(strings.ToUpper(s), "=")
	b, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(s)
	return err == nil && len(b) >= 10
}
