package dbtest

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"gorm.io/gorm"
)

// DumpTables returns every row of the tables as sorted "col=value;" strings,
// so tests can compare a database before and after an operation, or two
// databases with each other. Booleans print as 1/0 on both backends.
func DumpTables(t testing.TB, conn *gorm.DB, tables ...string) map[string][]string {
	t.Helper()
	out := make(map[string][]string, len(tables))
	for _, table := range tables {
		var rows []map[string]any
		if err := conn.Table(table).Find(&rows).Error; err != nil {
			t.Fatalf("dump %s: %v", table, err)
		}
		dumped := make([]string, 0, len(rows))
		for _, r := range rows {
			keys := make([]string, 0, len(r))
			for k := range r {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			var sb strings.Builder
			for _, k := range keys {
				sb.WriteString(k + "=" + cell(r[k]) + ";")
			}
			dumped = append(dumped, sb.String())
		}
		sort.Strings(dumped)
		out[table] = dumped
	}
	return out
}

func cell(v any) string {
	switch x := v.(type) {
	case []byte:
		return string(x)
	case bool:
		if x {
			return "1"
		}
		return "0"
	case nil:
		return "NULL"
	}
	return fmt.Sprint(v)
}
