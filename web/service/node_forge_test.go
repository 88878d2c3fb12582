package service

import (
	"context"
	"database/sql"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	mysqldriver "github.com/go-sql-driver/mysql"
	"github.com/mhsanaei/3x-ui/v2/cluster"
	"github.com/mhsanaei/3x-ui/v2/cluster/nodepush"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/database/testdb"
	"github.com/mhsanaei/3x-ui/v2/inbound"
	"github.com/mhsanaei/3x-ui/v2/inbound/inboundtest"
	"github.com/mhsanaei/3x-ui/v2/settings"
	"github.com/mhsanaei/3x-ui/v2/sub"
	"github.com/mhsanaei/3x-ui/v2/sub/profile"
)

// signAs signs st with the node key kept in folder, as the node owning
// that data folder would.
func signAs(t *testing.T, folder string, st *model.NodeState) {
	t.Helper()
	prev, had := os.LookupEnv("XUI_DB_FOLDER")
	os.Setenv("XUI_DB_FOLDER", folder)
	defer func() {
		if had {
			os.Setenv("XUI_DB_FOLDER", prev)
		} else {
			os.Unsetenv("XUI_DB_FOLDER")
		}
	}()
	if err := cluster.SignNodeState(st); err != nil {
		t.Fatal(err)
	}
}

// workerSQL is a connection with a worker's least-privilege account on
// MariaDB; on SQLite (one node, no accounts) it is the database itself.
func workerSQL(t *testing.T, b dbtest.Backend) *sql.DB {
	t.Helper()
	if b.Name != dbtest.MariaDB {
		raw, err := database.GetDB().DB()
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	w := leastPrivilegeWorker(t, b)
	c := mysqldriver.NewConfig()
	c.User, c.Passwd, c.Net, c.Addr, c.DBName = w.Config.User, w.Config.Password, "tcp", w.Config.Host+":"+strconv.Itoa(w.Config.Port), w.Config.Name
	conn, err := sql.Open("mysql", c.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// writeRow upserts st the way an attacker holding the account would: raw
// SQL, any node id, any address.
func writeRow(t *testing.T, conn *sql.DB, b dbtest.Backend, st model.NodeState) {
	t.Helper()
	q := "INSERT INTO node_states (node_id, node_role, node_address, push_url, instance, last_heartbeat_at, public_key, signature) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
	if b.Name == dbtest.MariaDB {
		q += "ON DUPLICATE KEY UPDATE node_role = VALUES(node_role), node_address = VALUES(node_address), push_url = VALUES(push_url), " +
			"instance = VALUES(instance), last_heartbeat_at = VALUES(last_heartbeat_at), public_key = VALUES(public_key), signature = VALUES(signature)"
	} else {
		q += "ON CONFLICT(node_id) DO UPDATE SET node_role = excluded.node_role, node_address = excluded.node_address, push_url = excluded.push_url, " +
			"instance = excluded.instance, last_heartbeat_at = excluded.last_heartbeat_at, public_key = excluded.public_key, signature = excluded.signature"
	}
	if _, err := conn.Exec(q, st.NodeID, st.NodeRole, st.NodeAddress, st.PushURL, st.Instance, st.LastHeartbeatAt, st.PublicKey, st.Signature); err != nil {
		t.Fatalf("write node_states row as the worker account: %v", err)
	}
}

// TestForgedNodeRowsAreIgnored (issue 22, finding 7): a worker's database
// account rewrites another node's node_states row with its own address
// and push URL. The row is not listed in subscriptions (master's and the
// workers' snapshot) and the master pushes nothing to it; the real node's
// next signed heartbeat is trusted again.
func TestForgedNodeRowsAreIgnored(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		testdb.Open(t, b)
		inbounds := inbound.New(database.Process(), cluster.NodeFromJSON())
		client := inboundtest.Client(model.VLESS, "f@w")
		client["subId"] = "forgesub"
		if _, err := inbounds.AddInbound(inboundtest.Inbound(model.VLESS, 30011, client)); err != nil {
			t.Fatal(err)
		}
		conn := database.GetDB()
		if err := database.BumpSharedAccountsVersion(conn); err != nil {
			t.Fatal(err)
		}
		if _, err := nodepush.EnsureSecret(conn); err != nil {
			t.Fatal(err)
		}
		var legitHits, attackerHits atomic.Int64
		legit := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { legitHits.Add(1) }))
		defer legit.Close()
		attacker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { attackerHits.Add(1) }))
		defer attacker.Close()
		const legitAddr, attackerAddr = "198.51.100.10", "203.0.113.66"

		// w1 heartbeats, signed with its own key; the master sees it first.
		w1Folder := t.TempDir()
		w1 := model.NodeState{NodeID: "w1", NodeRole: "worker", NodeAddress: legitAddr, PushURL: legit.URL, LastHeartbeatAt: time.Now().Unix()}
		signAs(t, w1Folder, &w1)
		if err := database.UpsertNodeState(conn, &w1); err != nil {
			t.Fatal(err)
		}
		if nodes, err := sub.DBLiveNodes(database.Process(), time.Minute, time.Now(), true); err != nil || len(nodes) != 1 || nodes[0].Address != legitAddr {
			t.Fatalf("signed row of w1: %v %+v", err, nodes)
		}

		subscription := func() string {
			h := sub.NewHandler(sub.SettingsFrom(nil), sub.FuncSource{InboundsFunc: func() ([]*model.Inbound, error) { return sub.DBInbounds(database.Process()) }, NodesFunc: func() []profile.Node {
				nodes, err := sub.DBLiveNodes(database.Process(), time.Minute, time.Now(), true)
				if err != nil {
					t.Fatal(err)
				}
				return nodes
			}}, nil)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/sub/forgesub", nil))
			raw, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(rec.Body.String()))
			if rec.Code != http.StatusOK {
				t.Fatalf("subscription: %d %s", rec.Code, rec.Body)
			}
			return string(raw)
		}
		if body := subscription(); !strings.Contains(body, legitAddr) {
			t.Fatalf("w1 missing from the subscription: %q", body)
		}

		worker := workerSQL(t, b)
		if b.Name == dbtest.MariaDB {
			_, err := worker.Exec("INSERT INTO node_keys (node_id, public_key, created_at) VALUES ('w1', 'x', 0)")
			if err == nil || !strings.Contains(err.Error(), "denied") {
				t.Fatalf("worker account wrote node_keys: %v", err)
			}
		}
		attackerFolder := t.TempDir()
		forgeries := map[string]func() model.NodeState{
			"signed with the attacker's key": func() model.NodeState {
				st := model.NodeState{NodeID: "w1", NodeRole: "worker", NodeAddress: attackerAddr, PushURL: attacker.URL, LastHeartbeatAt: time.Now().Unix()}
				signAs(t, attackerFolder, &st)
				return st
			},
			"w1's key and signature, new address": func() model.NodeState {
				st := w1
				st.NodeAddress, st.PushURL = attackerAddr, attacker.URL
				return st
			},
			"unsigned": func() model.NodeState {
				return model.NodeState{NodeID: "w1", NodeRole: "worker", NodeAddress: attackerAddr, PushURL: attacker.URL, LastHeartbeatAt: time.Now().Unix()}
			},
		}
		for name, forge := range forgeries {
			writeRow(t, worker, b, forge())
			if nodes, err := sub.DBLiveNodes(database.Process(), time.Minute, time.Now(), true); err != nil || len(nodes) != 0 {
				t.Fatalf("%s: forged row listed: %v %+v", name, err, nodes)
			}
			if body := subscription(); strings.Contains(body, attackerAddr) {
				t.Fatalf("%s: subscription carries the forged address: %q", name, body)
			}
			snap, err := LoadSnapshotFromDB(database.Process(), settings.New(database.Process(), cluster.NodeFromJSON()), inbounds, 1)
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range snap.Nodes {
				if n.Address == attackerAddr {
					t.Fatalf("%s: the workers' snapshot lists the forged address", name)
				}
			}
			p := nodepush.NewPusher(time.Minute)
			p.PushOnce(context.Background())
			if attackerHits.Load() != 0 || p.Sent.Load()+p.Failed.Load() != 0 {
				t.Fatalf("%s: the master pushed to the forged URL (%d hits, %d sent, %d failed)", name, attackerHits.Load(), p.Sent.Load(), p.Failed.Load())
			}
		}

		// w1's next real heartbeat is trusted again and gets its push.
		w1.LastHeartbeatAt = time.Now().Unix()
		signAs(t, w1Folder, &w1)
		if err := database.UpsertNodeState(conn, &w1); err != nil {
			t.Fatal(err)
		}
		if body := subscription(); !strings.Contains(body, legitAddr) || strings.Contains(body, attackerAddr) {
			t.Fatalf("after w1's heartbeat: %q", body)
		}
		p := nodepush.NewPusher(time.Minute)
		p.PushOnce(context.Background())
		if legitHits.Load() != 1 || attackerHits.Load() != 0 {
			t.Fatalf("pushes: w1 %d, attacker %d; want 1 and 0", legitHits.Load(), attackerHits.Load())
		}
	})
}
