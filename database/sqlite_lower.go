package database

import (
	"database/sql"
	"strings"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// sqliteDriver is the SQLite driver with a Unicode-aware LOWER(). SQLite's
// built-in LOWER folds ASCII only, so LOWER('ИРИНА@x') would not equal Go's
// strings.ToLower and a Unicode email could be taken twice in different case
// (emails are unique case-insensitively; MariaDB's utf8mb4 collation already
// folds Unicode). Every SQLite connection the panel opens uses it.
const sqliteDriver = "sqlite3_xui"

func init() {
	sql.Register(sqliteDriver, &sqlite3.SQLiteDriver{
		ConnectHook: func(conn *sqlite3.SQLiteConn) error {
			return conn.RegisterFunc("lower", unicodeLower, true)
		},
	})
}

// unicodeLower is LOWER(x): text is folded, every other value (NULL
// arrives as a nil []byte, numbers as themselves) goes back unchanged.
func unicodeLower(v any) any {
	if s, ok := v.(string); ok {
		return strings.ToLower(s)
	}
	return v
}
