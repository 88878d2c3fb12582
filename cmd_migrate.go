package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/database"
	"gorm.io/gorm"
)

func runMigrate(stdout, stderr io.Writer) int {
	if _, err := config.Load(); err != nil {
		fmt.Fprintf(stderr, "x-ui.json: %v\n", err)
		return 1
	}
	if err := database.InitDB(); err != nil {
		fmt.Fprintf(stderr, "migrate: %v\n", err)
		return 1
	}
	defer database.CloseDB()
	fmt.Fprintln(stdout, "Migration done")
	return 0
}

// runMigrateDB copies every table between the SQLite file in XUI_DB_FOLDER
// and the MariaDB database configured in x-ui.json.
func runMigrateDB(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("migrate-db", flag.ContinueOnError)
	fs.SetOutput(stderr)
	direction := fs.String("direction", "", "sqlite-to-mariadb or mariadb-to-sqlite")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg, err := config.Load()
	if err != nil {
		fmt.Fprintf(stderr, "x-ui.json: %v\n", err)
		return 1
	}
	mariaCfg := cfg.DB
	mariaCfg.Type = config.DBTypeMariaDB
	if *direction != "sqlite-to-mariadb" && *direction != "mariadb-to-sqlite" {
		fmt.Fprintf(stderr, "direction: must be sqlite-to-mariadb or mariadb-to-sqlite, got %q\n", *direction)
		return 2
	}
	sqliteDB, err := database.OpenSQLite(config.GetDBPath())
	if err != nil {
		fmt.Fprintf(stderr, "migrate-db: %v\n", err)
		return 1
	}
	defer closeGorm(sqliteDB)
	mariaDB, err := database.OpenMariaDB(mariaCfg)
	if err != nil {
		fmt.Fprintf(stderr, "migrate-db: %v\n", err)
		return 1
	}
	defer closeGorm(mariaDB)

	src, dst := sqliteDB, mariaDB
	if *direction == "mariadb-to-sqlite" {
		src, dst = mariaDB, sqliteDB
	}
	counts, err := database.CopyAllTables(src, dst)
	if err != nil {
		fmt.Fprintf(stderr, "migrate-db: %v (nothing was changed in the target)\n", err)
		return 1
	}
	for _, c := range counts {
		fmt.Fprintf(stdout, "%-22s %d rows\n", c.Table, c.Target)
	}
	target := config.DBTypeMariaDB
	if *direction == "mariadb-to-sqlite" {
		target = config.DBTypeSQLite
	}
	fmt.Fprintf(stdout, "Copy verified. To use it: x-ui setting -dbType %s, then restart x-ui.\n", target)
	return 0
}

func closeGorm(conn *gorm.DB) {
	if sqlDB, err := conn.DB(); err == nil {
		sqlDB.Close()
	}
}
