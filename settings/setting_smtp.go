package settings

import (
	"fmt"
	"net"
	"net/mail"
	"slices"
	"strconv"
	"strings"

	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/errs"
	"gorm.io/gorm"
)

// SecretMask stands for a stored secret in GetAllSettings: the API never
// shows the value, and a save that sends the mask back keeps it.
const SecretMask = "********"

// The email alert settings keep 3x-ui v3's names (smtp*), so an upgraded
// v3 install keeps its mail setup (docs/notifications.md, Email).
func init() {
	for k, d := range map[string]settingDef{
		"smtpEnable":         {kind: kindBool, def: "false"},
		"smtpHost":           {kind: kindString, def: "", check: checkSMTPHost},
		"smtpPort":           {kind: kindInt, def: "587", check: checkTCPPort},
		"smtpEncryptionType": {kind: kindString, def: "starttls", check: checkSMTPEncryption},
		"smtpUsername":       {kind: kindString, def: "", check: oneLine(255)},
		"smtpPassword":       {kind: kindString, def: "", check: oneLine(1024), secret: true},
		"smtpFrom":           {kind: kindString, def: "", check: checkMailAddress},
		"smtpFromName":       {kind: kindString, def: "", check: oneLine(255)},
		"smtpTo":             {kind: kindString, def: "", check: checkMailList},
		"smtpEnabledEvents":  {kind: kindString, def: strings.Join(DefaultEmailEvents(), ","), check: checkEmailEvents},
	} {
		settingDefs[k] = d
	}
}

// EmailEventKinds are the event kinds an email may be sent for: notify's
// kinds but "test" (notify's tests check the two lists agree; settings
// cannot import notify, which reads these settings).
func EmailEventKinds() []string {
	return []string{"client.depleted", "client.expired", "client.added", "client.changed", "client.disabled",
		"client.quota", "client.expiring", "login.failed", "login.succeeded", "xray.crashed", "xray.recovered",
		"node.stale", "node.back", "node.lagging", "lease.moved", "traffic.flush_failing", "db.unreachable",
		"host.cpu_high", "host.memory_high", "host.disk_high", "backup.done"}
}

// DefaultEmailEvents are the kinds mailed when smtpEnabledEvents was never
// saved: the ones an admin must act on.
func DefaultEmailEvents() []string {
	return []string{"client.depleted", "client.expired", "login.failed", "xray.crashed", "node.stale", "node.back",
		"traffic.flush_failing", "db.unreachable"}
}

// v3EmailEvent maps 3x-ui v3's event names to ours, for a stored v3
// smtpEnabledEvents; v3 names with no counterpart here (outbound.*) are
// dropped.
func v3EmailEvent(k string) string {
	switch k {
	case "login.attempt":
		return "login.failed"
	case "xray.crash":
		return "xray.crashed"
	case "node.down":
		return "node.stale"
	case "node.up":
		return "node.back"
	case "cpu.high":
		return "host.cpu_high"
	case "memory.high":
		return "host.memory_high"
	}
	return k
}

// EmailEvents reads a stored smtpEnabledEvents into known kinds, mapping
// v3 names and skipping unknown ones (a hand-edited or v3 row).
func EmailEvents(stored string) []string {
	var out []string
	for _, k := range strings.Split(stored, ",") {
		k = strings.TrimSpace(k)
		k = v3EmailEvent(k)
		if slices.Contains(EmailEventKinds(), k) && !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

// checkEmailEvents checks smtpEnabledEvents and tgEnabledEvents: both
// take the same kinds and v3 names (v3 shares the list between them).
func checkEmailEvents(_ checkEnv, key, v string) (string, error) {
	var out []string
	for _, k := range strings.Split(v, ",") {
		k = strings.TrimSpace(k)
		if k == "" {
			continue
		}
		k = v3EmailEvent(k)
		if !slices.Contains(EmailEventKinds(), k) {
			return "", errs.Invalid(key, "unknown event kind %q (known: %s)", k, strings.Join(EmailEventKinds(), ", "))
		}
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return strings.Join(out, ","), nil
}

// checkSMTPHost takes a host name or an IP address, nothing more: the
// port and the TLS mode have their own settings.
func checkSMTPHost(_ checkEnv, key, v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" || net.ParseIP(v) != nil {
		return v, nil
	}
	if !domainPattern.MatchString(v) || strings.Contains(v, "..") {
		return "", errs.Invalid(key, "%q is not a host name or IP address (no scheme or port: those are smtpEncryptionType and smtpPort)", v)
	}
	return v, nil
}

func checkTCPPort(_ checkEnv, key, v string) (string, error) {
	if _, err := intRange(1, 65535)(checkEnv{}, key, v); err != nil {
		return "", errs.Invalid(key, "%s is not a TCP port (1-65535)", v)
	}
	return v, nil
}

// checkSMTPEncryption takes v3's values: no, starttls, tls ("none" is
// read as no).
func checkSMTPEncryption(_ checkEnv, key, v string) (string, error) {
	switch v = strings.ToLower(strings.TrimSpace(v)); v {
	case "none":
		return "no", nil
	case "no", "starttls", "tls":
		return v, nil
	}
	return "", errs.Invalid(key, "%q must be no, starttls or tls", v)
}

// oneLine refuses line breaks: these values go into SMTP commands and
// mail headers, where a CR or LF would inject new ones.
func oneLine(n int) func(checkEnv, string, string) (string, error) {
	return func(_ checkEnv, key, v string) (string, error) {
		if strings.ContainsAny(v, "\r\n") {
			return "", errs.Invalid(key, "must be one line")
		}
		return maxLen(n)(checkEnv{}, key, v)
	}
}

// checkMailAddress takes one bare address (user@domain) or empty.
func checkMailAddress(_ checkEnv, key, v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return v, nil
	}
	a, err := mail.ParseAddress(v)
	if err != nil || a.Name != "" || !strings.Contains(a.Address, "@") {
		return "", errs.Invalid(key, "%q is not an email address like alerts@example.com", v)
	}
	return a.Address, nil
}

// checkMailList takes a comma-separated list of bare addresses and
// stores it as "a@x, b@y".
func checkMailList(_ checkEnv, key, v string) (string, error) {
	list, err := MailList(v)
	if err != nil {
		return "", errs.Invalid(key, "%v", err)
	}
	return strings.Join(list, ", "), nil
}

// MailList splits a stored smtpTo into its addresses.
func MailList(v string) ([]string, error) {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		a, err := mail.ParseAddress(p)
		if err != nil || a.Name != "" || !strings.Contains(a.Address, "@") {
			return nil, fmt.Errorf("%q is not an email address like admin@example.com", p)
		}
		if !slices.Contains(out, a.Address) {
			out = append(out, a.Address)
		}
	}
	return out, nil
}

// checkEmailComplete refuses a save that leaves email enabled without a
// server, a sender or a recipient (rows are the values being saved, the
// rest is read as stored): enabled email that cannot send would only
// fill the delivery log with failures.
func checkEmailComplete(tx *gorm.DB, rows []model.Setting) error {
	saved := map[string]string{}
	for _, r := range rows {
		saved[r.Key] = r.Value
	}
	keys := []string{"smtpEnable", "smtpHost", "smtpFrom", "smtpTo"}
	touched := false
	for _, k := range keys {
		_, ok := saved[k]
		touched = touched || ok
	}
	if !touched {
		return nil
	}
	stored, err := ReadStrings(tx, keys...)
	if err != nil {
		return err
	}
	value := func(k string) string {
		if v, ok := saved[k]; ok {
			return strings.TrimSpace(v)
		}
		return strings.TrimSpace(stored[k])
	}
	if on, _ := strconv.ParseBool(value("smtpEnable")); !on {
		return nil
	}
	for _, k := range keys[1:] {
		if value(k) == "" {
			return errs.Invalid(k, "is required while smtpEnable is on")
		}
	}
	return nil
}

// CheckSetting validates and normalizes one value of a setting that needs
// no database to check (the email settings), for callers that use values
// without storing them (the email test route).
func CheckSetting(key string, value any) (string, error) {
	def, ok := settingDefs[key]
	if !ok {
		return "", errs.Invalid(key, "unknown setting")
	}
	return def.normalize(checkEnv{}, key, value)
}

// IsSecret reports whether key's value is masked in GetAllSettings.
func IsSecret(key string) bool { return settingDefs[key].secret }
