package multinode

import (
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// refuseBadNotifySettings (issue 28: bad settings are a 400 naming the
// field) drives a running master's API with a malformed bot token, URLs
// that are not http(s), and SMTP servers that cannot be reached (a host
// that silently drops the connection, a closed port, a name that does
// not resolve): each answer is a 400 whose msg starts with the field, and
// the settings and webhooks read back unchanged. The app tests cover the
// same routes in process; this is the real binary, where a silent host
// can be made (a firewall rule in the master's namespace).
func refuseBadNotifySettings(t *testing.T, c *cluster) {
	t.Helper()
	silent, err := net.Listen("tcp", net.JoinHostPort(c.master.host.hostIP, "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	c.master.host.dropTCPTo(t, silent.Addr().String())
	closed, err := net.Listen("tcp", net.JoinHostPort(c.master.host.hostIP, "0"))
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().(*net.TCPAddr)
	closed.Close()
	silentAddr := silent.Addr().(*net.TCPAddr)

	state := func() string {
		all := c.api.mustOK(http.MethodGet, "setting/all", nil)
		hooks := c.api.mustOK(http.MethodGet, "notify/webhooks", nil)
		return string(all.Obj) + string(hooks.Obj)
	}
	before := state()
	mail := func(host string, port int) map[string]any {
		return map[string]any{"smtpHost": host, "smtpPort": port, "smtpEncryptionType": "no",
			"smtpFrom": "panel@example.org", "smtpTo": "admin@example.net"}
	}
	for _, bad := range []struct {
		path  string
		body  map[string]any
		field string
	}{
		{"setting/update", map[string]any{"tgBotToken": "12345:short"}, "tgBotToken"},
		{"setting/update", map[string]any{"tgBotEnable": true, "tgBotToken": "not a token", "tgBotChatId": "1"}, "tgBotToken"},
		{"setting/update", map[string]any{"tgBotAPIServer": "ftp://" + c.master.host.hostIP + ":8081"}, "tgBotAPIServer"},
		{"notify/webhooks/add", map[string]any{"url": "ftp://" + c.master.host.hostIP + "/hook"}, "url"},
		{"notify/webhooks/add", map[string]any{"url": "file:///etc/passwd"}, "url"},
		{"setting/update", map[string]any{"smtpEnable": true, "smtpHost": "smtp://" + c.master.host.hostIP,
			"smtpFrom": "panel@example.org", "smtpTo": "admin@example.net"}, "smtpHost"},
		{"notify/email/test", mail(silentAddr.IP.String(), silentAddr.Port), "smtpHost"},
		{"notify/email/test", mail(closedAddr.IP.String(), closedAddr.Port), "smtpPort"},
		{"notify/email/test", mail("no-such-host.invalid", 25), "smtpHost"},
	} {
		status, env := c.api.call(http.MethodPost, bad.path, bad.body)
		if status != http.StatusBadRequest || env.Success || !strings.HasPrefix(env.Msg, bad.field) {
			t.Errorf("POST %s %v: %d %q; want 400 naming %s", bad.path, bad.body, status, env.Msg, bad.field)
		}
	}
	var hooks []struct {
		ID int `json:"id"`
	}
	if err := json.Unmarshal(c.api.mustOK(http.MethodGet, "notify/webhooks", nil).Obj, &hooks); err != nil || len(hooks) == 0 {
		t.Fatalf("webhooks: %v %v", hooks, err)
	}
	path := "notify/webhooks/update/" + strconv.Itoa(hooks[0].ID)
	if status, env := c.api.call(http.MethodPost, path, map[string]any{"url": "gopher://" + c.master.host.hostIP}); status != http.StatusBadRequest ||
		!strings.HasPrefix(env.Msg, "url") {
		t.Errorf("POST %s with a gopher url: %d %q; want 400 naming url", path, status, env.Msg)
	}
	if after := state(); after != before {
		t.Errorf("refused settings changed what the API reads back:\nbefore %s\nafter  %s", before, after)
	}
}
