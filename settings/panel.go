package settings

import (
	"crypto/tls"
	"fmt"
	"net"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/errs"
)

// The panel's own network settings belong to this node (x-ui.json groups
// panelNetwork, panelTLS and panelSecurity), not to the shared table. The
// settings API still reads and writes them under 3x-ui's names, so 3x-ui
// clients and the Settings page find them where they expect; they take
// effect when the panel restarts (setting/restartPanel).
var panelKeys = map[string]string{
	"webListen":     "listen",
	"webPort":       "port",
	"webBasePath":   "webBasePath",
	"webCertFile":   "certFile",
	"webKeyFile":    "keyFile",
	"sessionMaxAge": "sessionMaxAge",
	"webDomain":     "webDomain",
}

// MaxSessionMinutes bounds sessionMaxAge: a year of minutes.
const MaxSessionMinutes = 365 * 24 * 60

// IsPanelKey reports whether key is one of this node's panel settings.
func IsPanelKey(key string) bool {
	_, ok := panelKeys[key]
	return ok
}

// PanelValues is cfg under 3x-ui's names.
func PanelValues(cfg config.PanelConfig) map[string]any {
	return map[string]any{
		"webListen":     cfg.Listen,
		"webPort":       cfg.Port,
		"webBasePath":   config.NormalizeBasePath(cfg.BasePath),
		"webCertFile":   cfg.CertFile,
		"webKeyFile":    cfg.KeyFile,
		"sessionMaxAge": cfg.SessionMaxAge,
		"webDomain":     cfg.WebDomain,
	}
}

// CheckPanel validates panel values (3x-ui names) against the current
// configuration and returns them normalized, still under 3x-ui's names.
// A certificate and key must be given together and load as a pair, so a
// restart never comes up without the TLS the admin asked for.
func CheckPanel(values map[string]any, cur config.PanelConfig) (map[string]any, error) {
	out := make(map[string]any, len(values))
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, err := checkPanelValue(k, values[k])
		if err != nil {
			return nil, err
		}
		out[k] = v
	}
	cert, key := cur.CertFile, cur.KeyFile
	if v, ok := out["webCertFile"]; ok {
		cert = v.(string)
	}
	if v, ok := out["webKeyFile"]; ok {
		key = v.(string)
	}
	switch {
	case cert != "" && key == "":
		return nil, errs.Invalid("webKeyFile", "is required with webCertFile %q", cert)
	case cert == "" && key != "":
		return nil, errs.Invalid("webCertFile", "is required with webKeyFile %q", key)
	case cert != "" && (out["webCertFile"] != nil || out["webKeyFile"] != nil):
		if _, err := tls.LoadX509KeyPair(cert, key); err != nil {
			return nil, errs.Invalid("webCertFile", "cannot load the certificate %q with key %q: %v", cert, key, err)
		}
	}
	return out, nil
}

func checkPanelValue(key string, value any) (any, error) {
	switch key {
	case "webPort":
		n, ok := toInt(value)
		if !ok || n < 1 || n > 65535 {
			return nil, errs.Invalid(key, "%v is not a TCP port (1-65535)", value)
		}
		return n, nil
	case "sessionMaxAge":
		n, ok := toInt(value)
		if !ok || n < 1 || n > MaxSessionMinutes {
			return nil, errs.Invalid(key, "must be a number of minutes from 1 to %d, got %v", MaxSessionMinutes, value)
		}
		return n, nil
	}
	s, ok := value.(string)
	if !ok {
		return nil, errs.Invalid(key, "must be a string")
	}
	s = strings.TrimSpace(s)
	switch key {
	case "webListen":
		if s != "" && net.ParseIP(strings.Trim(s, "[]")) == nil {
			return nil, errs.Invalid(key, "%q is not an IP address (empty listens on every address)", s)
		}
		return strings.Trim(s, "[]"), nil
	case "webDomain":
		return NormalizeWebDomain(s)
	case "webBasePath":
		p := config.NormalizeBasePath(s)
		if !urlPathPattern.MatchString(p) || strings.Contains(p, "//") || strings.Contains(p, "..") {
			return nil, errs.Invalid(key, "%q must be a path like /panel/ using letters, digits, '/', '_', '-', '.' or '~'", s)
		}
		return p, nil
	default: // webCertFile, webKeyFile
		if len(s) > 4096 {
			return nil, errs.Invalid(key, "longer than 4096 characters")
		}
		return s, nil
	}
}

// checkPanelPort refuses a panel port the subscription server or an
// inbound already uses (the restart would fail to bind it).
func (s *Store) checkPanelPort(port int, shared map[string]any) error {
	conn, err := s.db.DB()
	if err != nil {
		return err
	}
	subOn, err := ReadBool(conn, "subEnable")
	if err != nil {
		return err
	}
	subPort, err := ReadInt(conn, "subPort")
	if err != nil {
		return err
	}
	if v, ok := shared["subEnable"]; ok {
		subOn, _ = toBool(v)
	}
	if v, ok := shared["subPort"]; ok {
		subPort, _ = toInt(v)
	}
	if subOn && port == subPort {
		return errs.Conflict("webPort", "%d is the subscription port", port)
	}
	var n int64
	if err := conn.Model(&model.Inbound{}).Where("port = ?", port).Count(&n).Error; err != nil {
		return err
	}
	if n > 0 {
		return errs.Conflict("webPort", "%d is used by an inbound", port)
	}
	return nil
}

// UpdateWithPanel stores shared settings in the table and this node's
// panel settings (3x-ui's web* names and sessionMaxAge) in x-ui.json: all
// validated first, then both written or neither. restart is true when a
// panel setting changed; it applies after a panel restart.
func (s *Store) UpdateWithPanel(values map[string]any) (restart bool, err error) {
	panel, shared := map[string]any{}, map[string]any{}
	for k, v := range values {
		if IsPanelKey(k) {
			panel[k] = v
		} else {
			shared[k] = v
		}
	}
	if len(panel) == 0 {
		return false, s.UpdateSettings(shared)
	}
	// The holder's Update serializes panel saves: each compares with and
	// writes over the section the previous one left.
	err = s.panel.Update(func(cur config.PanelConfig) (config.PanelConfig, error) {
		checked, err := CheckPanel(panel, cur)
		if err != nil {
			return cur, err
		}
		current := PanelValues(cur)
		file := map[string]any{}
		for k, v := range checked {
			if !reflect.DeepEqual(current[k], v) {
				file[panelKeys[k]] = v
			}
		}
		if port, ok := file["port"].(int); ok {
			if err := s.checkPanelPort(port, shared); err != nil {
				return cur, err
			}
		}
		if len(file) == 0 {
			if len(shared) == 0 {
				return cur, nil
			}
			return cur, s.UpdateSettings(shared)
		}
		undo, err := config.ChangeSettingsJSON(file, false)
		if err != nil {
			return cur, fmt.Errorf("write %s: %w", config.GetSettingPath(), err)
		}
		// The audit row of the x-ui.json change: in the shared write's
		// transaction when there is one, else on its own; either failing
		// puts x-ui.json back.
		changes := panelChanges(current, checked)
		var dbErr error
		if len(shared) > 0 {
			dbErr = s.updateSettings(shared, changes)
		} else {
			dbErr = s.recordPanel(changes)
		}
		if dbErr != nil {
			if uerr := undo(); uerr != nil {
				return cur, fmt.Errorf("%w (and restoring %s failed: %v)", dbErr, config.GetSettingPath(), uerr)
			}
			return cur, dbErr
		}
		restart = true
		return withPanelValues(cur, checked), nil
	})
	return restart, err
}

// withPanelValues is cur with checked panel values (3x-ui's names, as
// CheckPanel returns them) in place.
func withPanelValues(cur config.PanelConfig, checked map[string]any) config.PanelConfig {
	for k, v := range checked {
		switch k {
		case "webListen":
			cur.Listen = v.(string)
		case "webPort":
			cur.Port = v.(int)
		case "webBasePath":
			cur.BasePath = v.(string)
		case "webCertFile":
			cur.CertFile = v.(string)
		case "webKeyFile":
			cur.KeyFile = v.(string)
		case "sessionMaxAge":
			cur.SessionMaxAge = v.(int)
		case "webDomain":
			cur.WebDomain = v.(string)
		}
	}
	return cur
}

// hostLabel is one DNS label.
var hostLabel = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// NormalizeWebDomain normalizes a comma-separated list of host names (or
// IP addresses); "*.example.com" allows one label under example.com. The
// panel's settings page and `x-ui setting -webDomain` both use it.
func NormalizeWebDomain(s string) (string, error) {
	var names []string
	for _, raw := range strings.Split(s, ",") {
		name := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(raw)), ".")
		if name == "" {
			continue
		}
		if net.ParseIP(strings.Trim(name, "[]")) != nil {
			names = append(names, strings.Trim(name, "[]"))
			continue
		}
		labels := strings.Split(strings.TrimPrefix(name, "*."), ".")
		for _, l := range labels {
			if !hostLabel.MatchString(l) || len(name) > 253 {
				return "", errs.Invalid("webDomain", "%q is not a host name (letters, digits, '-' and '.', optionally starting with \"*.\")", strings.TrimSpace(raw))
			}
		}
		names = append(names, name)
	}
	return strings.Join(names, ","), nil
}
