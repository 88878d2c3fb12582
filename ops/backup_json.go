package ops

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"reflect"
	"time"

	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/errs"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// BackupFormat names the JSON dump format.
const BackupFormat = "x-ui-backup"

// jsonDump is the portable backup: every table's rows keyed by column name,
// so it carries the columns the API hides (e.g. password hashes).
type jsonDump struct {
	Format    string                                  `json:"format"`
	Version   int                                     `json:"version"`
	CreatedAt int64                                   `json:"createdAt"`
	Source    string                                  `json:"source"`
	Tables    map[string][]map[string]json.RawMessage `json:"tables"`
}

// writeJSONDump reads every table inside one read transaction (a consistent
// snapshot on InnoDB) and streams it to path.
func writeJSONDump(conn *gorm.DB, path string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<16)
	err = conn.Transaction(func(tx *gorm.DB) error {
		head, _ := json.Marshal(map[string]any{
			"format": BackupFormat, "version": 1, "createdAt": time.Now().Unix(),
			"source": database.DialectOf(conn).Name(),
		})
		// Splice "tables" into the header object.
		w.Write(head[:len(head)-1])
		w.WriteString(`,"tables":{`)
		for i, m := range database.AllModels() {
			if i > 0 {
				w.WriteString(",")
			}
			if err := dumpTable(tx, m, w); err != nil {
				return err
			}
		}
		w.WriteString("}}\n")
		return nil
	})
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func dumpTable(tx *gorm.DB, m any, w *bufio.Writer) error {
	sch, err := parseSchema(tx, m)
	if err != nil {
		return err
	}
	name, _ := json.Marshal(sch.Table)
	w.Write(name)
	w.WriteString(":[")
	first := true
	batch := reflect.New(reflect.SliceOf(reflect.TypeOf(m).Elem())).Interface()
	err = tx.Model(m).FindInBatches(batch, 1000, func(*gorm.DB, int) error {
		rows := reflect.ValueOf(batch).Elem()
		for i := 0; i < rows.Len(); i++ {
			row := map[string]any{}
			for _, f := range sch.Fields {
				if f.DBName == "" {
					continue
				}
				row[f.DBName] = rows.Index(i).FieldByIndex(f.StructField.Index).Interface()
			}
			data, err := json.Marshal(row)
			if err != nil {
				return err
			}
			if !first {
				w.WriteString(",")
			}
			first = false
			w.Write(data)
		}
		return nil
	}).Error
	if err != nil {
		return fmt.Errorf("dump %s: %w", sch.Table, err)
	}
	w.WriteString("]")
	return nil
}

// loadJSONDump validates a JSON dump and writes its rows into a new SQLite
// file at path, so import has one code path for both backup kinds.
func loadJSONDump(r io.Reader, path string) error {
	var dump jsonDump
	dec := json.NewDecoder(r)
	if err := dec.Decode(&dump); err != nil {
		return errs.Invalid("db", "backup is not valid JSON: %v", err)
	}
	if dump.Format != BackupFormat {
		return errs.Invalid("format", "expected %q, got %q", BackupFormat, dump.Format)
	}
	if dump.Version != 1 {
		return errs.Invalid("version", "unsupported backup version %d", dump.Version)
	}
	conn, err := database.OpenSQLite(path)
	if err != nil {
		return err
	}
	defer closeGorm(conn)
	if err := database.MigrateSchema(conn); err != nil {
		return err
	}
	upgradeDumpAPITokens(dump.Tables["api_tokens"])
	return conn.Transaction(func(tx *gorm.DB) error {
		for _, m := range database.AllModels() {
			sch, err := parseSchema(tx, m)
			if err != nil {
				return err
			}
			rows, ok := dump.Tables[sch.Table]
			if !ok || len(rows) == 0 {
				continue
			}
			slice := reflect.MakeSlice(reflect.SliceOf(reflect.TypeOf(m).Elem()), len(rows), len(rows))
			for i, row := range rows {
				for col, raw := range row {
					f := sch.FieldsByDBName[col]
					if f == nil {
						continue // a column this version does not know
					}
					dst := reflect.New(f.FieldType)
					if err := json.Unmarshal(raw, dst.Interface()); err != nil {
						return errs.Invalid(fmt.Sprintf("tables.%s[%d].%s", sch.Table, i, col), "%v", err)
					}
					slice.Index(i).FieldByIndex(f.StructField.Index).Set(dst.Elem())
				}
			}
			ptr := reflect.New(slice.Type())
			ptr.Elem().Set(slice)
			if err := tx.Omit(clause.Associations).CreateInBatches(ptr.Interface(), 500).Error; err != nil {
				return errs.Invalid("tables."+sch.Table, "cannot restore rows: %v", err)
			}
		}
		return nil
	})
}

// upgradeDumpAPITokens reads api_tokens rows of a dump made before the
// table took 3x-ui v3's columns: token_hash is now token, and a row
// without enabled was a working token (database.MigrateSchema does the
// same to a SQLite backup).
func upgradeDumpAPITokens(rows []map[string]json.RawMessage) {
	for _, row := range rows {
		if hash, ok := row["token_hash"]; ok {
			if _, has := row["token"]; !has {
				row["token"] = hash
			}
		}
		if _, ok := row["enabled"]; !ok {
			row["enabled"] = json.RawMessage("true")
		}
	}
}
