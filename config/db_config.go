package config

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
)

const (
	DBTypeSQLite  = "sqlite"
	DBTypeMariaDB = "mariadb"
)

// DBConfig says which database the panel uses and how to reach it.
type DBConfig struct {
	Type     string
	Host     string
	Port     int
	User     string
	Password string
	Name     string
	// TLS is "" / "false" (off), "true" (verified), "skip-verify" or "preferred".
	TLS string
}

func defaultDBConfig() DBConfig {
	return DBConfig{Type: DBTypeSQLite, Host: "127.0.0.1", Port: 3306, Name: "3xui"}
}

// NormalizeDBType maps accepted spellings onto the canonical type names.
func NormalizeDBType(t string) string {
	switch strings.ToLower(strings.TrimSpace(t)) {
	case "", "sqlite", "sqlite3":
		return DBTypeSQLite
	case "mariadb", "mysql":
		return DBTypeMariaDB
	default:
		return strings.ToLower(strings.TrimSpace(t))
	}
}

// GetDBConfigFromJSON reads the databaseConnection group of x-ui.json.
// XUI_DB_* variables override the stored values (XUI_DB_PASSWORD keeps the
// password out of the file).
func GetDBConfigFromJSON() DBConfig {
	return dbConfigFrom(loadSettingsOrEmpty())
}

func dbConfigFrom(settings map[string]any) DBConfig {
	cfg := defaultDBConfig()
	if v := readGroupedString(settings, "dbType"); v != "" {
		cfg.Type = NormalizeDBType(v)
	}
	if v := readGroupedString(settings, "dbHost"); v != "" {
		cfg.Host = v
	}
	cfg.Port = readGroupedInt(settings, "dbPort", cfg.Port)
	cfg.User = readGroupedString(settings, "dbUser")
	cfg.Password = readGroupedString(settings, "dbPassword")
	if v := readGroupedString(settings, "dbName"); v != "" {
		cfg.Name = v
	}
	cfg.TLS = strings.ToLower(readGroupedString(settings, "dbTLS"))
	applyDBEnvOverrides(&cfg)
	return cfg
}

// applyDBEnvOverrides lets the environment (containers, service managers,
// test runners) override the stored connection: XUI_DB_TYPE, XUI_DB_HOST,
// XUI_DB_PORT, XUI_DB_USER, XUI_DB_PASSWORD, XUI_DB_NAME, XUI_DB_TLS.
func applyDBEnvOverrides(cfg *DBConfig) {
	if v := os.Getenv("XUI_DB_TYPE"); v != "" {
		cfg.Type = NormalizeDBType(v)
	}
	if v := os.Getenv("XUI_DB_HOST"); v != "" {
		cfg.Host = v
	}
	if v := os.Getenv("XUI_DB_PORT"); v != "" {
		if port, err := strconv.Atoi(v); err == nil {
			cfg.Port = port
		}
	}
	if v := os.Getenv("XUI_DB_USER"); v != "" {
		cfg.User = v
	}
	if pw, ok := os.LookupEnv("XUI_DB_PASSWORD"); ok {
		cfg.Password = pw
	}
	if v := os.Getenv("XUI_DB_NAME"); v != "" {
		cfg.Name = v
	}
	if v := os.Getenv("XUI_DB_TLS"); v != "" {
		cfg.TLS = strings.ToLower(v)
	}
}

var dbNamePattern = regexp.MustCompile(`^[A-Za-z0-9_$-]{1,64}$`)

// ValidateDBConfig names the first field that is wrong.
func ValidateDBConfig(cfg DBConfig) error {
	switch cfg.Type {
	case DBTypeSQLite:
		return nil
	case DBTypeMariaDB:
	default:
		return fmt.Errorf("dbType: unsupported database type %q (use sqlite or mariadb)", cfg.Type)
	}
	if strings.TrimSpace(cfg.Host) == "" {
		return fmt.Errorf("dbHost: must not be empty for mariadb")
	}
	if cfg.Port < 1 || cfg.Port > 65535 {
		return fmt.Errorf("dbPort: %d is not a TCP port (1-65535)", cfg.Port)
	}
	if !dbNamePattern.MatchString(cfg.Name) {
		return fmt.Errorf("dbName: %q must be 1-64 letters, digits, '_', '$' or '-'", cfg.Name)
	}
	switch cfg.TLS {
	case "", "false", "true", "skip-verify", "preferred":
	default:
		return fmt.Errorf("dbTLS: %q must be false, true, skip-verify or preferred", cfg.TLS)
	}
	return nil
}
