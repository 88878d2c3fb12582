package database

import (
	"reflect"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"gorm.io/gorm"
)

func seedCopyFixture(t *testing.T, conn *gorm.DB) {
	t.Helper()
	rows := []any{
		&model.Inbound{Id: 5, Up: 10, Down: 20, Total: 1 << 40, AllTime: 30, Remark: "ünïcode 🚀", Enable: true, ExpiryTime: -86400000,
			Listen: "0.0.0.0", Port: 443, Protocol: model.VLESS, Settings: `{"clients":[{"id":"u1","email":"a@x"}]}`,
			StreamSettings: `{"network":"tcp"}`, Tag: "inbound-443", Sniffing: `{}`},
		&model.Inbound{Id: 9, Port: 8443, Protocol: model.Trojan, Tag: "inbound-8443", Settings: `{"clients":[]}`},
		&model.ClientTraffic{InboundId: 5, Enable: true, Email: "a@x", Up: 1, Down: 2, AllTime: 3, ExpiryTime: 4, Total: 5, Reset: 30, LastOnline: 7},
		&model.ClientTraffic{InboundId: 5, Enable: false, Email: "b@x"},
		&model.Setting{Key: "xrayTemplateConfig", Value: `{"log":{}}`},
		&model.InboundClientIps{ClientEmail: "a@x", Ips: `["10.0.0.1"]`},
		&model.OutboundTraffics{Tag: "direct", Up: 3, Down: 4, Total: 7},
		&model.NodeState{NodeID: "w1", NodeRole: "worker", LastSeenVersion: 4, LastError: "x"},
		&model.HistoryOfSeeders{SeederName: "demo"},
	}
	for _, r := range rows {
		if err := conn.Create(r).Error; err != nil {
			t.Fatalf("seed %T: %v", r, err)
		}
	}
	if err := BumpSharedAccountsVersion(conn); err != nil {
		t.Fatal(err)
	}
}

func TestCopyAllTablesRoundTripSQLiteMariaDBSQLite(t *testing.T) {
	first, err := OpenSQLite(dbtest.New(t, dbtest.SQLite).SQLitePath)
	if err != nil {
		t.Fatal(err)
	}
	defer closeConn(first)
	if err := Migrate(first); err != nil {
		t.Fatal(err)
	}
	seedCopyFixture(t, first)

	maria, err := OpenMariaDB(dbtest.NewMariaDB(t))
	if err != nil {
		t.Fatal(err)
	}
	defer closeConn(maria)
	counts, err := CopyAllTables(first, maria)
	if err != nil {
		t.Fatalf("sqlite -> mariadb: %v", err)
	}
	if len(counts) != len(AllModels()) {
		t.Fatalf("expected a count per table, got %+v", counts)
	}

	second, err := OpenSQLite(dbtest.New(t, dbtest.SQLite).SQLitePath)
	if err != nil {
		t.Fatal(err)
	}
	defer closeConn(second)
	if _, err := CopyAllTables(maria, second); err != nil {
		t.Fatalf("mariadb -> sqlite: %v", err)
	}

	want := rowsOf(t, first)
	if got := rowsOf(t, maria); !reflect.DeepEqual(want, got) {
		t.Fatalf("mariadb rows differ:\nwant %v\ngot  %v", want, got)
	}
	if got := rowsOf(t, second); !reflect.DeepEqual(want, got) {
		t.Fatalf("round-trip rows differ:\nwant %v\ngot  %v", want, got)
	}
	// The copy must replace, not append: running it again keeps counts.
	if _, err := CopyAllTables(first, maria); err != nil {
		t.Fatal(err)
	}
	if got := rowsOf(t, maria); !reflect.DeepEqual(want, got) {
		t.Fatal("second copy changed the target rows")
	}
	// New rows after a copy must not collide with copied ids.
	if err := maria.Create(&model.Inbound{Port: 9000, Tag: "after-copy"}).Error; err != nil {
		t.Fatalf("insert after copy: %v", err)
	}
}
