// Package config holds the node-local configuration: names, environment
// variables, file locations and the grouped x-ui.json settings file.
package config

import (
	"os"
	"path/filepath"
	"strings"
)

const (
	name    = "x-ui"
	version = "2.0.0"
)

// LogLevel is the panel's log verbosity.
type LogLevel string

const (
	Debug   LogLevel = "debug"
	Info    LogLevel = "info"
	Notice  LogLevel = "notice"
	Warning LogLevel = "warning"
	Error   LogLevel = "error"
)

func GetName() string    { return name }
func GetVersion() string { return version }

// GetLogLevel reads XUI_LOG_LEVEL; debug mode forces debug.
func GetLogLevel() LogLevel {
	if IsDebug() {
		return Debug
	}
	switch level := LogLevel(strings.ToLower(os.Getenv("XUI_LOG_LEVEL"))); level {
	case Debug, Info, Notice, Warning, Error:
		return level
	default:
		return Info
	}
}

// IsDebug reports whether XUI_DEBUG is set to true.
func IsDebug() bool { return os.Getenv("XUI_DEBUG") == "true" }

func envOr(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}

// GetBinFolderPath is where the Xray binary, its config.json and geo files live.
func GetBinFolderPath() string { return envOr("XUI_BIN_FOLDER", "bin") }

// GetDBFolderPath holds x-ui.db, x-ui.json and the multi-node runtime files.
func GetDBFolderPath() string { return envOr("XUI_DB_FOLDER", "/etc/x-ui") }

// GetLogFolder is where the panel writes its own log files.
func GetLogFolder() string { return envOr("XUI_LOG_FOLDER", "/var/log/x-ui") }

func GetDBPath() string      { return filepath.Join(GetDBFolderPath(), name+".db") }
func GetSettingPath() string { return filepath.Join(GetDBFolderPath(), name+".json") }

// GetSharedCachePath is the worker's last good shared snapshot.
func GetSharedCachePath() string {
	return filepath.Join(GetDBFolderPath(), "shared-cache.json")
}

// GetTrafficPendingPath is the durable traffic-delta state file.
func GetTrafficPendingPath() string {
	return filepath.Join(GetDBFolderPath(), "traffic-pending.json")
}
