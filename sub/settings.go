// Package sub is the subscription server: its own listener that answers
// GET /<subPath>/<subId> with the subId's profiles as share links, Xray
// JSON, Clash/Mihomo YAML or sing-box JSON, and an HTML page for browsers.
// It reads inbounds and nodes through Source, so a master feeds it from the
// database and a worker from its cached snapshot.
package sub

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/mhsanaei/3x-ui/v2/sub/clash"
)

// Settings are the sub* settings (3x-ui's names) the server runs with.
type Settings struct {
	Enable        bool
	Listen        string
	Port          int
	Path          string
	JSONPath      string
	JSONEnable    bool
	ClashPath     string
	ClashEnable   bool
	SingboxPath   string
	SingboxEnable bool
	Domain        string
	CertFile      string
	KeyFile       string
	Updates       int // hours
	Encrypt       bool
	ShowInfo      bool
	Title         string
	SupportURL    string
	ProfileURL    string
	Announce      string
	URI           string
	JSONURI       string
	ClashURI      string
	SingboxURI    string

	JSONAutoDetect    bool
	JSONUserAgents    string // regexp
	ClashAutoDetect   bool
	ClashUserAgents   string
	SingboxAutoDetect bool
	SingboxUserAgents string

	ClashTemplate string
	RemarkModel   string
}

// Default User-Agent patterns for auto-detection.
const (
	DefaultClashUserAgents   = `(?i)clash|mihomo|stash|flclash|verge|nyanpasu`
	DefaultSingboxUserAgents = `(?i)sing-box|\bSF[AIMT]\b|hiddify|karing`
	DefaultJSONUserAgents    = `(?i)xray-json|v2raytun|\bv2box\b`
)

// Defs lists every sub* setting with its kind ("bool", "int", "string")
// and stored default, for the panel's known-settings table.
var Defs = []struct{ Key, Kind, Default string }{
	{"subEnable", "bool", "true"},
	{"subListen", "string", ""},
	{"subPort", "int", "2096"},
	{"subPath", "string", "/sub/"},
	{"subJsonPath", "string", "/json/"},
	{"subJsonEnable", "bool", "true"},
	{"subClashPath", "string", "/clash/"},
	{"subClashEnable", "bool", "true"},
	{"subSingboxPath", "string", "/singbox/"},
	{"subSingboxEnable", "bool", "true"},
	{"subDomain", "string", ""},
	{"subCertFile", "string", ""},
	{"subKeyFile", "string", ""},
	{"subUpdates", "int", "12"},
	{"subEncrypt", "bool", "true"},
	{"subShowInfo", "bool", "true"},
	{"subTitle", "string", ""},
	{"subSupportUrl", "string", ""},
	{"subProfileUrl", "string", ""},
	{"subAnnounce", "string", ""},
	{"subURI", "string", ""},
	{"subJsonURI", "string", ""},
	{"subClashURI", "string", ""},
	{"subSingboxURI", "string", ""},
	{"subJsonAutoDetect", "bool", "false"},
	{"subJsonUserAgents", "string", DefaultJSONUserAgents},
	{"subClashAutoDetect", "bool", "true"},
	{"subClashUserAgents", "string", DefaultClashUserAgents},
	{"subSingboxAutoDetect", "bool", "true"},
	{"subSingboxUserAgents", "string", DefaultSingboxUserAgents},
	{"subClashTemplate", "string", clash.DefaultTemplate},
}

// SettingsFrom reads the typed or stored values of a settings map (as
// settings.Store.GetAllSettings returns it); missing keys take defaults.
func SettingsFrom(all map[string]any) Settings {
	get := func(key string) string {
		if v, ok := all[key]; ok && v != nil {
			return fmt.Sprint(v)
		}
		for _, d := range Defs {
			if d.Key == key {
				return d.Default
			}
		}
		return ""
	}
	b := func(key string) bool { v, _ := strconv.ParseBool(get(key)); return v }
	n := func(key string) int { v, _ := strconv.Atoi(get(key)); return v }
	s := Settings{
		Enable: b("subEnable"), Listen: get("subListen"), Port: n("subPort"),
		Path: get("subPath"), JSONPath: get("subJsonPath"), JSONEnable: b("subJsonEnable"),
		ClashPath: get("subClashPath"), ClashEnable: b("subClashEnable"),
		SingboxPath: get("subSingboxPath"), SingboxEnable: b("subSingboxEnable"),
		Domain: get("subDomain"), CertFile: get("subCertFile"), KeyFile: get("subKeyFile"),
		Updates: n("subUpdates"), Encrypt: b("subEncrypt"), ShowInfo: b("subShowInfo"),
		Title: get("subTitle"), SupportURL: get("subSupportUrl"), ProfileURL: get("subProfileUrl"),
		Announce: get("subAnnounce"), URI: get("subURI"), JSONURI: get("subJsonURI"),
		ClashURI: get("subClashURI"), SingboxURI: get("subSingboxURI"),
		JSONAutoDetect: b("subJsonAutoDetect"), JSONUserAgents: get("subJsonUserAgents"),
		ClashAutoDetect: b("subClashAutoDetect"), ClashUserAgents: get("subClashUserAgents"),
		SingboxAutoDetect: b("subSingboxAutoDetect"), SingboxUserAgents: get("subSingboxUserAgents"),
		ClashTemplate: get("subClashTemplate"), RemarkModel: get("remarkModel"),
	}
	return s
}

// CheckUserAgentPattern validates a User-Agent regexp setting.
func CheckUserAgentPattern(v string) error {
	if len(v) > 1000 {
		return fmt.Errorf("longer than 1000 characters")
	}
	if _, err := regexp.Compile(v); err != nil {
		return fmt.Errorf("not a regular expression: %v", err)
	}
	return nil
}

// CheckURL validates an optional absolute http(s) URL setting.
func CheckURL(v string) error {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	if len(v) > 2048 || !(strings.HasPrefix(v, "http://") || strings.HasPrefix(v, "https://")) || strings.ContainsAny(v, " \r\n\t\"<>") {
		return fmt.Errorf("%q must be an http:// or https:// URL", v)
	}
	return nil
}
