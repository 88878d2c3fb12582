package upgrade3xui

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/util/atomicfile"
	"gorm.io/gorm"
)

// BackupSuffix names the copy of the original database kept next to it.
const BackupSuffix = ".3x-ui-v2.bak"

// ReportName is the report file written into the database folder.
const ReportName = "3x-ui-upgrade-report.txt"

// Options control one upgrade run.
type Options struct {
	// DBPath is the SQLite file; x-ui.json is the one config points at.
	DBPath string
	// DryRun reports what would happen and changes nothing.
	DryRun bool
	// Now is the clock for the report; nil means time.Now.
	Now func() time.Time
}

// Report is what one run did (or, with DryRun, would do).
type Report struct {
	Path, Backup, File string
	DryRun             bool
	Changed            bool // false: everything was already upgraded
	Time               time.Time
	Rows               map[string]int64 // rows per upstream table, before
	RowsAfter          map[string]int64
	TrafficReset       map[string]int64
	Moved, Kept        []Item
	Shared, Converted  []Item
	Ignored            []Item
}

// Pending reports whether path is a 3x-ui v2 database this panel has not
// upgraded yet (no backup next to it), so a first start upgrades it.
func Pending(path string) (bool, error) {
	if _, err := os.Stat(path + BackupSuffix); err == nil {
		return false, nil
	}
	if _, err := os.Stat(path); os.IsNotExist(err) {
		return false, nil
	}
	_, err := Inspect(path)
	if errors.Is(err, ErrNot3xUI) {
		return false, nil
	}
	return err == nil, err
}

// Run upgrades the database at opts.DBPath. Running it again changes
// nothing; with DryRun it only reads.
func Run(opts Options) (*Report, error) {
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	snap, err := Inspect(opts.DBPath)
	if err != nil {
		return nil, err
	}
	current, err := config.LoadSettingsJSON()
	if err != nil {
		return nil, err
	}
	adminSecret, err := readAdminSecret(snap)
	if err != nil {
		return nil, err
	}
	p, err := makePlan(snap, current, adminSecret)
	if err != nil {
		return nil, err
	}
	r := &Report{
		Path: opts.DBPath, Backup: opts.DBPath + BackupSuffix, DryRun: opts.DryRun, Time: now().UTC(),
		Rows: snap.Counts, TrafficReset: snap.TrafficReset,
		Moved: p.moved, Kept: p.kept, Shared: p.shared, Converted: p.converted, Ignored: p.ignored,
		File: filepath.Join(filepath.Dir(opts.DBPath), ReportName),
	}
	_, backupErr := os.Stat(r.Backup)
	hasBackup := backupErr == nil
	r.Changed = !hasBackup || len(p.writes) > 0 || p.twoFactor != "" || !snap.ProjectSchema
	if opts.DryRun {
		r.RowsAfter = snap.Counts
		return r, nil
	}
	if !hasBackup {
		if err := backup(opts.DBPath, r.Backup); err != nil {
			return nil, fmt.Errorf("back up the original database (nothing was changed): %w", err)
		}
	}
	if len(p.writes) > 0 {
		if err := config.WriteSettingsToJSON(p.writes); err != nil {
			return nil, fmt.Errorf("write x-ui.json: %w", err)
		}
	}
	if err := migrate(opts.DBPath, snap.AdminID, p.twoFactor); err != nil {
		return nil, err
	}
	after, err := Inspect(opts.DBPath)
	if err != nil {
		return nil, err
	}
	r.RowsAfter = after.Counts
	for table, n := range snap.Counts {
		if after.Counts[table] < n {
			return nil, fmt.Errorf("table %s had %d rows and now has %d: restore %s", table, n, after.Counts[table], r.Backup)
		}
	}
	if r.Changed {
		if err := atomicfile.Write(r.File, []byte(r.Text()), 0o600); err != nil {
			return nil, fmt.Errorf("write report: %w", err)
		}
	}
	return r, nil
}

// readAdminSecret reads the first admin's two-factor secret when this
// panel's column exists (after a first upgrade).
func readAdminSecret(snap *Snapshot) (string, error) {
	if !snap.ProjectSchema {
		return "", nil
	}
	conn, err := openReadOnly(snap.Path)
	if err != nil {
		return "", err
	}
	defer closeDB(conn)
	if !conn.Migrator().HasColumn("users", "two_factor_secret") {
		return "", nil
	}
	var u model.User
	if err := conn.Where("id = ?", snap.AdminID).Limit(1).Find(&u).Error; err != nil {
		return "", err
	}
	return u.TwoFactorSecret, nil
}

// migrate adds this panel's tables and columns (rows stay as they are) and
// stores the converted two-factor secret, in one transaction after the
// schema is there.
func migrate(path string, adminID int, twoFactor string) error {
	conn, err := database.OpenSQLite(path)
	if err != nil {
		return err
	}
	defer closeDB(conn)
	if err := database.Migrate(conn); err != nil {
		return fmt.Errorf("add this panel's schema: %w", err)
	}
	if twoFactor == "" {
		return nil
	}
	return conn.Transaction(func(tx *gorm.DB) error {
		return tx.Model(&model.User{}).Where("id = ? AND (two_factor_secret = '' OR two_factor_secret IS NULL)", adminID).
			Update("two_factor_secret", twoFactor).Error
	})
}

// Print writes the report to w.
func (r *Report) Print(w io.Writer) { io.WriteString(w, r.Text()) }
