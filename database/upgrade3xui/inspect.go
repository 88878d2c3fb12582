// Package upgrade3xui upgrades a database written by upstream 3x-ui v2.x in
// place: the rows stay as they are, the panel's own settings move from the
// settings table into x-ui.json, and a report says what was carried over,
// converted and ignored. The original file is copied next to itself first.
package upgrade3xui

import (
	"errors"
	"fmt"
	"net/url"
	"os"

	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// upstreamTables are the tables 3x-ui v2.x creates; custom_geo_resources is
// only there from v2.8 on.
var upstreamTables = []string{
	"users", "inbounds", "outbound_traffics", "settings",
	"inbound_client_ips", "client_traffics", "history_of_seeders",
	"custom_geo_resources",
}

// requiredTables identify a 3x-ui v2 database.
var requiredTables = []string{"users", "inbounds", "settings", "client_traffics"}

// Snapshot is what the upgrade reads from the database before changing it.
type Snapshot struct {
	Path     string
	Counts   map[string]int64 // rows per upstream table present
	Settings map[string]string
	// SettingOrder lists settings keys in id order, for a stable report.
	SettingOrder []string
	// AdminID is the first user (the one upstream's two-factor belongs to).
	AdminID int
	// ProjectSchema is true when this panel already migrated the file once.
	ProjectSchema bool
	// TrafficReset counts inbounds per traffic_reset value.
	TrafficReset map[string]int64
}

// ErrNot3xUI means the file is not a 3x-ui v2 database.
var ErrNot3xUI = errors.New("not a 3x-ui v2 database")

// openReadOnly opens a SQLite file without creating, migrating or changing
// its journal mode, so inspecting (and -dry-run) leaves it byte for byte.
func openReadOnly(path string) (*gorm.DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?mode=ro&_busy_timeout=10000"
	conn, err := gorm.Open(sqlite.Open(dsn), &gorm.Config{Logger: logger.Default.LogMode(logger.Silent)})
	if err != nil {
		return nil, fmt.Errorf("open %s read-only: %w", path, err)
	}
	return conn, nil
}

func closeDB(conn *gorm.DB) {
	if sqlDB, err := conn.DB(); err == nil {
		sqlDB.Close()
	}
}

// Inspect reads a SQLite file read-only and fails with ErrNot3xUI unless it
// has 3x-ui v2's tables and at least one of upstream's panel settings.
func Inspect(path string) (*Snapshot, error) {
	conn, err := openReadOnly(path)
	if err != nil {
		return nil, err
	}
	defer closeDB(conn)
	return inspect(conn, path)
}

func inspect(conn *gorm.DB, path string) (*Snapshot, error) {
	m := conn.Migrator()
	for _, table := range requiredTables {
		if !m.HasTable(table) {
			return nil, fmt.Errorf("%w: table %s is missing", ErrNot3xUI, table)
		}
	}
	snap := &Snapshot{Path: path, Counts: map[string]int64{}, Settings: map[string]string{}, TrafficReset: map[string]int64{}}
	for _, table := range upstreamTables {
		if !m.HasTable(table) {
			continue
		}
		var n int64
		if err := conn.Table(table).Count(&n).Error; err != nil {
			return nil, fmt.Errorf("count %s: %w", table, err)
		}
		snap.Counts[table] = n
	}
	var rows []struct {
		Key   string
		Value string
	}
	if err := conn.Table("settings").Select("`key`, value").Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("read settings: %w", err)
	}
	for _, r := range rows {
		if _, seen := snap.Settings[r.Key]; !seen {
			snap.SettingOrder = append(snap.SettingOrder, r.Key)
		}
		snap.Settings[r.Key] = r.Value
	}
	upstreamKey := false
	for _, key := range []string{"webPort", "webBasePath", "secret", "webListen"} {
		if _, ok := snap.Settings[key]; ok {
			upstreamKey = true
		}
	}
	if !upstreamKey {
		return nil, fmt.Errorf("%w: the settings table has none of webPort, webBasePath, secret", ErrNot3xUI)
	}
	var admin struct{ Id int }
	if err := conn.Table("users").Select("id").Order("id").Limit(1).Find(&admin).Error; err != nil {
		return nil, fmt.Errorf("read users: %w", err)
	}
	snap.AdminID = admin.Id
	snap.ProjectSchema = m.HasTable("shared_states")
	if m.HasColumn("inbounds", "traffic_reset") {
		var resets []struct {
			TrafficReset string
			N            int64
		}
		if err := conn.Table("inbounds").Select("traffic_reset, count(*) AS n").Group("traffic_reset").Find(&resets).Error; err != nil {
			return nil, fmt.Errorf("read inbounds.traffic_reset: %w", err)
		}
		for _, r := range resets {
			snap.TrafficReset[r.TrafficReset] += r.N
		}
	}
	return snap, nil
}
