package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"

	"github.com/mhsanaei/3x-ui/v2/audit"
	"github.com/mhsanaei/3x-ui/v2/auth"
	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/settings"
	"gorm.io/gorm"
)

type settingFlags struct {
	show, reset, json                        bool
	port                                     int
	username, password, webBasePath, listen  string
	webDomain                                string
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
	fs.BoolVar(&f.json, "json", false, "With -show: print the settings as JSON")
	fs.BoolVar(&f.reset, "reset", false, "Reset panel network settings and shared settings to defaults")
	fs.IntVar(&f.port, "port", 0, "Set panel port")
	fs.StringVar(&f.username, "username", "", "Set login username")
	fs.StringVar(&f.password, "password", "", "Set login password (\"-\" reads it from standard input)")
	fs.StringVar(&f.webBasePath, "webBasePath", "", "Set base path for the panel")
	fs.StringVar(&f.listen, "listenIP", "", "Set panel listen IP")
	fs.StringVar(&f.webDomain, "webDomain", "", "Set the host names the panel answers to, comma separated (\"\" = its IP addresses, localhost and its certificate's names)")
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

// boolSettingFlags may be written "-show true" (3x-ui's scripts do): the
// flag package would stop at "true" and silently drop every later flag.
var boolSettingFlags = map[string]bool{"show": true, "reset": true, "json": true}

// joinBoolValues rewrites "-show true" as "-show=true" for the bool flags.
func joinBoolValues(args []string) []string {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		name := strings.TrimLeft(args[i], "-")
		if strings.HasPrefix(args[i], "-") && boolSettingFlags[name] && i+1 < len(args) {
			if v := strings.ToLower(args[i+1]); v == "true" || v == "false" {
				out = append(out, "-"+name+"="+v)
				i++
				continue
			}
		}
		out = append(out, args[i])
	}
	return out
}

// runSetting validates every requested change before writing any of them,
// and writes x-ui.json and the database both or neither.
func runSetting(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var f settingFlags
	fs := newSettingFlagSet(&f, stderr)
	if err := fs.Parse(joinBoolValues(args)); err != nil {
		fmt.Fprintln(stderr, "Invalid settings: nothing was changed")
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "Invalid settings: unexpected argument %q (every value follows its flag, e.g. -port 2053; nothing was changed)\n", fs.Arg(0))
		return 2
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	cfg, err := config.Load()
	if err != nil {
		fmt.Fprintf(stderr, "x-ui.json: %v (nothing was changed)\n", err)
		return 1
	}
	if set["password"] && f.password == "-" {
		pw, err := readPasswordLine(stdin)
		if err != nil {
			fmt.Fprintf(stderr, "Invalid settings: password: %v (nothing was changed)\n", err)
			return 2
		}
		f.password = pw
	}
	plan, err := validateSettingFlags(cfg, f, set)
	if err != nil {
		fmt.Fprintf(stderr, "Invalid settings: %v (nothing was changed)\n", err)
		return 2
	}
	if (f.reset || set["username"] || set["password"]) && cfg.Node.Role == config.NodeRoleWorker {
		fmt.Fprintln(stderr, "Invalid settings: -reset, -username and -password change shared data; run them on the master (nothing was changed)")
		return 2
	}
	plan.reset = f.reset
	plan.actor = cliActor("setting", set, cfg.Node.NodeID)
	if set["username"] || set["password"] {
		plan.credentials = &credentials{username: f.username, password: f.password}
	}
	if err := applySettingPlan(plan, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "%v (nothing was changed)\n", err)
		return 1
	}
	if f.show || f.json {
		if f.json {
			err = showSettingsJSON(stdout)
		} else {
			err = showSettings(stdout)
		}
		if err != nil {
			fmt.Fprintf(stderr, "x-ui.json: %v\n", err)
			return 1
		}
	}
	return 0
}

// readPasswordLine reads "-password -" from stdin, so it stays out of ps.
func readPasswordLine(stdin io.Reader) (string, error) {
	if stdin == nil {
		return "", errors.New("no standard input to read it from")
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("nothing was read from standard input")
	}
	return line, nil
}

// minPasswordLength matches the panel's own rule for the admin password.
const minPasswordLength = 8

// settingPlan is everything one `x-ui setting` call will change.
type settingPlan struct {
	updates     map[string]any  // x-ui.json keys
	db          config.DBConfig // the database after the updates
	role        config.NodeRole
	reset       bool
	credentials *credentials
	actor       cliAudit // who runs the command, for the audit log
}

type credentials struct{ username, password string }

// validateSettingFlags returns the plan, or the first bad field.
func validateSettingFlags(cfg config.Config, f settingFlags, set map[string]bool) (settingPlan, error) {
	updates := map[string]any{}
	if set["port"] {
		if f.port < 1 || f.port > 65535 {
			return settingPlan{}, fmt.Errorf("port: %d is not a TCP port (1-65535)", f.port)
		}
		updates["port"] = f.port
	}
	if set["webBasePath"] {
		if !basePathPattern.MatchString(f.webBasePath) || strings.Contains(f.webBasePath, "..") {
			return settingPlan{}, fmt.Errorf("webBasePath: %q may contain only letters, digits and . _ ~ / -", f.webBasePath)
		}
		updates["webBasePath"] = config.NormalizeBasePath(f.webBasePath)
	}
	if set["listenIP"] {
		ip := strings.TrimSpace(f.listen)
		if ip != "" && net.ParseIP(ip) == nil {
			return settingPlan{}, fmt.Errorf("listenIP: %q is not an IP address", f.listen)
		}
		updates["listen"] = ip
	}
	if set["webDomain"] {
		names, err := settings.NormalizeWebDomain(f.webDomain)
		if err != nil {
			return settingPlan{}, err
		}
		updates["webDomain"] = names
	}
	if set["username"] && strings.TrimSpace(f.username) == "" {
		return settingPlan{}, errors.New("username: must not be empty")
	}
	if set["password"] && len(f.password) < minPasswordLength {
		return settingPlan{}, fmt.Errorf("password: must be at least %d characters", minPasswordLength)
	}

	db, node := cfg.DB, cfg.Node
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
		return settingPlan{}, err
	}
	if err := config.ValidateNodeConfig(node, db); err != nil {
		return settingPlan{}, err
	}
	return settingPlan{updates: updates, db: db, role: node.Role}, nil
}

// applySettingPlan changes x-ui.json and the database both or neither: the
// database work runs in a transaction that commits only after x-ui.json was
// replaced, and a failed commit puts the previous x-ui.json back.
func applySettingPlan(p settingPlan, stdout, stderr io.Writer) error {
	needDB := p.reset || p.credentials != nil
	if !needDB && len(p.updates) == 0 {
		return nil
	}
	var conn *gorm.DB
	if needDB {
		c, err := database.Open(p.db, p.role, config.GetDBPath())
		if err != nil {
			return fmt.Errorf("database: %w", err)
		}
		conn = c
	} else {
		// Only x-ui.json changes: recorded when the log is at hand, but
		// never refused for want of it (see openForFileAudit).
		c, why := openForFileAudit(p)
		if c == nil {
			if _, err := config.ChangeSettingsJSON(p.updates, false); err != nil {
				return fmt.Errorf("write %s: %w", config.GetSettingPath(), err)
			}
			fmt.Fprintf(stderr, "Note: not recorded in the audit log: %s.\n", why)
			fmt.Fprintf(stdout, "Saved %d setting(s) to %s; restart x-ui to apply.\n", len(p.updates), config.GetSettingPath())
			return nil
		}
		conn = c
	}
	defer database.Close(conn)
	tx := conn.Begin()
	if tx.Error != nil {
		return fmt.Errorf("database: %w", tx.Error)
	}
	if err := sharedSettingChanges(tx, p); err != nil {
		tx.Rollback()
		return err
	}
	undo, err := config.ChangeSettingsJSON(p.updates, p.reset)
	if err != nil {
		tx.Rollback()
		return fmt.Errorf("write %s: %w", config.GetSettingPath(), err)
	}
	if err := tx.Commit().Error; err != nil {
		if uerr := undo(); uerr != nil {
			return fmt.Errorf("database commit: %v; and restoring %s failed: %v", err, config.GetSettingPath(), uerr)
		}
		return fmt.Errorf("database commit: %w", err)
	}
	if len(p.updates) > 0 {
		fmt.Fprintf(stdout, "Saved %d setting(s) to %s; restart x-ui to apply.\n", len(p.updates), config.GetSettingPath())
	}
	if p.reset {
		fmt.Fprintln(stdout, "Panel settings reset to defaults.")
	}
	if p.credentials != nil {
		fmt.Fprintln(stdout, "Login credentials updated.")
	}
	return nil
}

// sharedSettingChanges does the database half inside tx. A reset changes
// shared settings, so it bumps the shared version: workers follow it.
func sharedSettingChanges(tx *gorm.DB, p settingPlan) error {
	if p.credentials != nil {
		var before model.User
		if err := tx.Order("id").Limit(1).Find(&before).Error; err != nil {
			return fmt.Errorf("update credentials: %w", err)
		}
		if err := database.SetAdminCredentials(tx, p.credentials.username, p.credentials.password); err != nil {
			return fmt.Errorf("update credentials: %w", err)
		}
		// The command also makes that admin an owner again (the way back
		// in for a demoted or locked-out first admin): the row says so.
		e := audit.Entry{Action: "user.update", TargetKind: "user", TargetID: strconv.Itoa(before.Id)}
		if c := audit.Value("username", before.Username, p.credentials.username); c != nil && p.credentials.username != "" {
			e.Changes = append(e.Changes, *c)
		}
		if c := audit.Value("role", before.Role, string(auth.RoleOwner)); c != nil {
			e.Changes = append(e.Changes, *c)
		}
		if p.credentials.password != "" {
			e.Changes = append(e.Changes, audit.Change{Field: "password", Before: audit.Masked, After: audit.Masked})
		}
		if err := p.actor.record(tx, e); err != nil {
			return err
		}
	}
	if p.reset {
		if err := tx.Where("1 = 1").Delete(&model.Setting{}).Error; err != nil {
			return fmt.Errorf("reset: %w", err)
		}
		if err := database.BumpSharedAccountsVersion(tx); err != nil {
			return fmt.Errorf("reset: %w", err)
		}
		if err := p.actor.record(tx, audit.Entry{Action: "settings.reset", TargetKind: "settings"}); err != nil {
			return err
		}
	}
	if len(p.updates) > 0 {
		// x-ui.json changes commit with this transaction (applySettingPlan).
		e := audit.Entry{Action: "panel.update", TargetKind: "x-ui.json", TargetID: p.actor.node,
			Changes: audit.Diff("", nil, p.updates)}
		if err := p.actor.record(tx, e); err != nil {
			return err
		}
	}
	return nil
}

// settingsView is what -show prints, as key: value lines or (-json) JSON.
type settingsView struct {
	HasDefaultCredential string `json:"hasDefaultCredential"`
	Port                 int    `json:"port"`
	WebBasePath          string `json:"webBasePath"`
	ListenIP             string `json:"listenIP"`
	WebDomain            string `json:"webDomain"`
	DBType               string `json:"dbType"`
	DBHost               string `json:"dbHost,omitempty"`
	DBPort               int    `json:"dbPort,omitempty"`
	DBUser               string `json:"dbUser,omitempty"`
	DBName               string `json:"dbName,omitempty"`
	DBTLS                string `json:"dbTLS,omitempty"`
	NodeRole             string `json:"nodeRole"`
	NodeID               string `json:"nodeId"`
	NodeAddress          string `json:"nodeAddress"`
	SyncInterval         int    `json:"syncInterval"`
	TrafficFlushInterval int    `json:"trafficFlushInterval"`
	DatabaseError        string `json:"databaseError,omitempty"`
}

// currentSettings reads x-ui.json and, without creating or migrating
// anything, whether the default login still works.
func currentSettings() (settingsView, error) {
	cfg, err := config.Load()
	if err != nil {
		return settingsView{}, err
	}
	v := settingsView{
		HasDefaultCredential: "unknown",
		Port:                 cfg.Panel.Port, WebBasePath: cfg.Panel.BasePath, ListenIP: cfg.Panel.Listen, WebDomain: cfg.Panel.WebDomain,
		DBType:   cfg.DB.Type,
		NodeRole: string(cfg.Node.Role), NodeID: cfg.Node.NodeID, NodeAddress: cfg.Node.NodeAddress,
		SyncInterval: cfg.Node.SyncIntervalSeconds, TrafficFlushInterval: cfg.Node.TrafficFlushSeconds,
	}
	if cfg.DB.Type == config.DBTypeMariaDB {
		v.DBHost, v.DBPort, v.DBUser, v.DBName, v.DBTLS = cfg.DB.Host, cfg.DB.Port, cfg.DB.User, cfg.DB.Name, cfg.DB.TLS
	}
	conn, err := database.OpenForReading(cfg.DB, config.GetDBPath())
	switch {
	case err != nil:
		v.DatabaseError = err.Error()
	case conn == nil:
		// A fresh install: the first start seeds admin/admin.
		v.HasDefaultCredential = "true"
	default:
		if ok, err := database.HasDefaultCredential(conn); err == nil {
			v.HasDefaultCredential = fmt.Sprint(ok)
		} else {
			v.DatabaseError = err.Error()
		}
		database.Close(conn)
	}
	return v, nil
}

func showSettings(w io.Writer) error {
	v, err := currentSettings()
	if err != nil {
		return err
	}
	if v.DatabaseError != "" {
		fmt.Fprintf(w, "database error: %s\n", v.DatabaseError)
	}
	lines := [][2]any{
		{"hasDefaultCredential", v.HasDefaultCredential}, {"port", v.Port},
		{"webBasePath", v.WebBasePath}, {"listenIP", v.ListenIP}, {"webDomain", v.WebDomain}, {"dbType", v.DBType},
	}
	if v.DBType == config.DBTypeMariaDB {
		lines = append(lines, [][2]any{{"dbHost", v.DBHost}, {"dbPort", v.DBPort},
			{"dbUser", v.DBUser}, {"dbName", v.DBName}, {"dbTLS", v.DBTLS}}...)
	}
	lines = append(lines, [][2]any{{"nodeRole", v.NodeRole}, {"nodeId", v.NodeID},
		{"nodeAddress", v.NodeAddress}, {"syncInterval", v.SyncInterval},
		{"trafficFlushInterval", v.TrafficFlushInterval}}...)
	for _, l := range lines {
		fmt.Fprintf(w, "%s: %v\n", l[0], l[1])
	}
	return nil
}

func showSettingsJSON(w io.Writer) error {
	v, err := currentSettings()
	if err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
