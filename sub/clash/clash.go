// Package clash renders Clash/Mihomo YAML from an editable template (the
// subClashTemplate setting; template.yaml when empty). The generated
// proxies follow any "proxies" the template lists; in proxy-groups the item
// "$proxies" expands to the names of every generated proxy.
//
// Shadowsocks is rendered only over plain TCP (Mihomo carries other
// Shadowsocks transports as plugins Xray does not speak).
package clash

import (
	_ "embed"
	"errors"
	"fmt"
	"strings"

	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/sub/profile"
	"gopkg.in/yaml.v2"
)

// Placeholder in a proxy group's list stands for every generated proxy.
const Placeholder = "$proxies"

//go:embed template.yaml
var DefaultTemplate string

// ValidateTemplate checks a template before it is saved: a YAML mapping
// whose proxy-groups (if any) are a list of mappings with a name and type,
// and whose rules (if any) are a list of strings.
func ValidateTemplate(tpl string) error {
	if strings.TrimSpace(tpl) == "" {
		return nil // empty means the built-in template
	}
	_, err := parseTemplate(tpl)
	return err
}

func parseTemplate(tpl string) (yaml.MapSlice, error) {
	if strings.TrimSpace(tpl) == "" {
		tpl = DefaultTemplate
	}
	var doc yaml.MapSlice
	if err := yaml.Unmarshal([]byte(tpl), &doc); err != nil {
		return nil, fmt.Errorf("not valid YAML: %v", firstLine(err.Error()))
	}
	if doc == nil {
		return nil, errors.New("must be a YAML mapping (proxy-groups:, rules:, ...)")
	}
	for _, item := range doc {
		key, _ := item.Key.(string)
		switch key {
		case "proxy-groups":
			groups, ok := item.Value.([]any)
			if !ok {
				return nil, errors.New("proxy-groups must be a list")
			}
			for i, g := range groups {
				m, ok := g.(yaml.MapSlice)
				if !ok || str(m, "name") == "" || str(m, "type") == "" {
					return nil, fmt.Errorf("proxy-groups item %d needs a name and a type", i+1)
				}
			}
		case "rules":
			rules, ok := item.Value.([]any)
			if !ok {
				return nil, errors.New("rules must be a list")
			}
			for i, r := range rules {
				if _, ok := r.(string); !ok {
					return nil, fmt.Errorf("rules item %d must be a string", i+1)
				}
			}
		case "proxies":
			if _, ok := item.Value.([]any); !ok && item.Value != nil {
				return nil, errors.New("proxies must be a list")
			}
		}
	}
	return doc, nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func str(m yaml.MapSlice, key string) string {
	for _, it := range m {
		if k, _ := it.Key.(string); k == key {
			s, _ := it.Value.(string)
			return s
		}
	}
	return ""
}

// Supported reports whether Mihomo can reach the entry.
func Supported(e profile.Entry) bool {
	s := e.Stream
	switch s.Network {
	case "tcp", "ws", "grpc", "httpupgrade":
	case "xhttp":
		if e.Protocol != model.VLESS {
			return false
		}
	default:
		return false
	}
	if e.Protocol == model.Shadowsocks {
		return s.Network == "tcp" && s.HeaderType == "" && s.Security == "none"
	}
	return true
}

// Render fills the template with the entries' proxies.
func Render(tpl string, entries []profile.Entry) ([]byte, error) {
	doc, err := parseTemplate(tpl)
	if err != nil {
		return nil, err
	}
	var proxies []any
	var names []any
	seen := map[string]int{}
	for _, e := range entries {
		if !Supported(e) {
			continue
		}
		name := e.Remark
		if name == "" {
			name = "proxy"
		}
		seen[name]++
		if n := seen[name]; n > 1 {
			name = fmt.Sprintf("%s #%d", name, n)
		}
		proxies = append(proxies, Proxy(name, e))
		names = append(names, name)
	}
	var out yaml.MapSlice
	hasProxies := false
	for _, item := range doc {
		key, _ := item.Key.(string)
		switch key {
		case "proxies":
			hasProxies = true
			list, _ := item.Value.([]any)
			item.Value = append(list, proxies...)
		case "proxy-groups":
			groups, _ := item.Value.([]any)
			item.Value = expandGroups(groups, names)
		}
		out = append(out, item)
	}
	if !hasProxies {
		// Proxies go before proxy-groups, where readers expect them.
		var withProxies yaml.MapSlice
		for _, item := range out {
			if k, _ := item.Key.(string); k == "proxy-groups" && !hasProxies {
				withProxies = append(withProxies, yaml.MapItem{Key: "proxies", Value: proxies})
				hasProxies = true
			}
			withProxies = append(withProxies, item)
		}
		if !hasProxies {
			withProxies = append(withProxies, yaml.MapItem{Key: "proxies", Value: proxies})
		}
		out = withProxies
	}
	return yaml.Marshal(out)
}

func expandGroups(groups []any, names []any) []any {
	out := make([]any, 0, len(groups))
	for _, g := range groups {
		m, ok := g.(yaml.MapSlice)
		if !ok {
			out = append(out, g)
			continue
		}
		var nm yaml.MapSlice
		for _, it := range m {
			if k, _ := it.Key.(string); k == "proxies" {
				list, _ := it.Value.([]any)
				var expanded []any
				for _, p := range list {
					if p == Placeholder {
						expanded = append(expanded, names...)
					} else {
						expanded = append(expanded, p)
					}
				}
				if len(expanded) == 0 {
					expanded = []any{"DIRECT"} // a group must list something
				}
				it.Value = expanded
			}
			nm = append(nm, it)
		}
		out = append(out, nm)
	}
	return out
}

// Proxy is one entry as a Mihomo proxy.
func Proxy(name string, e profile.Entry) yaml.MapSlice {
	s := e.Stream
	p := yaml.MapSlice{{Key: "name", Value: name}}
	add := func(k string, v any) { p = append(p, yaml.MapItem{Key: k, Value: v}) }
	switch e.Protocol {
	case model.VLESS:
		add("type", "vless")
	case model.VMESS:
		add("type", "vmess")
	case model.Trojan:
		add("type", "trojan")
	case model.Shadowsocks:
		add("type", "ss")
	}
	add("server", e.Address)
	add("port", e.Port)
	add("udp", true)
	switch e.Protocol {
	case model.VLESS:
		add("uuid", e.Client.ID)
		if e.Client.Flow != "" && s.Network == "tcp" && s.Security != "none" {
			add("flow", e.Client.Flow)
		}
	case model.VMESS:
		add("uuid", e.Client.ID)
		add("alterId", 0)
		add("cipher", orDefault(e.Client.Security, "auto"))
	case model.Trojan:
		add("password", e.Client.Password)
	case model.Shadowsocks:
		add("cipher", e.Method)
		add("password", e.SSPassword())
		return p
	}
	network := s.Network
	if network == "httpupgrade" {
		network = "ws"
	}
	if s.Network == "tcp" && s.HeaderType == "http" {
		network = "http"
	}
	add("network", network)
	if s.Security != "none" {
		if e.Protocol != model.Trojan {
			add("tls", true)
		}
		if s.SNI != "" {
			if e.Protocol == model.Trojan {
				add("sni", s.SNI)
			} else {
				add("servername", s.SNI)
			}
		}
		if len(s.ALPN) > 0 {
			add("alpn", s.ALPN)
		}
		if s.Fingerprint != "" {
			add("client-fingerprint", s.Fingerprint)
		}
		if s.AllowInsecure {
			add("skip-cert-verify", true)
		}
		if s.PinnedSHA256 != "" {
			add("fingerprint", s.PinnedSHA256)
		}
		if s.Security == "reality" {
			add("reality-opts", yaml.MapSlice{{Key: "public-key", Value: s.PublicKey}, {Key: "short-id", Value: s.ShortID}})
		}
	}
	switch s.Network {
	case "tcp":
		if s.HeaderType == "http" {
			opts := yaml.MapSlice{{Key: "method", Value: "GET"}, {Key: "path", Value: []string{orDefault(s.Path, "/")}}}
			if s.Host != "" {
				opts = append(opts, yaml.MapItem{Key: "headers", Value: yaml.MapSlice{{Key: "Host", Value: strings.Split(s.Host, ",")}}})
			}
			add("http-opts", opts)
		}
	case "ws", "httpupgrade":
		opts := yaml.MapSlice{{Key: "path", Value: orDefault(s.Path, "/")}}
		if s.Host != "" {
			opts = append(opts, yaml.MapItem{Key: "headers", Value: yaml.MapSlice{{Key: "Host", Value: s.Host}}})
		}
		if s.Network == "httpupgrade" {
			opts = append(opts, yaml.MapItem{Key: "v2ray-http-upgrade", Value: true})
		}
		add("ws-opts", opts)
	case "grpc":
		add("grpc-opts", yaml.MapSlice{{Key: "grpc-service-name", Value: s.ServiceName}})
	case "xhttp":
		opts := yaml.MapSlice{{Key: "path", Value: orDefault(s.Path, "/")}}
		if s.Host != "" {
			opts = append(opts, yaml.MapItem{Key: "host", Value: s.Host})
		}
		if s.Mode != "" && s.Mode != "auto" {
			opts = append(opts, yaml.MapItem{Key: "mode", Value: s.Mode})
		}
		add("xhttp-opts", opts)
	}
	return p
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
