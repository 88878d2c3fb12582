package service

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/errs"
	"github.com/mhsanaei/3x-ui/v2/xray"
)

// svcOpenDB makes a fresh database of backend b the global one and returns
// the folder holding its x-ui.json.
func svcOpenDB(t testing.TB, b dbtest.Backend) string {
	t.Helper()
	dir := dbtest.UseBackend(t, b)
	if err := database.InitDBWithPath(b.SQLitePath); err != nil {
		t.Fatalf("InitDBWithPath(%s): %v", b.Name, err)
	}
	t.Cleanup(func() { database.CloseDB() })
	return dir
}

// svcSetNodeRole rewrites x-ui.json in dir with the given node role, keeping
// the database connection written by dbtest.UseBackend.
func svcSetNodeRole(t testing.TB, dir, role string) {
	t.Helper()
	path := filepath.Join(dir, "x-ui.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	settings := map[string]any{}
	if err := json.Unmarshal(data, &settings); err != nil {
		t.Fatal(err)
	}
	settings["node"] = map[string]any{"nodeRole": role, "nodeId": "worker-1"}
	data, _ = json.Marshal(settings)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// svcDump returns every row of the tables the services write, as sorted
// strings, so a test can assert that a failed call changed nothing.
func svcDump(t testing.TB) map[string][]string {
	t.Helper()
	return dbtest.DumpTables(t, database.GetDB(), "inbounds", "client_traffics", "settings",
		"shared_states", "outbound_traffics", "inbound_client_ips", "users")
}

func svcAssertUnchanged(t testing.TB, before map[string][]string) {
	t.Helper()
	after := svcDump(t)
	for table, rows := range before {
		if strings.Join(rows, "\n") != strings.Join(after[table], "\n") {
			t.Fatalf("table %s changed:\nbefore %v\nafter  %v", table, rows, after[table])
		}
	}
}

func svcVersion(t testing.TB) int64 {
	t.Helper()
	v, err := database.GetSharedAccountsVersion(nil)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func svcUUID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// svcClient builds a client of protocol p with a fresh key.
func svcClient(p model.Protocol, email string) map[string]any {
	c := map[string]any{"email": email, "enable": true, "totalGB": 0, "expiryTime": 0, "limitIp": 0, "subId": "s-" + email}
	switch p {
	case model.VLESS:
		c["id"], c["flow"] = svcUUID(), ""
	case model.VMESS:
		c["id"] = svcUUID()
	case model.Trojan:
		c["password"] = "pw-" + email
	case model.Shadowsocks:
		c["password"] = "pw-" + email
	}
	return c
}

func svcSettings(p model.Protocol, clients ...map[string]any) string {
	s := map[string]any{"clients": clients}
	switch p {
	case model.VLESS:
		s["decryption"] = "none"
	case model.Shadowsocks:
		s["method"] = "aes-256-gcm"
		s["network"] = "tcp,udp"
	}
	data, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(data)
}

func svcInbound(p model.Protocol, port int, clients ...map[string]any) *model.Inbound {
	return &model.Inbound{
		Remark: fmt.Sprintf("%s-%d", p, port), Enable: true, Port: port, Protocol: p,
		Settings:       svcSettings(p, clients...),
		StreamSettings: `{"network":"tcp","security":"none"}`,
		Sniffing:       `{"enabled":false}`,
	}
}

// svcAdd adds an inbound or fails the test.
func svcAdd(t testing.TB, s *InboundService, in *model.Inbound) *model.Inbound {
	t.Helper()
	out, err := s.AddInbound(in)
	if err != nil {
		t.Fatalf("AddInbound: %v", err)
	}
	return out
}

// svcWantErr asserts err is a service error of kind naming field.
func svcWantErr(t testing.TB, err error, kind errs.ErrorKind, field string) {
	t.Helper()
	var e *errs.Error
	if !errors.As(err, &e) {
		t.Fatalf("want %v error on %q, got %v", kind, field, err)
	}
	if e.Kind != kind || e.Field != field {
		t.Fatalf("want kind %v field %q, got kind %v field %q (%v)", kind, field, e.Kind, e.Field, err)
	}
}

func svcRows(t testing.TB, inboundID int) map[string]xray.ClientTraffic {
	t.Helper()
	var rows []xray.ClientTraffic
	q := database.GetDB()
	if inboundID > 0 {
		q = q.Where("inbound_id = ?", inboundID)
	}
	if err := q.Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	out := map[string]xray.ClientTraffic{}
	for _, r := range rows {
		out[r.Email] = r
	}
	return out
}

// svcClientsOf returns the clients stored in an inbound's settings, by email.
func svcClientsOf(t testing.TB, id int) map[string]Client {
	t.Helper()
	var in model.Inbound
	if err := database.GetDB().First(&in, id).Error; err != nil {
		t.Fatal(err)
	}
	clients, err := ParseInboundClients(in.Settings)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]Client{}
	for _, c := range clients {
		out[c.Email] = c
	}
	return out
}

func svcExec(t testing.TB, sql string, args ...any) {
	t.Helper()
	if err := database.GetDB().Exec(sql, args...).Error; err != nil {
		t.Fatal(err)
	}
}
