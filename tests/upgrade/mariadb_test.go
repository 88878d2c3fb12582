package upgrade

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/upgrade3xui"
)

// An install moving to MariaDB: migrate-db on the 3x-ui file upgrades it
// first (backup, report, x-ui.json), copies every row, and the node then
// runs as a working master on MariaDB.
func TestUpgradeFrom3xUIToMariaDB(t *testing.T) {
	// Sequential: the 3x-ui fixture fixes the panel and inbound ports.
	requireFree(t, fixturePorts...)
	db := dbtest.NewMariaDB(t)
	in := newInstall(t)
	in.env = append(in.env, "XUI_DB_PASSWORD="+db.Password)
	settings := map[string]any{
		// The admin already selected MariaDB before copying: migrate-db
		// must still upgrade the 3x-ui SQLite file first.
		"databaseConnection": map[string]any{"dbType": "mariadb", "dbHost": db.Host, "dbPort": db.Port, "dbUser": db.User, "dbName": db.Name},
		"panelNetwork":       map[string]any{"listen": "127.0.0.1"},
		// Traffic counted every second: the default 10 s made each
		// counted download wait 10-20 s.
		"node": map[string]any{"trafficFlushInterval": 1},
	}
	data, _ := json.Marshal(settings)
	if err := os.WriteFile(in.path("x-ui.json"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	orig, _ := os.ReadFile(in.path("x-ui.db"))
	out, err := in.cli("migrate-db", "-direction", "sqlite-to-mariadb")
	if err != nil {
		t.Fatalf("migrate-db: %v\n%s", err, out)
	}
	if miss := contains(out, "3x-ui upgrade report", "x-ui.json port = 39001", "inbounds", "Copy verified"); miss != "" {
		t.Fatalf("migrate-db output lacks %q:\n%s", miss, out)
	}
	if backup, _ := os.ReadFile(in.path("x-ui.db" + upgrade3xui.BackupSuffix)); string(backup) != string(orig) {
		t.Fatal("migrate-db did not keep the original 3x-ui file")
	}

	base := fmt.Sprintf("http://127.0.0.1:%d/", panelPort)
	p := in.start(base)
	if strings.Contains(p.output(), "upgrade report") {
		t.Fatalf("the MariaDB start upgraded again:\n%s", p.output())
	}
	a, env := login(t, base, "owner", "Owner-pass-2026")
	if !env.Success {
		t.Fatalf("owner login on MariaDB failed: %+v", env)
	}
	v := readInbounds(t, a)
	checkFixture(t, v)
	a.setLoopbackTemplate()
	moveBytes(t, a, v)
	p.stop()
}
