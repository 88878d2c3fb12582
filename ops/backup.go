// Package ops holds the operator tools: database backup and restore, host
// and Xray status, key generation.
package ops

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"github.com/mhsanaei/3x-ui/v2/inbound"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"time"

	"github.com/mhsanaei/3x-ui/v2/audit"
	"github.com/mhsanaei/3x-ui/v2/cluster"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/database/sharedwrite"
	"github.com/mhsanaei/3x-ui/v2/errs"
	"github.com/mhsanaei/3x-ui/v2/util/applied"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/schema"
)

// Backups are either the SQLite file itself (from a SQLite panel) or a
// portable JSON dump of every table (from a MariaDB panel). Either kind can
// be imported into either backend.

// MaxBackupBytes bounds an uploaded backup.
const MaxBackupBytes = 1 << 30

var sqliteMagic = []byte("SQLite format 3\x00")

// backupSkipTables are node runtime state, not data: restoring them from an
// old backup would clobber the master lease, heartbeats and the traffic
// flush ledger (which would break exactly-once counting). They keep their
// live rows; the shared version is bumped instead.
var backupSkipTables = map[string]bool{
	"shared_states":         true,
	"node_states":           true,
	"traffic_flush_ledgers": true,
	"traffic_flush_ledger":  true,
	"node_client_traffics":  true,
	"node_traffic_hours":    true,
	// The audit log is history, not data: an import must not erase the
	// record of what was done (the import itself is one more row).
	"audit_log": true,
}

// Backup is a finished backup file waiting to be streamed.
type Backup struct {
	Path        string
	FileName    string
	ContentType string
	dir         string
}

// Remove deletes the backup's temporary files.
func (b *Backup) Remove() { os.RemoveAll(b.dir) }

// Backups exports and imports the whole database.
type Backups struct {
	// Precheck, when set, has Xray test the imported state before commit.
	Precheck *inbound.XrayPrecheck

	db      *database.Handle
	node    *cluster.Node      // refuses imports on a worker
	writes  sharedwrite.Writer // an import is one shared write
	receipt *applied.Receipt   // set on a WithReceipt view only
}

// NewBackups exports and imports db; imports only when node is a master,
// and tell nobody (see NewBackupsNotifying).
func NewBackups(db *database.Handle, node *cluster.Node) *Backups {
	return NewBackupsNotifying(db, node, nil)
}

// NewBackupsNotifying is NewBackups whose committed imports are handed to
// notify (the app's fan-out), which returns the import's apply outcome.
func NewBackupsNotifying(db *database.Handle, node *cluster.Node, notify sharedwrite.Notifier) *Backups {
	return &Backups{db: db, node: node, writes: sharedwrite.New(db, node, notify)}
}

// WithReceipt is s for one caller's import: the same database, role,
// fan-out and precheck, and the import's apply result recorded in r.
func (s *Backups) WithReceipt(r *applied.Receipt) *Backups {
	return &Backups{Precheck: s.Precheck, db: s.db, node: s.node, writes: s.writes, receipt: r}
}

// As is s importing for actor (recorded in the import's audit row).
func (s *Backups) As(actor audit.Actor) *Backups {
	return &Backups{Precheck: s.Precheck, db: s.db, node: s.node, writes: s.writes.As(actor), receipt: s.receipt}
}

// importChanges are an import's row counts per table, for its audit row.
func importChanges(r *ImportReport) []audit.Change {
	names := make([]string, 0, len(r.Tables))
	for name := range r.Tables {
		names = append(names, name)
	}
	sort.Strings(names)
	out := make([]audit.Change, 0, len(names))
	for _, name := range names {
		t := r.Tables[name]
		out = append(out, audit.Change{Field: name + ".rows", Before: t.Before, After: t.After})
	}
	return out
}

// CreateBackup writes a consistent backup to a temp file: VACUUM INTO for
// SQLite (a snapshot even while jobs write), a JSON dump read in one
// transaction for MariaDB.
func (s *Backups) CreateBackup() (*Backup, error) {
	conn := s.db.Current()
	if conn == nil {
		return nil, fmt.Errorf("database is not open")
	}
	dir, err := os.MkdirTemp("", "x-ui-backup-")
	if err != nil {
		return nil, err
	}
	stamp := time.Now().UTC().Format("20060102-150405")
	b := &Backup{dir: dir}
	if database.DialectOf(conn).IsMySQL() {
		b.Path = filepath.Join(dir, "x-ui.json")
		b.FileName = "x-ui-backup-" + stamp + ".json"
		b.ContentType = "application/json"
		err = writeJSONDump(conn, b.Path)
	} else {
		b.Path = filepath.Join(dir, "x-ui.db")
		b.FileName = "x-ui-backup-" + stamp + ".db"
		b.ContentType = "application/octet-stream"
		err = conn.Exec("VACUUM INTO ?", b.Path).Error
	}
	if err != nil {
		b.Remove()
		return nil, fmt.Errorf("create backup: %w", err)
	}
	return b, nil
}

// ImportBackup replaces the data tables with a backup's rows in one
// transaction; on any error nothing changes.
func (s *Backups) ImportBackup(r io.Reader) error {
	_, err := s.Import(r, false)
	return err
}

// Import is ImportBackup with a report of what changes; with dryRun every
// check runs (schema, validators, Xray) and the transaction is rolled back.
func (s *Backups) Import(r io.Reader, dryRun bool) (*ImportReport, error) {
	report, err := s.importBackup(r, dryRun)
	if errors.Is(err, errDryRun) {
		return report, nil
	}
	if err != nil {
		return nil, err
	}
	return report, nil
}

func (s *Backups) importBackup(r io.Reader, dryRun bool) (report *ImportReport, err error) {
	if err := s.node.RequireMaster(); err != nil {
		return nil, err
	}
	live := s.db.Current()
	if live == nil {
		return nil, fmt.Errorf("database is not open")
	}
	dir, err := os.MkdirTemp("", "x-ui-import-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)

	br := bufio.NewReader(io.LimitReader(r, MaxBackupBytes+1))
	head, _ := br.Peek(len(sqliteMagic))
	srcPath := filepath.Join(dir, "import.db")
	switch {
	case bytes.Equal(head, sqliteMagic):
		if err := saveUpload(br, srcPath); err != nil {
			return nil, err
		}
	case len(bytes.TrimSpace(head)) > 0 && bytes.TrimSpace(head)[0] == '{':
		if err := loadJSONDump(br, srcPath); err != nil {
			return nil, err
		}
	default:
		return nil, errs.Invalid("db", "not an x-ui backup: expected a SQLite database file or a JSON dump")
	}
	src, err := database.OpenSQLite(srcPath)
	if err != nil {
		return nil, errs.Invalid("db", "cannot open the backup: %v", err)
	}
	defer closeGorm(src)
	if err := checkBackupSchema(src); err != nil {
		return nil, err
	}
	// Bring an older backup's schema up to date before copying.
	if err := database.MigrateSchema(src); err != nil {
		return nil, errs.Invalid("db", "backup schema is not usable: %v", err)
	}
	var users int64
	if err := src.Model(&model.User{}).Count(&users).Error; err != nil || users == 0 {
		return nil, errs.Invalid("db", "backup has no panel user; importing it would lock you out")
	}
	if err := validateBackupRows(src); err != nil {
		return nil, err
	}
	if report, err = importReport(src, live); err != nil {
		return nil, err
	}
	report.DryRun = dryRun
	// A shared write: workers notice the new data by the version bump in
	// the same transaction, and the fan-out applies it (Xray, push,
	// subscription settings).
	e := audit.Entry{Action: "backup.import", TargetKind: "database", Changes: importChanges(report)}
	_, err = s.writes.Write(s.receipt, e, func(tx *gorm.DB, ch *sharedwrite.Change) error {
		if err := replaceTables(src, tx); err != nil {
			return err
		}
		if err := s.Precheck.CheckImport(tx); err != nil {
			return err
		}
		if dryRun {
			return errDryRun
		}
		ch.Settings = true
		return nil
	})
	return report, err
}

func saveUpload(r io.Reader, path string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	n, err := io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("save upload: %w", err)
	}
	if n > MaxBackupBytes {
		return errs.Invalid("db", "backup is larger than %d bytes", MaxBackupBytes)
	}
	return nil
}

// replaceTables clears the data tables of dst (children first) and copies
// src's rows in (parents first), checking row counts.
func replaceTables(src, dst *gorm.DB) error {
	models := database.AllModels()
	for i := len(models) - 1; i >= 0; i-- {
		sch, err := parseSchema(dst, models[i])
		if err != nil {
			return err
		}
		if backupSkipTables[sch.Table] {
			continue
		}
		if err := dst.Session(&gorm.Session{AllowGlobalUpdate: true}).Delete(models[i]).Error; err != nil {
			return fmt.Errorf("clear %s: %w", sch.Table, err)
		}
	}
	for _, m := range models {
		sch, err := parseSchema(dst, m)
		if err != nil {
			return err
		}
		if backupSkipTables[sch.Table] {
			continue
		}
		var want, got int64
		if err := src.Model(m).Count(&want).Error; err != nil {
			return fmt.Errorf("count backup %s: %w", sch.Table, err)
		}
		batch := reflect.New(reflect.SliceOf(reflect.TypeOf(m).Elem())).Interface()
		err = src.Model(m).FindInBatches(batch, 500, func(*gorm.DB, int) error {
			if reflect.ValueOf(batch).Elem().Len() == 0 {
				return nil
			}
			return dst.Omit(clause.Associations).CreateInBatches(batch, 500).Error
		}).Error
		if err != nil {
			return fmt.Errorf("restore %s: %w", sch.Table, err)
		}
		if err := dst.Model(m).Count(&got).Error; err != nil {
			return err
		}
		if got != want {
			return fmt.Errorf("restore %s: wrote %d rows, backup has %d", sch.Table, got, want)
		}
	}
	return nil
}

func parseSchema(conn *gorm.DB, m any) (*schema.Schema, error) {
	stmt := &gorm.Statement{DB: conn}
	if err := stmt.Parse(m); err != nil {
		return nil, err
	}
	return stmt.Schema, nil
}

func closeGorm(conn *gorm.DB) {
	if sqlDB, err := conn.DB(); err == nil {
		sqlDB.Close()
	}
}
