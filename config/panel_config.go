package config

// PanelConfig is the node-local web server configuration.
type PanelConfig struct {
	Listen        string
	Port          int
	BasePath      string
	CertFile      string
	KeyFile       string
	Secret        string
	SessionMaxAge int // minutes
	// WebDomain lists the host names (comma separated) the panel answers
	// to besides IP addresses and localhost: a DNS-rebinding page's host
	// name is not on it (web/middleware.AllowedHosts).
	WebDomain string
}

const DefaultPanelPort = 2053

// GetPanelConfigFromJSON reads panelNetwork, panelTLS and panelSecurity.
func GetPanelConfigFromJSON() PanelConfig {
	return panelConfigFrom(loadSettingsOrEmpty())
}

func panelConfigFrom(settings map[string]any) PanelConfig {
	cfg := PanelConfig{
		Listen:        readGroupedString(settings, "listen"),
		Port:          readGroupedInt(settings, "port", DefaultPanelPort),
		BasePath:      NormalizeBasePath(readGroupedString(settings, "webBasePath")),
		CertFile:      readGroupedString(settings, "certFile"),
		KeyFile:       readGroupedString(settings, "keyFile"),
		Secret:        readGroupedString(settings, "secret"),
		SessionMaxAge: readGroupedInt(settings, "sessionMaxAge", 60*24),
		WebDomain:     readGroupedString(settings, "webDomain"),
	}
	return cfg
}

// NormalizeBasePath makes a base path start and end with "/".
func NormalizeBasePath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	if p[len(p)-1] != '/' {
		p += "/"
	}
	return p
}
