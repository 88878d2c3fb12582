// Command x-ui is a 3x-ui-compatible web panel for Xray-core with
// multi-node shared control.
package main

import (
	"context"
	"fmt"
	"github.com/mhsanaei/3x-ui/v2/cluster"
	"io"
	"log"
	"os"
	"os/signal"
	"syscall"

	"github.com/mhsanaei/3x-ui/v2/app"
	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/logging"
)

func main() {
	os.Exit(runCLI(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// runCLI dispatches a command line and returns the process exit code.
func runCLI(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		return runPanel(stderr)
	}
	switch args[0] {
	case "run":
		return runPanel(stderr)
	case "-v", "--version", "version":
		fmt.Fprintln(stdout, config.GetVersion())
		return 0
	case "setting":
		return runSetting(args[1:], stdin, stdout, stderr)
	case "migrate":
		return runMigrate(args[1:], stdout, stderr)
	case "migrate-db":
		return runMigrateDB(args[1:], stdout, stderr)
	case "stop":
		return runStop(args[1:], stdout, stderr)
	case "-h", "--help", "help":
		printUsage(stdout)
		return 0
	default:
		fmt.Fprintf(stderr, "unknown command %q\n", args[0])
		printUsage(stderr)
		return 2
	}
}

func printUsage(w io.Writer) {
	fmt.Fprintf(w, `Usage: %s [command]

Commands:
  run          start the panel, subscription server and Xray (default)
  stop         stop the running panel and its Xray (a restart keeps Xray)
  setting      show or change node-local settings (x-ui setting -h)
  migrate      create or update the database schema (-from-3x-ui [-dry-run]: upgrade a 3x-ui v2.x database)
  migrate-db   copy all data: -direction sqlite-to-mariadb|mariadb-to-sqlite
  -v           print the version
`, config.GetName())
}

// handoffExitCode ends a panel that left Xray running; the systemd unit
// restarts the panel on it (RestartForceExitStatus).
const handoffExitCode = 75

func runPanel(stderr io.Writer) int {
	logFile, recentLog := logging.Setup(stderr)
	defer logFile.Close()
	log.Printf("Starting %v %v (log level %s, log file in %s)", config.GetName(), config.GetVersion(), config.GetLogLevel(), config.GetLogFolder())
	cfg, err := config.Load()
	if err != nil {
		fmt.Fprintf(stderr, "x-ui.json: %v\n", err)
		return 1
	}
	nodeCfg := cfg.Node
	if err := config.ValidateNodeConfig(nodeCfg, cfg.DB); err != nil {
		fmt.Fprintf(stderr, "invalid node configuration: %v\n", err)
		return 1
	}
	if nodeCfg.Role != config.NodeRoleWorker {
		if code := upgradeIfPending(os.Stdout, stderr); code != 0 {
			return code
		}
		// The upgrade may have moved 3x-ui's port and paths into x-ui.json.
		if cfg, err = config.Load(); err != nil {
			fmt.Fprintf(stderr, "x-ui.json: %v\n", err)
			return 1
		}
	}
	if err := database.InitDB(); err != nil {
		if nodeCfg.Role != config.NodeRoleWorker {
			fmt.Fprintf(stderr, "database: %v\n", err)
			return 1
		}
		// A worker serves from its cached snapshot and reconnects later.
		log.Printf("database unreachable, starting from the cached snapshot: %v", err)
	}
	defer database.CloseDB()

	defer writePanelPid()()
	// SIGINT (Ctrl-C) stops everything; SIGTERM and SIGUSR2 end the panel
	// alone unless `x-ui stop` marked this panel first (see cmd_stop.go).
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	leave := make(chan os.Signal, 1)
	signal.Notify(leave, syscall.SIGTERM, syscall.SIGUSR2)
	// The role is fixed here; changing it takes a restart.
	db := database.Process()
	node := cluster.NewNode(cfg.Node, cfg.DB.Type == config.DBTypeMariaDB, db)
	server := app.NewServer(cfg.Panel, app.Options{DB: db, Node: node, PanelLog: recentLog})
	if err := server.Start(ctx); err != nil {
		fmt.Fprintf(stderr, "start panel: %v\n", err)
		return 1
	}
	log.Printf("Panel %s", server.Describe())
	if conn := db.Current(); conn == nil {
		log.Printf("panel pages need the database; they answer once it is reachable")
	} else if isDefault, err := database.HasDefaultCredential(conn); err == nil && isDefault {
		log.Printf("WARNING: the panel still accepts the default login admin/admin; change it now (x-ui setting -username ... -password ...)")
	}
	select {
	case sig := <-leave:
		if sig == syscall.SIGTERM && stopRequested() {
			break
		}
		log.Printf("Shutting down the panel (%v); xray keeps serving", sig)
		if err := server.StopLeavingXray(); err != nil {
			fmt.Fprintf(stderr, "stop panel: %v\n", err)
			return 1
		}
		if sig == syscall.SIGUSR2 {
			return handoffExitCode
		}
		return 0
	case <-ctx.Done():
	}
	log.Printf("Shutting down the panel and xray")
	if err := server.Stop(); err != nil {
		fmt.Fprintf(stderr, "stop panel: %v\n", err)
		return 1
	}
	return 0
}
