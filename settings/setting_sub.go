package settings

import (
	"net"
	"strings"

	"github.com/mhsanaei/3x-ui/v2/errs"
	subsrv "github.com/mhsanaei/3x-ui/v2/sub"
	"github.com/mhsanaei/3x-ui/v2/sub/clash"
)

// The subscription server's settings (subsrv.Defs: 3x-ui's names and
// defaults) join the known settings, each with its check.
func init() {
	checks := map[string]func(checkEnv, string, string) (string, error){
		"subListen":            checkListenIP,
		"subSingboxPath":       checkURLPath,
		"subCertFile":          maxLen(4096),
		"subKeyFile":           maxLen(4096),
		"subSupportUrl":        checkWith(subsrv.CheckURL),
		"subProfileUrl":        checkWith(subsrv.CheckURL),
		"subURI":               checkWith(subsrv.CheckURL),
		"subJsonURI":           checkWith(subsrv.CheckURL),
		"subClashURI":          checkWith(subsrv.CheckURL),
		"subSingboxURI":        checkWith(subsrv.CheckURL),
		"subAnnounce":          maxLen(2000),
		"subJsonUserAgents":    checkWith(subsrv.CheckUserAgentPattern),
		"subClashUserAgents":   checkWith(subsrv.CheckUserAgentPattern),
		"subSingboxUserAgents": checkWith(subsrv.CheckUserAgentPattern),
		"subClashTemplate":     checkClashTemplate,
	}
	kinds := map[string]settingKind{"string": kindString, "int": kindInt, "bool": kindBool}
	for _, d := range subsrv.Defs {
		def := settingDef{kind: kinds[d.Kind], def: d.Default, check: checks[d.Key]}
		if old, ok := settingDefs[d.Key]; ok && def.check == nil {
			def.check = old.check
		}
		settingDefs[d.Key] = def
	}
}

func checkWith(fn func(string) error) func(checkEnv, string, string) (string, error) {
	return func(_ checkEnv, key, v string) (string, error) {
		v = strings.TrimSpace(v)
		if err := fn(v); err != nil {
			return "", errs.Invalid(key, "%v", err)
		}
		return v, nil
	}
}

func checkListenIP(_ checkEnv, key, v string) (string, error) {
	v = strings.TrimSpace(v)
	if v != "" && net.ParseIP(strings.Trim(v, "[]")) == nil {
		return "", errs.Invalid(key, "%q is not an IP address (empty listens like the panel)", v)
	}
	return v, nil
}

// checkClashTemplate parses the YAML template before it is stored, so a
// broken template never reaches an app.
func checkClashTemplate(_ checkEnv, key, v string) (string, error) {
	if len(v) > 64<<10 {
		return "", errs.Invalid(key, "longer than 64 KiB")
	}
	if err := clash.ValidateTemplate(v); err != nil {
		return "", errs.Invalid(key, "%v", err)
	}
	return v, nil
}
