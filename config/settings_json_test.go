package config

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

func useTempFolder(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("XUI_DB_FOLDER", dir)
	t.Setenv("XUI_DB_PASSWORD", "")
	os.Unsetenv("XUI_DB_PASSWORD")
	return dir
}

func readRawSettings(t *testing.T) map[string]any {
	t.Helper()
	data, err := os.ReadFile(GetSettingPath())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]any{}
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestGetDBConfigFromJSONSupportsModulePurposeLayout(t *testing.T) {
	useTempFolder(t)
	writeTestSettingsFile(t, map[string]any{
		"databaseConnection": map[string]any{
			"dbType": "mariadb", "dbHost": "db.internal", "dbPort": 3307,
			"dbUser": "xui", "dbPassword": "pw", "dbName": "panel", "dbTLS": "true",
		},
	})
	cfg := GetDBConfigFromJSON()
	want := DBConfig{Type: "mariadb", Host: "db.internal", Port: 3307, User: "xui", Password: "pw", Name: "panel", TLS: "true"}
	if cfg != want {
		t.Fatalf("got %+v want %+v", cfg, want)
	}
}

func TestGetDBConfigFromJSONReadsLegacyAndFlatLayouts(t *testing.T) {
	cases := map[string]map[string]any{
		"legacy other group": {"other": map[string]any{"dbType": "mysql", "dbPort": "3310", "dbName": "legacy"}},
		"flat keys":          {"dbType": "mariadb", "dbPort": 3310.0, "dbName": "legacy"},
	}
	for name, settings := range cases {
		t.Run(name, func(t *testing.T) {
			useTempFolder(t)
			writeTestSettingsFile(t, settings)
			cfg := GetDBConfigFromJSON()
			if cfg.Type != DBTypeMariaDB || cfg.Port != 3310 || cfg.Name != "legacy" || cfg.Host != "127.0.0.1" {
				t.Fatalf("unexpected config %+v", cfg)
			}
		})
	}
}

func TestGroupedValueWinsOverLegacyAndFlat(t *testing.T) {
	useTempFolder(t)
	writeTestSettingsFile(t, map[string]any{
		"nodeRole": "master",
		"other":    map[string]any{"nodeRole": "master", "syncInterval": 5},
		"node":     map[string]any{"nodeRole": "worker", "nodeId": "w1"},
	})
	cfg := GetNodeConfigFromJSON()
	if cfg.Role != NodeRoleWorker || cfg.NodeID != "w1" || cfg.SyncIntervalSeconds != 5 {
		t.Fatalf("unexpected node config %+v", cfg)
	}
}

func TestGetDBConfigDefaultsAndPasswordEnvOverride(t *testing.T) {
	useTempFolder(t)
	cfg := GetDBConfigFromJSON()
	if cfg != (DBConfig{Type: "sqlite", Host: "127.0.0.1", Port: 3306, Name: "3xui"}) {
		t.Fatalf("defaults: %+v", cfg)
	}
	if err := WriteSettingToJSON("dbPassword", "stored"); err != nil {
		t.Fatal(err)
	}
	t.Setenv("XUI_DB_PASSWORD", "from-env")
	if got := GetDBConfigFromJSON().Password; got != "from-env" {
		t.Fatalf("env override not applied: %q", got)
	}
}

func TestWriteSettingToJSONUsesModulePurposeGroup(t *testing.T) {
	useTempFolder(t)
	writeTestSettingsFile(t, map[string]any{
		"dbHost": "flat-host",
		"other":  map[string]any{"nodeId": "legacy", "custom": "kept"},
		"keep":   "me",
	})
	if err := WriteSettingToJSON("dbHost", "grouped-host"); err != nil {
		t.Fatal(err)
	}
	if err := WriteSettingToJSON("nodeId", "node-7"); err != nil {
		t.Fatal(err)
	}
	if err := WriteSettingToJSON("unknownKey", "top"); err != nil {
		t.Fatal(err)
	}
	raw := readRawSettings(t)
	if raw["databaseConnection"].(map[string]any)["dbHost"] != "grouped-host" {
		t.Fatalf("dbHost not in databaseConnection: %v", raw)
	}
	if _, ok := raw["dbHost"]; ok {
		t.Fatalf("stale flat dbHost left: %v", raw)
	}
	if raw["node"].(map[string]any)["nodeId"] != "node-7" {
		t.Fatalf("nodeId not in node group: %v", raw)
	}
	other := raw["other"].(map[string]any)
	if _, ok := other["nodeId"]; ok || other["custom"] != "kept" {
		t.Fatalf("legacy group not cleaned correctly: %v", other)
	}
	if raw["keep"] != "me" || raw["unknownKey"] != "top" {
		t.Fatalf("unrelated keys changed: %v", raw)
	}
	if got := GetDBConfigFromJSON().Host; got != "grouped-host" {
		t.Fatalf("reader got %q", got)
	}
	st, err := os.Stat(GetSettingPath())
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("x-ui.json mode %v, want 0600", st.Mode().Perm())
	}
	leftovers, _ := filepath.Glob(filepath.Join(GetDBFolderPath(), ".x-ui.json.tmp-*"))
	if len(leftovers) != 0 {
		t.Fatalf("temp files left: %v", leftovers)
	}
}

func TestValidateDBConfigNamesField(t *testing.T) {
	cases := []struct {
		cfg   DBConfig
		field string
	}{
		{DBConfig{Type: "postgres"}, "dbType"},
		{DBConfig{Type: "mariadb", Host: "", Port: 3306, Name: "x"}, "dbHost"},
		{DBConfig{Type: "mariadb", Host: "h", Port: 0, Name: "x"}, "dbPort"},
		{DBConfig{Type: "mariadb", Host: "h", Port: 3306, Name: "bad name;"}, "dbName"},
		{DBConfig{Type: "mariadb", Host: "h", Port: 3306, Name: "x", TLS: "maybe"}, "dbTLS"},
	}
	for _, c := range cases {
		err := ValidateDBConfig(c.cfg)
		if err == nil || err.Error()[:len(c.field)] != c.field {
			t.Fatalf("%+v: expected error naming %s, got %v", c.cfg, c.field, err)
		}
	}
	if err := ValidateDBConfig(DBConfig{Type: "mariadb", Host: "h", Port: 3306, Name: "3xui"}); err != nil {
		t.Fatal(err)
	}
}

func TestPanelConfigDefaultsAndBasePath(t *testing.T) {
	useTempFolder(t)
	cfg := GetPanelConfigFromJSON()
	if cfg.Port != DefaultPanelPort || cfg.BasePath != "/" {
		t.Fatalf("defaults %+v", cfg)
	}
	if err := WriteSettingToJSON("webBasePath", "panel"); err != nil {
		t.Fatal(err)
	}
	if got := GetPanelConfigFromJSON().BasePath; got != "/panel/" {
		t.Fatalf("basePath %q", got)
	}
}

func TestDBEnvOverrides(t *testing.T) {
	useTempFolder(t)
	if err := WriteSettingsToJSON(map[string]any{"dbType": "sqlite", "dbName": "stored"}); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{"XUI_DB_TYPE": "mysql", "XUI_DB_HOST": "db", "XUI_DB_PORT": "3307",
		"XUI_DB_USER": "u", "XUI_DB_PASSWORD": "p", "XUI_DB_NAME": "env", "XUI_DB_TLS": "TRUE"} {
		t.Setenv(k, v)
	}
	want := DBConfig{Type: "mariadb", Host: "db", Port: 3307, User: "u", Password: "p", Name: "env", TLS: "true"}
	if got := GetDBConfigFromJSON(); got != want {
		t.Fatalf("got %+v want %+v", got, want)
	}
}
