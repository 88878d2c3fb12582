package service

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/audit"
	"github.com/mhsanaei/3x-ui/v2/cluster"

	_ "github.com/go-sql-driver/mysql"
	mysqldriver "github.com/go-sql-driver/mysql"
	"github.com/mhsanaei/3x-ui/v2/auth"
	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/database/testdb"
	"github.com/mhsanaei/3x-ui/v2/inbound"
	"github.com/mhsanaei/3x-ui/v2/inbound/inboundtest"
	"github.com/mhsanaei/3x-ui/v2/iplimit"
	"github.com/mhsanaei/3x-ui/v2/notify"
	"github.com/mhsanaei/3x-ui/v2/settings"
	"github.com/mhsanaei/3x-ui/v2/xray"
)

// workerGrants are the least privileges a worker's MariaDB account needs:
// read everything, and write only traffic counters and node bookkeeping.
// docs/multi-node-sync.md shows the same statements.
func workerGrants(db, account string) []string {
	return []string{
		fmt.Sprintf("GRANT SELECT ON `%s`.* TO %s", db, account),
		fmt.Sprintf("GRANT UPDATE (up, down, all_time, last_online) ON `%s`.client_traffics TO %s", db, account),
		fmt.Sprintf("GRANT UPDATE (up, down, all_time) ON `%s`.inbounds TO %s", db, account),
		fmt.Sprintf("GRANT INSERT, UPDATE ON `%s`.node_client_traffics TO %s", db, account),
		fmt.Sprintf("GRANT INSERT, UPDATE ON `%s`.traffic_flush_ledger TO %s", db, account),
		fmt.Sprintf("GRANT INSERT, UPDATE, DELETE ON `%s`.node_traffic_hours TO %s", db, account),
		fmt.Sprintf("GRANT INSERT, UPDATE ON `%s`.node_states TO %s", db, account),
		fmt.Sprintf("GRANT INSERT, UPDATE, DELETE ON `%s`.inbound_client_ips TO %s", db, account),
		fmt.Sprintf("GRANT INSERT ON `%s`.session_revocations TO %s", db, account),
		fmt.Sprintf("GRANT INSERT ON `%s`.notify_events TO %s", db, account),
		fmt.Sprintf("GRANT INSERT, UPDATE, DELETE ON `%s`.notify_login_ips TO %s", db, account),
	}
}

func adminSQL(t *testing.T) *sql.DB {
	t.Helper()
	server := dbtest.MariaDBServer()
	c := mysqldriver.NewConfig()
	c.User, c.Passwd, c.Net, c.Addr = server.User, server.Password, "tcp", server.Host+":"+strconv.Itoa(server.Port)
	admin, err := sql.Open("mysql", c.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	return admin
}

// TestWorkerRunsWithLeastPrivilegeAccount runs a worker's database work
// (open without migrating, flush traffic, record its state and client IPs,
// read a snapshot) with only workerGrants, and checks that the same account
// cannot change what clients may do.
func TestWorkerRunsWithLeastPrivilegeAccount(t *testing.T) {
	master := dbtest.New(t, dbtest.MariaDB)
	testdb.Open(t, master)
	inbounds := inbound.New(database.Process(), cluster.NodeFromJSON())
	if _, err := inbounds.AddInbound(inboundtest.Inbound(model.VLESS, 30001, inboundtest.Client(model.VLESS, "a@w"))); err != nil {
		t.Fatal(err)
	}
	database.CloseDB()

	worker := leastPrivilegeWorker(t, master)
	dir := svcOpenWorker(t, worker)
	flush := NewTrafficFlushServiceFor(database.Process(), NewTrafficPendingStore(filepath.Join(dir, "traffic-pending.json")), config.GetNodeConfigFromJSON().NodeID, false)
	if err := flush.Collect([]*xray.ClientTraffic{{Email: "a@w", Up: 3, Down: 4}}); err != nil {
		t.Fatal(err)
	}
	if err := flush.FlushOnce(); err != nil {
		t.Fatalf("worker flush with least privileges: %v", err)
	}
	if err := database.UpsertNodeState(nil, &model.NodeState{NodeID: "w1", NodeRole: "worker", LastSeenVersion: 1}); err != nil {
		t.Fatalf("node state: %v", err)
	}
	if err := database.UpsertNodeState(nil, &model.NodeState{NodeID: "w1", NodeRole: "worker", LastSeenVersion: 2}); err != nil {
		t.Fatalf("node state update: %v", err)
	}
	if err := iplimit.RecordClientIPs(database.Process(), "a@w", []iplimit.ClientIP{{IP: "10.0.0.1"}}); err != nil {
		t.Fatalf("client ips: %v", err)
	}
	// A logout on the worker is recorded for every node.
	revocations := auth.NewSessionRevocations(database.Process(), cluster.NodeFromJSON())
	if err := revocations.RevokeSession("worker-session", time.Now().Add(time.Hour).Unix()); err != nil {
		t.Fatalf("session revocation: %v", err)
	}
	if revoked, err := revocations.SessionRevoked("worker-session"); err != nil || !revoked {
		t.Fatalf("revocation not recorded: %v %v", revoked, err)
	}
	// What the worker sees is recorded for the master to deliver.
	if _, err := notify.NewRecorder(database.Process(), "w1").Record(context.Background(), nil, notify.New(notify.LoginFailed, nil)); err != nil {
		t.Fatalf("notify event: %v", err)
	}
	// A login it served from a new address, remembered for the cluster.
	logins := notify.NewRecorder(database.Process(), "w1")
	logins.LoginSucceeded("admin", "192.0.2.1")
	logins.LoginSucceeded("admin", "192.0.2.1")
	var newLogins int64
	if err := database.GetDB().Model(&model.NotifyEvent{}).Where("kind = ?", "login.succeeded").Count(&newLogins).Error; err != nil || newLogins != 1 {
		t.Fatalf("login.succeeded events with worker grants: %d, %v; want 1", newLogins, err)
	}
	if _, err := LoadSnapshotFromDB(database.Process(), settings.New(database.Process(), cluster.NodeFromJSON()), inbounds, 1); err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	ct, err := inbounds.GetClientTrafficByEmail("a@w")
	if err != nil || ct.Up != 3 || ct.Down != 4 {
		t.Fatalf("flushed row %+v err %v", ct, err)
	}
	// The worker reads the cluster's audit log (the master's inbound.add),
	// clears its client IP records without an audit row (it may not
	// insert one) and prunes nothing.
	workerNode := cluster.NodeFromJSON()
	page, err := audit.NewLog(database.Process(), workerNode).List(audit.Filter{Action: "inbound.add"})
	if err != nil || page.Total != 1 {
		t.Fatalf("worker reads the audit log: %+v %v", page, err)
	}
	if err := iplimit.New(nil, nil, database.Process()).ClearClientIPsAs(audit.Actor{Kind: audit.KindUser, UserID: 1}, workerNode, "a@w"); err != nil {
		t.Fatalf("worker clears client IPs: %v", err)
	}
	if n, err := audit.NewLog(database.Process(), workerNode).Prune(time.Now().Add(365*24*time.Hour), 1); err != nil || n != 0 {
		t.Fatalf("worker prune: %d %v", n, err)
	}
	// The account itself cannot re-enable, extend or create clients.
	conn := database.GetDB()
	for _, q := range []string{
		"UPDATE client_traffics SET enable = 1",
		"UPDATE client_traffics SET expiry_time = 0",
		"UPDATE inbounds SET settings = '{}'",
		"INSERT INTO client_traffics (inbound_id, email, enable) VALUES (1, 'x@w', 1)",
		"UPDATE shared_states SET version = version + 1",
		"DELETE FROM session_revocations", // cannot bring a logged-out session back
		// cannot point notifications elsewhere or hide or fake deliveries
		"INSERT INTO notify_webhooks (url, secret, events, enabled, created_at) VALUES ('http://x', 's', '*', 1, 0)",
		"UPDATE notify_events SET queued = 1",
		"UPDATE notify_deliveries SET status = 'delivered'",
		// nor write, rewrite or erase the audit log
		"INSERT INTO audit_log (at, actor_kind, action) VALUES (0, 'user', 'x')",
		"UPDATE audit_log SET action = 'x'",
		"DELETE FROM audit_log",
		// cannot make the master repeat or drop a quota or lag warning
		"DELETE FROM notify_marks",
	} {
		err := conn.Exec(q).Error
		if err == nil || !strings.Contains(err.Error(), "denied") {
			t.Fatalf("%q with worker grants: want access denied, got %v", q, err)
		}
	}
}

// leastPrivilegeWorker creates a MariaDB account with only workerGrants on
// master's database and returns master's backend logged in as it.
func leastPrivilegeWorker(t *testing.T, master dbtest.Backend) dbtest.Backend {
	t.Helper()
	admin := adminSQL(t)
	user := "xui_w_" + master.Config.Name[len(master.Config.Name)-8:]
	password := "w0rker-pass"
	for _, host := range []string{"127.0.0.1", "localhost"} {
		account := fmt.Sprintf("'%s'@'%s'", user, host)
		stmts := append([]string{fmt.Sprintf("CREATE USER %s IDENTIFIED BY '%s'", account, password)}, workerGrants(master.Config.Name, account)...)
		for _, q := range stmts {
			if _, err := admin.Exec(q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
	}
	t.Cleanup(func() {
		admin.Exec(fmt.Sprintf("DROP USER IF EXISTS '%s'@'127.0.0.1', '%s'@'localhost'", user, user))
	})
	worker := master
	worker.Config.User, worker.Config.Password = user, password
	return worker
}

// svcOpenWorker opens b as a worker node would: role worker in x-ui.json,
// so the database is checked, not migrated.
func svcOpenWorker(t *testing.T, b dbtest.Backend) string {
	t.Helper()
	dir := dbtest.UseBackend(t, b)
	testdb.SetNodeRole(t, dir, string(config.NodeRoleWorker))
	if err := database.InitDBWithPath(b.SQLitePath); err != nil {
		t.Fatalf("open as worker: %v", err)
	}
	t.Cleanup(func() { database.CloseDB() })
	return dir
}
