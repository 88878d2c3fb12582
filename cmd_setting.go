package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/model"
)

type settingFlags struct {
	show, reset                              bool
	port                                     int
	username, password, webBasePath, listen  string
	dbType, dbHost, dbUser, dbPassword, name string
	dbPort                                   int
	dbTLS                                    string
	nodeRole, nodeID, nodeAddress            string
	syncInterval, trafficFlushInterval       int
}

func newSettingFlagSet(f *settingFlags, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("setting", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.BoolVar(&f.show, "show", false, "Display current settings")
	fs.BoolVar(&f.reset, "reset", false, "Reset panel network settings and shared settings to defaults")
	fs.IntVar(&f.port, "port", 0, "Set panel port")
	fs.StringVar(&f.username, "username", "", "Set login username")
	fs.StringVar(&f.password, "password", "", "Set login password")
	fs.StringVar(&f.webBasePath, "webBasePath", "", "Set base path for the panel")
	fs.StringVar(&f.listen, "listenIP", "", "Set panel listen IP")
	fs.StringVar(&f.dbType, "dbType", "", "Set database type (sqlite or mariadb)")
	fs.StringVar(&f.dbHost, "dbHost", "", "Set MariaDB host")
	fs.IntVar(&f.dbPort, "dbPort", 0, "Set MariaDB port")
	fs.StringVar(&f.dbUser, "dbUser", "", "Set MariaDB user")
	fs.StringVar(&f.dbPassword, "dbPassword", "", "Set MariaDB password")
	fs.StringVar(&f.name, "dbName", "", "Set MariaDB database name")
	fs.StringVar(&f.dbTLS, "dbTLS", "", "Set MariaDB TLS mode (false, true, skip-verify, preferred)")
	fs.StringVar(&f.nodeRole, "nodeRole", "", "Set node role (master or worker)")
	fs.StringVar(&f.nodeID, "nodeId", "", "Set node identifier")
	fs.StringVar(&f.nodeAddress, "nodeAddress", "", "Set the address clients use to reach this node")
	fs.IntVar(&f.syncInterval, "syncInterval", 0, "Set shared sync interval in seconds")
	fs.IntVar(&f.trafficFlushInterval, "trafficFlushInterval", 0, "Set traffic flush interval in seconds")
	return fs
}

var basePathPattern = regexp.MustCompile(`^/?[A-Za-z0-9._~/-]*$`)

// runSetting validates every requested change before writing any of them.
func runSetting(args []string, stdout, stderr io.Writer) int {
	var f settingFlags
	fs := newSettingFlagSet(&f, stderr)
	if err := fs.Parse(args); err != nil {
		fmt.Fprintln(stderr, "Invalid settings: nothing was changed")
		return 2
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })

	updates, err := validateSettingFlags(f, set)
	if err != nil {
		fmt.Fprintf(stderr, "Invalid settings: %v (nothing was changed)\n", err)
		return 2
	}
	if (f.reset || set["username"] || set["password"]) && config.GetNodeConfigFromJSON().Role == config.NodeRoleWorker {
		fmt.Fprintln(stderr, "Invalid settings: -reset, -username and -password change shared data; run them on the master (nothing was changed)")
		return 2
	}
	if f.reset {
		if err := resetSettings(stdout); err != nil {
			fmt.Fprintf(stderr, "reset: %v\n", err)
			return 1
		}
	}
	if len(updates) > 0 {
		if err := config.WriteSettingsToJSON(updates); err != nil {
			fmt.Fprintf(stderr, "write %s: %v\n", config.GetSettingPath(), err)
			return 1
		}
		fmt.Fprintf(stdout, "Saved %d setting(s) to %s; restart x-ui to apply.\n", len(updates), config.GetSettingPath())
	}
	if set["username"] || set["password"] {
		if err := updateCredentials(f.username, f.password); err != nil {
			fmt.Fprintf(stderr, "update credentials: %v\n", err)
			return 1
		}
		fmt.Fprintln(stdout, "Login credentials updated.")
	}
	if f.show {
		showSettings(stdout)
	}
	return 0
}

// validateSettingFlags returns the x-ui.json updates, or the first bad field.
func validateSettingFlags(f settingFlags, set map[string]bool) (map[string]any, error) {
	updates := map[string]any{}
	if set["port"] {
		if f.port < 1 || f.port > 65535 {
			return nil, fmt.Errorf("port: %d is not a TCP port (1-65535)", f.port)
		}
		updates["port"] = f.port
	}
	if set["webBasePath"] {
		if !basePathPattern.MatchString(f.webBasePath) || strings.Contains(f.webBasePath, "..") {
			return nil, fmt.Errorf("webBasePath: %q may contain only letters, digits and . _ ~ / -", f.webBasePath)
		}
		updates["webBasePath"] = config.NormalizeBasePath(f.webBasePath)
	}
	if set["listenIP"] {
		updates["listen"] = strings.TrimSpace(f.listen)
	}
	if set["username"] && strings.TrimSpace(f.username) == "" {
		return nil, errors.New("username: must not be empty")
	}
	if set["password"] && len(f.password) < 4 {
		return nil, errors.New("password: must be at least 4 characters")
	}

	db := config.GetDBConfigFromJSON()
	node := config.GetNodeConfigFromJSON()
	// Each flag sets its field on the candidate config and returns the
	// value stored in x-ui.json (the flag name is also the JSON key).
	fields := []struct {
		flag  string
		apply func() any
	}{
		{"dbType", func() any { db.Type = config.NormalizeDBType(f.dbType); return db.Type }},
		{"dbHost", func() any { db.Host = f.dbHost; return f.dbHost }},
		{"dbPort", func() any { db.Port = f.dbPort; return f.dbPort }},
		{"dbUser", func() any { db.User = f.dbUser; return f.dbUser }},
		{"dbPassword", func() any { db.Password = f.dbPassword; return f.dbPassword }},
		{"dbName", func() any { db.Name = f.name; return f.name }},
		{"dbTLS", func() any { db.TLS = strings.ToLower(f.dbTLS); return db.TLS }},
		{"nodeRole", func() any { node.Role = config.NodeRole(f.nodeRole); return f.nodeRole }},
		{"nodeId", func() any { node.NodeID = f.nodeID; return f.nodeID }},
		{"nodeAddress", func() any { node.NodeAddress = f.nodeAddress; return f.nodeAddress }},
		{"syncInterval", func() any { node.SyncIntervalSeconds = f.syncInterval; return f.syncInterval }},
		{"trafficFlushInterval", func() any { node.TrafficFlushSeconds = f.trafficFlushInterval; return f.trafficFlushInterval }},
	}
	for _, field := range fields {
		if set[field.flag] {
			updates[field.flag] = field.apply()
		}
	}
	if err := config.ValidateDBConfig(db); err != nil {
		return nil, err
	}
	if err := config.ValidateNodeConfig(node, db); err != nil {
		return nil, err
	}
	return updates, nil
}

func resetSettings(stdout io.Writer) error {
	if err := config.ResetPanelSettings(); err != nil {
		return err
	}
	if err := database.InitDB(); err != nil {
		return err
	}
	defer database.CloseDB()
	if err := database.GetDB().Where("1 = 1").Delete(&model.Setting{}).Error; err != nil {
		return err
	}
	fmt.Fprintln(stdout, "Panel settings reset to defaults.")
	return nil
}

func updateCredentials(username, password string) error {
	if err := database.InitDB(); err != nil {
		return err
	}
	defer database.CloseDB()
	return database.SetAdminCredentials(database.GetDB(), username, password)
}

func showSettings(w io.Writer) {
	panel := config.GetPanelConfigFromJSON()
	db := config.GetDBConfigFromJSON()
	node := config.GetNodeConfigFromJSON()
	hasDefault := "unknown"
	if err := database.InitDB(); err != nil {
		fmt.Fprintf(w, "database error: %v\n", err)
	} else {
		if ok, err := database.HasDefaultCredential(database.GetDB()); err == nil {
			hasDefault = fmt.Sprint(ok)
		}
		database.CloseDB()
	}
	fmt.Fprintln(w, "hasDefaultCredential:", hasDefault)
	fmt.Fprintln(w, "port:", panel.Port)
	fmt.Fprintln(w, "webBasePath:", panel.BasePath)
	fmt.Fprintln(w, "listenIP:", panel.Listen)
	fmt.Fprintln(w, "dbType:", db.Type)
	if db.Type == config.DBTypeMariaDB {
		fmt.Fprintln(w, "dbHost:", db.Host)
		fmt.Fprintln(w, "dbPort:", db.Port)
		fmt.Fprintln(w, "dbUser:", db.User)
		fmt.Fprintln(w, "dbName:", db.Name)
		fmt.Fprintln(w, "dbTLS:", db.TLS)
	}
	fmt.Fprintln(w, "nodeRole:", node.Role)
	fmt.Fprintln(w, "nodeId:", node.NodeID)
	fmt.Fprintln(w, "nodeAddress:", node.NodeAddress)
	fmt.Fprintln(w, "syncInterval:", node.SyncIntervalSeconds)
	fmt.Fprintln(w, "trafficFlushInterval:", node.TrafficFlushSeconds)
}
