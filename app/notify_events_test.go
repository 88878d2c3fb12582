package app

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
)

// eventsOf are the recorded events of kind, oldest first, as payloads.
func (e *testEnv) eventsOf(kind string) []map[string]any {
	e.t.Helper()
	var rows []model.NotifyEvent
	if err := e.db.Current().Where("kind = ?", kind).Order("seq").Find(&rows).Error; err != nil {
		e.t.Fatal(err)
	}
	out := []map[string]any{}
	for _, r := range rows {
		var p map[string]any
		if err := json.Unmarshal([]byte(r.Payload), &p); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

// Over HTTP, as the panel wires it: a login from a new address is one
// login.succeeded (none for the same address again), a client added
// through the API one client.added, and a backup download one
// backup.done; bad alert thresholds are refused naming the setting.
func TestPanelRecordsNewLoginClientAndBackupEvents(t *testing.T) {
	t.Parallel() // own database and App, nothing process-wide
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		env := newEnv(t, b)
		c := env.loggedIn()
		env.loggedIn()
		other := env.client()
		other.remote = "198.51.100.5:5000"
		if r := other.do("POST", "login", map[string]string{"username": "admin", "password": "admin"}); r.Code != 200 {
			t.Fatalf("login: %d %s", r.Code, r.Raw)
		}
		logins := env.eventsOf("login.succeeded")
		if fmt.Sprint(logins) != "[map[ip:192.0.2.1 knownIps:0 username:admin] map[ip:198.51.100.5 knownIps:1 username:admin]]" {
			t.Fatalf("login.succeeded events %v", logins)
		}

		in := c.api("POST", "inbounds/add", mustJSON(vlessInbound(hostPort(31051)))).expectOK().obj()
		id := int(in["id"].(float64))
		client := vlessClient("evt-added")
		c.api("POST", "inbounds/addClient", map[string]any{"id": id, "settings": mustJSON(map[string]any{"clients": []any{client}})}).expectOK()
		added := env.eventsOf("client.added")
		if len(added) != 1 || added[0]["count"] != 1.0 || added[0]["action"] != "add client" {
			t.Fatalf("client.added events %v", added)
		}

		if r := c.api("GET", "server/getDb", nil); r.Code != http.StatusOK {
			t.Fatalf("getDb: %d", r.Code)
		}
		backups := env.eventsOf("backup.done")
		if len(backups) != 1 || backups[0]["via"] != "download" || backups[0]["bytes"].(float64) <= 0 {
			t.Fatalf("backup.done events %v", backups)
		}

		before := env.dbState(t)
		for _, bad := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"tgDisk": 101}, "tgDisk"},
			{map[string]any{"tgCpu": -1}, "tgCpu"},
			{map[string]any{"notifyLagSeconds": 5}, "notifyLagSeconds"},
			{map[string]any{"notifyFlushFailSeconds": "soon"}, "notifyFlushFailSeconds"},
		} {
			c.api("POST", "setting/update", bad.body).expectFail(http.StatusBadRequest, bad.field)
		}
		if env.dbState(t) != before {
			t.Fatal("refused alert settings changed the database")
		}
		c.api("POST", "setting/update", map[string]any{"tgDisk": 85, "notifyLagSeconds": 120}).expectOK()
	})
}
