package settings

import (
	"errors"
	"fmt"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/errs"
)

// The email settings' checks normalize what they accept and name the
// setting in what they refuse; v3's event names are read as ours.
func TestEmailSettingChecks(t *testing.T) {
	for _, c := range []struct {
		key  string
		in   any
		want string // "" = refused
	}{
		{"smtpHost", " mail.example.com ", "mail.example.com"},
		{"smtpHost", "::1", "::1"},
		{"smtpHost", "smtp://mail.example.com", ""},
		{"smtpHost", "mail.example.com:587", ""},
		{"smtpPort", "465", "465"},
		{"smtpPort", 0, ""},
		{"smtpPort", 65536, ""},
		{"smtpEncryptionType", "NONE", "no"},
		{"smtpEncryptionType", "ssl", ""},
		{"smtpFrom", "Panel <alerts@example.com>", ""},
		{"smtpFrom", "alerts@example.com", "alerts@example.com"},
		{"smtpTo", "a@example.com,b@example.net , a@example.com", "a@example.com, b@example.net"},
		{"smtpTo", "a@example.com, nobody", ""},
		{"smtpEnabledEvents", "login.attempt, xray.crash,node.down,node.up,client.depleted", "login.failed,xray.crashed,node.stale,node.back,client.depleted"},
		{"smtpEnabledEvents", "cpu.high,memory.high,host.disk_high", "host.cpu_high,host.memory_high,host.disk_high"},
		{"smtpEnabledEvents", "outbound.down", ""},
		{"smtpFromName", "x\r\nBcc: victim@example.com", ""},
	} {
		got, err := CheckSetting(c.key, c.in)
		var e *errs.Error
		switch {
		case c.want == "" && (!errors.As(err, &e) || e.Field != c.key):
			t.Errorf("%s=%q: got %q, %v; want a refusal naming %s", c.key, c.in, got, err, c.key)
		case c.want != "" && (err != nil || got != c.want):
			t.Errorf("%s=%q: got %q, %v; want %q", c.key, c.in, got, err, c.want)
		}
	}
	// A stored v3 value: its names mapped, the ones with no counterpart dropped.
	if got := fmt.Sprint(EmailEvents("login.attempt,cpu.high,memory.high,outbound.down,xray.crash")); got != "[login.failed host.cpu_high host.memory_high xray.crashed]" {
		t.Fatalf("EmailEvents of v3's value: %s", got)
	}
}
