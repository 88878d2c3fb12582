package database

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"
)

// openBackend makes b the global database, as the panel would open it.
func openBackend(t *testing.T, b dbtest.Backend) *gorm.DB {
	t.Helper()
	dbtest.UseBackend(t, b)
	if err := InitDBWithPath(b.SQLitePath); err != nil {
		t.Fatalf("InitDBWithPath(%s): %v", b.Name, err)
	}
	t.Cleanup(func() { CloseDB() })
	if got := DialectOf(GetDB()).IsMySQL(); got != (b.Name == dbtest.MariaDB) {
		t.Fatalf("opened the wrong backend: mysql=%v for %s", got, b.Name)
	}
	return GetDB()
}

func TestMigrationsRunTwice(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		conn := openBackend(t, b)
		if err := Migrate(conn); err != nil {
			t.Fatalf("second migration: %v", err)
		}
		if err := InitDBWithPath(b.SQLitePath); err != nil {
			t.Fatalf("reopen: %v", err)
		}
		conn = GetDB()
		var users, versions int64
		conn.Model(&model.User{}).Count(&users)
		conn.Model(&model.SharedState{}).Count(&versions)
		if users != 1 || versions != 1 {
			t.Fatalf("seeds duplicated: users=%d versions=%d", users, versions)
		}
		for _, m := range AllModels() {
			if !conn.Migrator().HasTable(m) {
				t.Fatalf("missing table for %T", m)
			}
		}
		if !conn.Migrator().HasIndex(&model.ClientTraffic{}, "idx_client_traffics_inbound_email") {
			t.Fatal("missing composite unique index (inbound_id, email)")
		}
	})
}

func TestDefaultUserSeeded(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		conn := openBackend(t, b)
		var user model.User
		if err := conn.First(&user).Error; err != nil {
			t.Fatal(err)
		}
		if user.Username != "admin" || !user.DefaultCredential {
			t.Fatalf("unexpected seeded user %+v", user)
		}
		if user.Password == "admin" || !CheckPassword(user.Password, "admin") || CheckPassword(user.Password, "wrong") {
			t.Fatal("seeded password must be a bcrypt hash of admin")
		}
		if cost, err := bcrypt.Cost([]byte(user.Password)); err != nil || cost != bcrypt.DefaultCost {
			t.Fatalf("seeded hash cost %d (%v), want bcrypt.DefaultCost", cost, err)
		}
	})
}

func TestClientTrafficUniqueKeys(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		conn := openBackend(t, b)
		if err := conn.Create(&model.ClientTraffic{InboundId: 1, Email: "a@x"}).Error; err != nil {
			t.Fatal(err)
		}
		if err := conn.Create(&model.ClientTraffic{InboundId: 2, Email: "a@x"}).Error; err == nil {
			t.Fatal("email must be unique across inbounds")
		}
		if err := conn.Create(&model.Inbound{Tag: "t1", Port: 1}).Error; err != nil {
			t.Fatal(err)
		}
		if err := conn.Create(&model.Inbound{Tag: "t1", Port: 2}).Error; err == nil {
			t.Fatal("inbound tag must be unique")
		}
	})
}

func TestSharedVersionAndNodeStateOnBothBackends(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		conn := openBackend(t, b)
		rollback := conn.Begin()
		if err := BumpSharedAccountsVersion(rollback); err != nil {
			t.Fatal(err)
		}
		rollback.Rollback()
		if err := conn.Transaction(func(tx *gorm.DB) error { return BumpSharedAccountsVersion(tx) }); err != nil {
			t.Fatal(err)
		}
		if v, err := GetSharedAccountsVersion(nil); err != nil || v != 1 {
			t.Fatalf("version %d err %v, want 1", v, err)
		}
		for _, v := range []int64{3, 9} {
			if err := UpsertNodeState(nil, &model.NodeState{NodeID: "w1", NodeRole: "worker", LastSeenVersion: v}); err != nil {
				t.Fatal(err)
			}
		}
		var states []model.NodeState
		conn.Find(&states)
		if len(states) != 1 || states[0].LastSeenVersion != 9 {
			t.Fatalf("upsert did not replace: %+v", states)
		}
	})
}

func TestMariaDBDSNEscapesPassword(t *testing.T) {
	cfg := config.DBConfig{Type: "mariadb", Host: "db.example", Port: 3307, User: "u", Password: "p@ss:w/rd?x=1", Name: "3xui", TLS: "skip-verify"}
	dsn := MariaDBDSN(cfg)
	if !strings.HasPrefix(dsn, "u:p@ss:w/rd?x=1@tcp(db.example:3307)/3xui?") {
		t.Fatalf("unexpected DSN %q", dsn)
	}
	for _, want := range []string{"parseTime=true", "charset=utf8mb4", "tls=skip-verify"} {
		if !strings.Contains(dsn, want) {
			t.Fatalf("DSN %q lacks %s", dsn, want)
		}
	}
}

func TestMariaDBPasswordWithSpecialCharactersConnects(t *testing.T) {
	cfg := dbtest.NewMariaDB(t)
	server := dbtest.MariaDBServer()
	admin, err := OpenMariaDB(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer closeConn(admin)
	raw, _ := admin.DB()
	user, password := "xui_t_pw_"+cfg.Name[len(cfg.Name)-6:], "p@ss:w/rd?x=1"
	for _, host := range []string{"127.0.0.1", "localhost"} {
		for _, q := range []string{
			fmt.Sprintf("CREATE USER '%s'@'%s' IDENTIFIED BY '%s'", user, host, password),
			fmt.Sprintf("GRANT ALL ON `%s`.* TO '%s'@'%s'", cfg.Name, user, host),
		} {
			if _, err := raw.Exec(q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
	}
	t.Cleanup(func() {
		raw.Exec(fmt.Sprintf("DROP USER IF EXISTS '%s'@'127.0.0.1', '%s'@'localhost'", user, user))
	})
	userCfg := cfg
	userCfg.User, userCfg.Password = user, password
	userCfg.Host = server.Host
	conn, err := OpenMariaDB(userCfg)
	if err != nil {
		t.Fatalf("connect with special-character password: %v", err)
	}
	closeConn(conn)
}

func TestMariaDBDownGivesOneLineErrorNamingAddress(t *testing.T) {
	cfg := config.DBConfig{Type: "mariadb", Host: "127.0.0.1", Port: 1, User: "x", Name: "3xui"}
	start := time.Now()
	_, err := OpenMariaDB(cfg)
	if err == nil {
		t.Fatal("expected connection error")
	}
	msg := err.Error()
	if !strings.Contains(msg, "127.0.0.1:1") || strings.Contains(msg, "\n") {
		t.Fatalf("error should be one line naming host:port, got %q", msg)
	}
	if time.Since(start) > 30*time.Second {
		t.Fatalf("connection error took %v", time.Since(start))
	}
}

func TestIsNotFound(t *testing.T) {
	setupTestDB(t)
	err := GetDB().First(&model.Inbound{}, 12345).Error
	if !IsNotFound(err) || IsNotFound(errors.New("other")) {
		t.Fatalf("IsNotFound misclassified %v", err)
	}
}

// rowsOf dumps every table as comparable strings, ids included.
func rowsOf(t *testing.T, conn *gorm.DB) map[string][]string {
	t.Helper()
	var tables []string
	for _, m := range AllModels() {
		stmt := &gorm.Statement{DB: conn}
		if err := stmt.Parse(m); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, stmt.Schema.Table)
	}
	return dbtest.DumpTables(t, conn, tables...)
}

func TestWorkerChecksSchemaInsteadOfMigrating(t *testing.T) {
	b := dbtest.New(t, dbtest.MariaDB)
	dbtest.UseBackend(t, b)
	if err := config.WriteSettingsToJSON(map[string]any{"nodeRole": "worker", "nodeId": "w1"}); err != nil {
		t.Fatal(err)
	}
	err := InitDBWithPath(b.SQLitePath)
	if err == nil || !strings.Contains(err.Error(), "start the master") {
		t.Fatalf("worker on an empty database: want a schema error, got %v", err)
	}
	if err := config.WriteSettingToJSON("nodeRole", "master"); err != nil {
		t.Fatal(err)
	}
	if err := InitDBWithPath(b.SQLitePath); err != nil {
		t.Fatal(err)
	}
	CloseDB()
	if err := config.WriteSettingToJSON("nodeRole", "worker"); err != nil {
		t.Fatal(err)
	}
	if err := InitDBWithPath(b.SQLitePath); err != nil {
		t.Fatalf("worker after the master migrated: %v", err)
	}
	CloseDB()
}
