package config

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/mhsanaei/3x-ui/v2/util/atomicfile"
)

// settingGroupAliases maps a key to the groups searched for it, in order: its
// own group first, then the legacy "other" group. A flat top-level key is the
// last fallback (older installs wrote everything flat).
var settingGroupAliases = map[string][]string{
	"dbType":     {"databaseConnection", "other"},
	"dbHost":     {"databaseConnection", "other"},
	"dbPort":     {"databaseConnection", "other"},
	"dbUser":     {"databaseConnection", "other"},
	"dbPassword": {"databaseConnection", "other"},
	"dbName":     {"databaseConnection", "other"},
	"dbTLS":      {"databaseConnection", "other"},

	"nodeRole":             {"node", "other"},
	"nodeId":               {"node", "other"},
	"nodeAddress":          {"node", "other"},
	"syncInterval":         {"node", "other"},
	"trafficFlushInterval": {"node", "other"},

	"listen":      {"panelNetwork", "other"},
	"port":        {"panelNetwork", "other"},
	"webBasePath": {"panelNetwork", "other"},
	"webDomain":   {"panelNetwork", "other"},

	"certFile": {"panelTLS", "other"},
	"keyFile":  {"panelTLS", "other"},

	"secret":        {"panelSecurity", "other"},
	"sessionMaxAge": {"panelSecurity", "other"},
}

// settingsFileMu serialises read-modify-write cycles of x-ui.json in-process.
var settingsFileMu sync.Mutex

// LoadSettingsJSON returns the parsed x-ui.json; a missing file is empty, a
// damaged one a *FileError (so a writer never replaces it with defaults).
func LoadSettingsJSON() (map[string]any, error) {
	return readSettingsFile(GetSettingPath())
}

// loadSettingsOrEmpty is for readers that fall back to defaults on any error.
func loadSettingsOrEmpty() map[string]any {
	settings, err := LoadSettingsJSON()
	if err != nil {
		return map[string]any{}
	}
	return settings
}

// lookupGrouped finds key in its groups, then "other", then top level.
func lookupGrouped(settings map[string]any, key string) (any, bool) {
	groups, ok := settingGroupAliases[key]
	if !ok {
		groups = []string{"other"}
	}
	for _, groupName := range groups {
		if group, ok := settings[groupName].(map[string]any); ok {
			if value, ok := group[key]; ok && value != nil {
				return value, true
			}
		}
	}
	value, ok := settings[key]
	return value, ok && value != nil
}

func readGroupedString(settings map[string]any, key string) string {
	value, ok := lookupGrouped(settings, key)
	if !ok {
		return ""
	}
	switch v := value.(type) {
	case string:
		return v
	case float64:
		if v == math.Trunc(v) {
			return strconv.FormatInt(int64(v), 10)
		}
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	default:
		return fmt.Sprint(v)
	}
}

func readGroupedInt(settings map[string]any, key string, fallback int) int {
	value, ok := lookupGrouped(settings, key)
	if !ok {
		return fallback
	}
	switch v := value.(type) {
	case float64:
		return int(v)
	case int:
		return v
	case string:
		if i, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
			return i
		}
	}
	return fallback
}

func readGroupedBool(settings map[string]any, key string) bool {
	switch strings.ToLower(readGroupedString(settings, key)) {
	case "true", "1", "yes", "on":
		return true
	}
	return false
}

// settingGroupOf names the group a key is written to ("" = top level).
func settingGroupOf(key string) string {
	if groups, ok := settingGroupAliases[key]; ok && len(groups) > 0 {
		return groups[0]
	}
	return ""
}

// WriteSettingToJSON stores value under key in the key's own group and removes
// legacy copies (in "other" or flat) that could shadow it for older readers.
// The file is replaced atomically with mode 0600: it holds the DB password.
func WriteSettingToJSON(key string, value any) error {
	return WriteSettingsToJSON(map[string]any{key: value})
}

// WriteSettingsToJSON writes several keys in one atomic replace.
func WriteSettingsToJSON(values map[string]any) error {
	settingsFileMu.Lock()
	defer settingsFileMu.Unlock()
	settings, err := LoadSettingsJSON()
	if err != nil {
		return err
	}
	for key, value := range values {
		placeSetting(settings, key, value)
	}
	data, err := json.MarshalIndent(settings, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(GetDBFolderPath(), 0o755); err != nil {
		return err
	}
	return atomicfile.Write(GetSettingPath(), append(data, '\n'), 0o600)
}

func placeSetting(settings map[string]any, key string, value any) {
	groupName := settingGroupOf(key)
	if groupName == "" {
		settings[key] = value
		return
	}
	group, ok := settings[groupName].(map[string]any)
	if !ok {
		group = map[string]any{}
		settings[groupName] = group
	}
	group[key] = value
	if other, ok := settings["other"].(map[string]any); ok && groupName != "other" {
		delete(other, key)
		if len(other) == 0 {
			delete(settings, "other")
		}
	}
	delete(settings, key)
}

// panelResetKeys are the node-local panel keys `x-ui setting -reset` clears.
var panelResetKeys = []string{"listen", "port", "webBasePath", "webDomain", "certFile", "keyFile"}

// ResetPanelSettings removes the panel network and TLS keys so defaults apply.
func ResetPanelSettings() error {
	settingsFileMu.Lock()
	defer settingsFileMu.Unlock()
	settings, err := LoadSettingsJSON()
	if err != nil {
		return err
	}
	removePanelKeys(settings)
	data, err := json.MarshalIndent(settings, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(GetSettingPath(), append(data, '\n'), 0o600)
}

func removePanelKeys(settings map[string]any) {
	for _, key := range panelResetKeys {
		delete(settings, key)
		for _, group := range settingGroupAliases[key] {
			if g, ok := settings[group].(map[string]any); ok {
				delete(g, key)
				if len(g) == 0 {
					delete(settings, group)
				}
			}
		}
	}
}

// ChangeSettingsJSON sets values (and, with resetPanel, removes the panel
// network and TLS keys) in one atomic replace. The returned undo puts the
// previous file back, for callers that must change x-ui.json and the
// database both or neither.
func ChangeSettingsJSON(values map[string]any, resetPanel bool) (undo func() error, err error) {
	settingsFileMu.Lock()
	defer settingsFileMu.Unlock()
	path := GetSettingPath()
	previous, readErr := os.ReadFile(path)
	existed := readErr == nil
	if readErr != nil && !os.IsNotExist(readErr) {
		return nil, &FileError{Path: path, Cause: readErr}
	}
	settings, err := LoadSettingsJSON()
	if err != nil {
		return nil, err
	}
	if resetPanel {
		removePanelKeys(settings)
	}
	for key, value := range values {
		placeSetting(settings, key, value)
	}
	data, err := json.MarshalIndent(settings, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(GetDBFolderPath(), 0o755); err != nil {
		return nil, err
	}
	if err := atomicfile.Write(path, append(data, '\n'), 0o600); err != nil {
		return nil, err
	}
	return func() error {
		settingsFileMu.Lock()
		defer settingsFileMu.Unlock()
		if !existed {
			return os.Remove(path)
		}
		return atomicfile.Write(path, previous, 0o600)
	}, nil
}
