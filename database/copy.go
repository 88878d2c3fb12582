package database

import (
	"fmt"
	"reflect"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

const copyBatchSize = 500

// TableCount is the row count of one table after a copy.
type TableCount struct {
	Table  string
	Source int64
	Target int64
}

// CopyAllTables replaces every table of dst with the rows of src, in one
// transaction on dst, and verifies that row counts match before committing.
func CopyAllTables(src, dst *gorm.DB) ([]TableCount, error) {
	if err := Migrate(src); err != nil {
		return nil, fmt.Errorf("migrate source: %w", err)
	}
	if err := Migrate(dst); err != nil {
		return nil, fmt.Errorf("migrate target: %w", err)
	}
	models := AllModels()
	counts := make([]TableCount, 0, len(models))
	err := dst.Transaction(func(tx *gorm.DB) error {
		// Clear children before parents, then fill parents first.
		for i := len(models) - 1; i >= 0; i-- {
			if err := tx.Session(&gorm.Session{AllowGlobalUpdate: true}).Delete(models[i]).Error; err != nil {
				return fmt.Errorf("clear %T: %w", models[i], err)
			}
		}
		for _, m := range models {
			count, err := copyTable(src, tx, m)
			if err != nil {
				return err
			}
			counts = append(counts, count)
			if count.Source != count.Target {
				return fmt.Errorf("table %s: copied %d rows but source has %d", count.Table, count.Target, count.Source)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return counts, nil
}

func copyTable(src, dst *gorm.DB, m any) (TableCount, error) {
	stmt := &gorm.Statement{DB: src}
	if err := stmt.Parse(m); err != nil {
		return TableCount{}, err
	}
	table := stmt.Schema.Table
	count := TableCount{Table: table}
	if err := src.Model(m).Count(&count.Source).Error; err != nil {
		return count, fmt.Errorf("count %s: %w", table, err)
	}
	batch := reflect.New(reflect.SliceOf(reflect.TypeOf(m).Elem())).Interface()
	err := src.Model(m).FindInBatches(batch, copyBatchSize, func(btx *gorm.DB, _ int) error {
		if reflect.ValueOf(batch).Elem().Len() == 0 {
			return nil
		}
		// Omit associations: each table is copied on its own.
		return dst.Omit(clause.Associations).CreateInBatches(batch, copyBatchSize).Error
	}).Error
	if err != nil {
		return count, fmt.Errorf("copy %s: %w", table, err)
	}
	if err := dst.Model(m).Count(&count.Target).Error; err != nil {
		return count, fmt.Errorf("count target %s: %w", table, err)
	}
	return count, nil
}
