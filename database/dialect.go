package database

import (
	"strings"

	"gorm.io/gorm"
)

// Dialect hides the few SQL spellings that differ between SQLite and MariaDB,
// so no service writes SQLite-only SQL.
type Dialect struct{ name string }

// DialectOf tells which database conn talks to.
func DialectOf(conn *gorm.DB) Dialect {
	return Dialect{name: conn.Dialector.Name()}
}

// IsMySQL is true for MariaDB (gorm's dialector calls it "mysql").
func (d Dialect) IsMySQL() bool { return d.name == "mysql" }

// Name is gorm's dialector name ("sqlite" or "mysql").
func (d Dialect) Name() string { return d.name }

// Greatest returns SQL for the larger of two expressions.
func (d Dialect) Greatest(a, b string) string {
	if d.IsMySQL() {
		return "GREATEST(" + a + ", " + b + ")"
	}
	return "MAX(" + a + ", " + b + ")"
}

// InsertIgnore is the statement prefix that skips rows violating a unique key.
func (d Dialect) InsertIgnore() string {
	if d.IsMySQL() {
		return "INSERT IGNORE INTO"
	}
	return "INSERT OR IGNORE INTO"
}

// UpsertAdd is the tail of a multi-row INSERT that, on a clash of the
// conflict columns, adds the inserted values to the existing ones.
func (d Dialect) UpsertAdd(conflict, addCols []string) string {
	sets := make([]string, len(addCols))
	for i, c := range addCols {
		if d.IsMySQL() {
			sets[i] = c + " = " + c + " + VALUES(" + c + ")"
		} else {
			sets[i] = c + " = " + c + " + excluded." + c
		}
	}
	if d.IsMySQL() {
		return " ON DUPLICATE KEY UPDATE " + strings.Join(sets, ", ")
	}
	return " ON CONFLICT(" + strings.Join(conflict, ", ") + ") DO UPDATE SET " + strings.Join(sets, ", ")
}
