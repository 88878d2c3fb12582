// Package database opens the panel's database (embedded SQLite or MariaDB),
// migrates the schema and seeds the rows every install needs.
package database

import (
	"errors"
	"fmt"
	"io/fs"
	"log"
	"os"
	"time"

	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// process is the handle of the plan's package-level functions (InitDB,
// GetDB, CloseDB, Reconnect). Only main takes it, through Process, and
// hands it to the app; every service gets the handle it needs as an argument.
var process = &Handle{mirror: &db}

// db is the process handle's connection as a plain variable: the plan's
// tests read it directly. Nothing else may; it changes under process.mu.
var db *gorm.DB

// Reconnect reopens what x-ui.json names (set in init: Open reaches
// GetDB through seeding, which a variable initializer may not).
func init() {
	process.reopen = func() (*gorm.DB, error) {
		return Open(config.GetDBConfigFromJSON(), config.GetNodeConfigFromJSON().Role, config.GetDBPath())
	}
}

// Process returns the handle InitDB opens and CloseDB closes, for main
// (and tests of the plan's functions).
func Process() *Handle { return process }

// AllModels lists every table, in an order where referenced rows come first;
// migrations and migrate-db both walk it.
func AllModels() []any {
	return []any{
		&model.User{},
		&model.Inbound{},
		&model.OutboundTraffics{},
		&model.Setting{},
		&model.InboundClientIps{},
		&model.ClientTraffic{},
		&model.HistoryOfSeeders{},
		&model.SharedState{},
		&model.NodeState{},
		&model.NodeKey{},
		&model.TrafficFlushLedger{},
		&model.NodeClientTraffic{},
		&model.APIToken{},
		&model.SharedChange{},
		&model.NodeTrafficHour{},
		&model.SessionRevocation{},
		&model.NotifyEvent{},
		&model.NotifyWebhook{},
		&model.NotifyDelivery{},
		&model.AuditLog{},
		&model.NotifyMark{},
		&model.NotifyLoginIP{},
		&model.ClientOwner{},
	}
}

// InitDB opens the database named by x-ui.json (SQLite at GetDBPath by default).
func InitDB() error {
	return InitDBWithPath(config.GetDBPath())
}

// InitDBWithPath opens the configured database; sqlitePath is the file used
// when the configured type is SQLite. It migrates and seeds before returning.
func InitDBWithPath(sqlitePath string) error {
	conn, err := Open(config.GetDBConfigFromJSON(), config.GetNodeConfigFromJSON().Role, sqlitePath)
	if err != nil {
		return err
	}
	process.swap(conn)
	return nil
}

// Open opens the database cfg names (SQLite at sqlitePath), migrating it on
// a master and only checking the schema on a worker: the master owns the
// shared schema, so a worker can run with a least-privilege account. The
// caller owns the returned handle.
func Open(cfg config.DBConfig, role config.NodeRole, sqlitePath string) (*gorm.DB, error) {
	var (
		conn *gorm.DB
		err  error
	)
	if cfg.Type == config.DBTypeMariaDB {
		conn, err = OpenMariaDB(cfg)
	} else {
		conn, err = OpenSQLite(sqlitePath)
	}
	if err != nil {
		return nil, err
	}
	prepare := Migrate
	if role == config.NodeRoleWorker {
		prepare = verifySchema
	}
	if err := prepare(conn); err != nil {
		closeConn(conn)
		return nil, err
	}
	return conn, nil
}

// OpenForReading opens the configured database without creating or
// migrating anything, for commands that only look (x-ui setting -show). It
// returns nil, nil when a SQLite file does not exist yet.
func OpenForReading(cfg config.DBConfig, sqlitePath string) (*gorm.DB, error) {
	if cfg.Type == config.DBTypeMariaDB {
		return OpenMariaDB(cfg)
	}
	if _, err := os.Stat(sqlitePath); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	conn, err := gorm.Open(sqlite.New(sqlite.Config{DriverName: sqliteDriver, DSN: "file:" + sqlitePath + "?mode=ro&_busy_timeout=10000"}), gormConfig())
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", sqlitePath, err)
	}
	return conn, nil
}

// Close closes a handle from Open or OpenForReading.
func Close(conn *gorm.DB) error {
	if conn == nil {
		return nil
	}
	return closeConn(conn)
}

// GetDB returns the open database, or nil before InitDB.
func GetDB() *gorm.DB {
	return process.Current()
}

// CloseDB closes the open database, if any.
func CloseDB() error {
	return process.Close()
}

func closeConn(conn *gorm.DB) error {
	sqlDB, err := conn.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// IsNotFound reports whether err is gorm's record-not-found.
func IsNotFound(err error) bool {
	return errors.Is(err, gorm.ErrRecordNotFound)
}

func gormConfig() *gorm.Config {
	level := logger.Silent
	if config.IsDebug() {
		level = logger.Info
	}
	return &gorm.Config{
		// Services delete child rows explicitly inside their transactions;
		// no FK constraints keeps SQLite and MariaDB behaving the same.
		DisableForeignKeyConstraintWhenMigrating: true,
		Logger: logger.New(log.New(os.Stderr, "", log.LstdFlags), logger.Config{
			SlowThreshold:             time.Second,
			LogLevel:                  level,
			IgnoreRecordNotFoundError: true,
		}),
	}
}

// OpenSQLite opens (creating if needed) a SQLite file in WAL mode with a busy
// timeout, and BEGIN IMMEDIATE transactions so concurrent writers queue
// instead of failing with "database is locked".
func OpenSQLite(path string) (*gorm.DB, error) {
	if err := prepareSQLiteFile(path); err != nil {
		return nil, err
	}
	dsn := path + "?_journal_mode=WAL&_busy_timeout=10000&_synchronous=NORMAL&_foreign_keys=on&_txlock=immediate"
	conn, err := gorm.Open(sqlite.New(sqlite.Config{DriverName: sqliteDriver, DSN: dsn}), gormConfig())
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	return conn, nil
}

// Migrate creates or updates every table and seeds the required rows; running
// it again changes nothing.
func Migrate(conn *gorm.DB) error {
	if err := MigrateSchema(conn); err != nil {
		return err
	}
	return seed(conn)
}

// MigrateSchema brings every table of conn to the current models, renaming
// and filling what AutoMigrate cannot (see migrateAPITokens), without
// seeding: backups and copies are migrated with it before their rows are read.
func MigrateSchema(conn *gorm.DB) error {
	enableTokens, err := migrateAPITokens(conn)
	if err != nil {
		return err
	}
	for _, m := range AllModels() {
		if err := conn.AutoMigrate(m); err != nil {
			return fmt.Errorf("migrate %T: %w", m, err)
		}
	}
	if enableTokens {
		// The column arrived as false (its default, see model.APIToken);
		// the tokens made before it worked, so they stay enabled. A crash
		// between the two statements leaves them disabled, switchable on.
		err := conn.Session(&gorm.Session{AllowGlobalUpdate: true}).Model(&model.APIToken{}).Update("enabled", true).Error
		if err != nil {
			return fmt.Errorf("migrate api_tokens: enable the existing tokens: %w", err)
		}
	}
	return nil
}

// migrateAPITokens renames api_tokens.token_hash to token, 3x-ui v3's name
// for the same value (hex sha256 of the token), so rows made before keep
// authenticating. The old unique index goes first; AutoMigrate then makes
// the new one. enableTokens reports an existing table without the enabled
// column: its rows must be enabled once AutoMigrate has added it.
func migrateAPITokens(conn *gorm.DB) (enableTokens bool, err error) {
	m := conn.Migrator()
	tok := &model.APIToken{}
	if !m.HasTable(tok) {
		return false, nil
	}
	enableTokens = !m.HasColumn(tok, "enabled")
	if !m.HasColumn(tok, "token_hash") || m.HasColumn(tok, "token") {
		return enableTokens, nil
	}
	if m.HasIndex(tok, "idx_api_tokens_token_hash") {
		if err := m.DropIndex(tok, "idx_api_tokens_token_hash"); err != nil {
			return false, fmt.Errorf("migrate api_tokens: drop index on token_hash: %w", err)
		}
	}
	if err := m.RenameColumn(tok, "token_hash", "token"); err != nil {
		return false, fmt.Errorf("migrate api_tokens: rename token_hash to token: %w", err)
	}
	return enableTokens, nil
}

// Reconnect returns the open database, opening it first when the panel
// started (or lost it) while the database was unreachable.
func Reconnect() (*gorm.DB, error) {
	return process.Reconnect()
}

// verifySchema fails unless every table exists (the master creates them).
func verifySchema(conn *gorm.DB) error {
	for _, m := range AllModels() {
		if !conn.Migrator().HasTable(m) {
			return fmt.Errorf("table for %T is missing: start the master once so it creates the schema", m)
		}
	}
	return nil
}

// ErrClosed is what services return while the database is away (not yet
// opened, or lost and not reconnected).
var ErrClosed = errors.New("database is not open")

// Conn returns the open database or ErrClosed; unlike GetDB it never hands
// out nil, so callers cannot panic on a missing connection.
func Conn() (*gorm.DB, error) {
	return process.DB()
}
