package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/upgrade3xui"
)

// runMigrate creates or updates the schema; on a database written by 3x-ui
// v2.x (or with -from-3x-ui) it first runs the in-place upgrade.
func runMigrate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	from3xui := fs.Bool("from-3x-ui", false, "upgrade a 3x-ui v2.x database in place (detected automatically on first start)")
	dryRun := fs.Bool("dry-run", false, "with -from-3x-ui: print what the upgrade would do and change nothing")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *dryRun && !*from3xui {
		fmt.Fprintln(stderr, "dry-run: only valid with -from-3x-ui")
		return 2
	}
	if _, err := config.Load(); err != nil {
		fmt.Fprintf(stderr, "x-ui.json: %v\n", err)
		return 1
	}
	if *from3xui {
		if config.GetDBConfigFromJSON().Type == config.DBTypeMariaDB && !*dryRun {
			fmt.Fprintln(stderr, "from-3x-ui: x-ui.json selects MariaDB; the upgrade works on the SQLite file "+config.GetDBPath()+
				" (switch dbType back to sqlite, or use x-ui migrate-db -direction sqlite-to-mariadb which upgrades first)")
			return 2
		}
		report, err := upgrade3xui.Run(upgrade3xui.Options{DBPath: config.GetDBPath(), DryRun: *dryRun})
		if err != nil {
			fmt.Fprintf(stderr, "migrate -from-3x-ui: %v\n", err)
			return 1
		}
		report.Print(stdout)
		if *dryRun {
			return 0
		}
	} else if code := upgradeIfPending(stdout, stderr); code != 0 {
		return code
	}
	if err := database.InitDB(); err != nil {
		fmt.Fprintf(stderr, "migrate: %v\n", err)
		return 1
	}
	defer database.CloseDB()
	fmt.Fprintln(stdout, "Migration done")
	return 0
}

// upgradeIfPending runs the 3x-ui upgrade when the node's SQLite file was
// written by 3x-ui v2.x and has not been upgraded yet (no backup next to
// it). It returns a non-zero exit code on failure.
func upgradeIfPending(stdout, stderr io.Writer) int {
	if config.GetDBConfigFromJSON().Type == config.DBTypeMariaDB {
		return 0
	}
	return upgradeSQLiteIfPending(stdout, stderr)
}

// upgradeSQLiteIfPending is upgradeIfPending whatever dbType says: migrate-db
// reads the SQLite file even when x-ui.json already selects MariaDB.
func upgradeSQLiteIfPending(stdout, stderr io.Writer) int {
	path := config.GetDBPath()
	pending, err := upgrade3xui.Pending(path)
	if err != nil {
		fmt.Fprintf(stderr, "check %s for a 3x-ui database: %v\n", path, err)
		return 1
	}
	if !pending {
		return 0
	}
	fmt.Fprintf(stdout, "%s was written by 3x-ui v2.x: upgrading it in place\n", path)
	report, err := upgrade3xui.Run(upgrade3xui.Options{DBPath: path})
	if err != nil {
		if errors.Is(err, upgrade3xui.ErrNot3xUI) {
			return 0
		}
		fmt.Fprintf(stderr, "3x-ui upgrade: %v\n", err)
		return 1
	}
	report.Print(stdout)
	fmt.Fprintf(stdout, "Report saved to %s\n", report.File)
	return 0
}
