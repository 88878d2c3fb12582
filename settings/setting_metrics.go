package settings

import (
	"encoding/json"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/errs"
	"gorm.io/gorm"
)

// The Prometheus metrics settings (docs/metrics.md). They are shared, so
// one Prometheus scrape config with one token reaches every node; each
// node serves its own metrics on its own listener or panel path.
func init() {
	for k, d := range map[string]settingDef{
		"metricsEnable": {kind: kindBool, def: "false"},
		// Loopback by default: a node's metrics are private until the
		// admin opens them on purpose (and then a token or allow-list is
		// required, see checkMetricsSafe).
		"metricsListen":       {kind: kindString, def: "127.0.0.1", check: checkMetricsListen},
		"metricsPort":         {kind: kindInt, def: "2098", check: checkMetricsPort},
		"metricsPath":         {kind: kindString, def: "/metrics", check: checkMetricsPath},
		"metricsOnPanel":      {kind: kindBool, def: "false"},
		"metricsToken":        {kind: kindString, def: "", check: checkMetricsToken, secret: true},
		"metricsAllowFrom":    {kind: kindString, def: "", check: checkMetricsAllowFrom},
		"metricsClientSeries": {kind: kindBool, def: "true"},
	} {
		settingDefs[k] = d
	}
}

// metricsKeys are the metrics settings, read together.
func metricsKeys() []string {
	return []string{"metricsEnable", "metricsListen", "metricsPort", "metricsPath",
		"metricsOnPanel", "metricsToken", "metricsAllowFrom", "metricsClientSeries"}
}

// MinMetricsTokenLen keeps a bearer token out of guessing range.
const MinMetricsTokenLen = 16

// Metrics is the metrics settings, typed.
type Metrics struct {
	Enable bool
	// Listen and Port are the own listener (Port 0: none); Path is the
	// path it serves the metrics on.
	Listen string
	Port   int
	Path   string
	// OnPanel serves them at {webBasePath}metrics on the panel too.
	OnPanel bool
	// Token, when set, is required as "Authorization: Bearer <token>";
	// AllowFrom, when not empty, is the only source addresses let in.
	Token     string
	AllowFrom []netip.Prefix
	// ClientSeries exports per-client series (one per client and
	// direction); off keeps a node's series count independent of clients.
	ClientSeries bool
}

// ReadMetrics reads the metrics settings in one query.
func ReadMetrics(conn *gorm.DB) (Metrics, error) {
	v, err := ReadStrings(conn, metricsKeys()...)
	if err != nil {
		return Metrics{}, err
	}
	return parseMetrics(v), nil
}

func parseMetrics(v map[string]string) Metrics {
	b := func(k string) bool { return settingDefs[k].typed(v[k]).(bool) }
	m := Metrics{
		Enable: b("metricsEnable"), Listen: strings.TrimSpace(v["metricsListen"]),
		Port: settingDefs["metricsPort"].typed(v["metricsPort"]).(int), Path: v["metricsPath"],
		OnPanel: b("metricsOnPanel"), Token: v["metricsToken"], ClientSeries: b("metricsClientSeries"),
	}
	m.AllowFrom, _ = ParseCIDRList(v["metricsAllowFrom"])
	return m
}

// ParseCIDRList parses a comma-separated list of CIDRs or single
// addresses (a single address is its own /32 or /128).
func ParseCIDRList(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, raw := range strings.Split(s, ",") {
		item := strings.TrimSpace(raw)
		if item == "" {
			continue
		}
		if p, err := netip.ParsePrefix(item); err == nil {
			out = append(out, p.Masked())
			continue
		}
		addr, err := netip.ParseAddr(item)
		if err != nil {
			return nil, errs.Invalid("metricsAllowFrom", "%q is not an address or CIDR (e.g. 10.0.0.0/8)", item)
		}
		out = append(out, netip.PrefixFrom(addr.Unmap(), addr.Unmap().BitLen()))
	}
	return out, nil
}

func checkMetricsListen(_ checkEnv, key, v string) (string, error) {
	v = strings.Trim(strings.TrimSpace(v), "[]")
	if net.ParseIP(v) == nil {
		return "", errs.Invalid(key, "%q is not an IP address (127.0.0.1 keeps metrics on this machine)", v)
	}
	return v, nil
}

func checkMetricsPath(_ checkEnv, key, v string) (string, error) {
	v = strings.TrimSpace(v)
	if !strings.HasPrefix(v, "/") || !urlPathPattern.MatchString(v) || strings.Contains(v, "//") || strings.Contains(v, "..") || len(v) > 255 {
		return "", errs.Invalid(key, "%q must be a path like /metrics using letters, digits, '/', '_', '-', '.' or '~'", v)
	}
	return v, nil
}

func checkMetricsToken(_ checkEnv, key, v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return v, nil
	}
	if len(v) < MinMetricsTokenLen || len(v) > 512 {
		return "", errs.Invalid(key, "must be %d to 512 characters", MinMetricsTokenLen)
	}
	for _, r := range v {
		if r <= ' ' || r > '~' {
			return "", errs.Invalid(key, "must be printable ASCII without spaces (it travels in a header)")
		}
	}
	return v, nil
}

func checkMetricsAllowFrom(_ checkEnv, key, v string) (string, error) {
	list, err := ParseCIDRList(v)
	if err != nil {
		return "", err
	}
	parts := make([]string, len(list))
	for i, p := range list {
		parts[i] = p.String()
	}
	return strings.Join(parts, ","), nil
}

// checkMetricsPort: 0 means no own listener, else a TCP port. Whether it
// is free is checked with the whole save (metricsPortFree), and only
// while metrics are on: a stored default clashing with an inbound must
// not block unrelated saves of a form that sends every setting back.
func checkMetricsPort(_ checkEnv, key, v string) (string, error) {
	port, _ := strconv.Atoi(v)
	if port < 0 || port > 65535 {
		return "", errs.Invalid(key, "%d is not a TCP port (1-65535, or 0 for no own listener)", port)
	}
	return v, nil
}

// metricsPortFree refuses the panel's port, the subscription port, an
// inbound's port, a port of the Xray template's own inbounds and the
// ports of its api/metrics listeners: metrics are never served where
// Xray's API (or Xray's own metrics) is.
func metricsPortFree(c checkEnv, port int) error {
	const key = "metricsPort"
	if port == c.panel.Port {
		return errs.Conflict(key, "%d is the panel's own port (use metricsOnPanel instead)", port)
	}
	if sub, err := ReadInt(c.tx, "subPort"); err == nil && sub == port {
		return errs.Conflict(key, "%d is the subscription port", port)
	}
	var count int64
	if err := c.tx.Model(&model.Inbound{}).Where("port = ?", port).Count(&count).Error; err != nil {
		return err
	}
	if count > 0 {
		return errs.Conflict(key, "%d is used by an inbound", port)
	}
	tpl, err := TemplateInbounds(c.tx)
	if err != nil {
		return err
	}
	for _, in := range tpl {
		if in.Port == port {
			return errs.Conflict(key, "%d is the Xray template's %q inbound", port, in.Tag)
		}
	}
	raw, err := ReadString(c.tx, "xrayTemplateConfig")
	if err != nil {
		return err
	}
	var doc struct {
		API     struct{ Listen string } `json:"api"`
		Metrics struct{ Listen string } `json:"metrics"`
	}
	_ = json.Unmarshal([]byte(raw), &doc) // validated on write; lenient here
	for name, listen := range map[string]string{"api": doc.API.Listen, "metrics": doc.Metrics.Listen} {
		if _, p, err := net.SplitHostPort(listen); err == nil && p == strconv.Itoa(port) {
			return errs.Conflict(key, "%d is Xray's own %s listener", port, name)
		}
	}
	return nil
}

// checkMetricsSafe refuses a save that would leave metrics reachable by
// anyone: enabled metrics served beyond loopback (a non-loopback own
// listener, or the panel path) need a token or an allow-list, and an
// allow-list that admits every address counts as none. rows are the
// values being saved; the rest is read as stored.
func checkMetricsSafe(c checkEnv, rows []model.Setting) error {
	touched := false
	saved := map[string]string{}
	for _, r := range rows {
		saved[r.Key] = r.Value
		touched = touched || strings.HasPrefix(r.Key, "metrics")
	}
	if !touched {
		return nil
	}
	stored, err := ReadStrings(c.tx, metricsKeys()...)
	if err != nil {
		return err
	}
	for k, v := range saved {
		if _, ok := stored[k]; ok {
			stored[k] = v
		}
	}
	m := parseMetrics(stored)
	if !m.Enable {
		return nil
	}
	if m.Port == 0 && !m.OnPanel {
		return errs.Invalid("metricsPort", "is 0 and metricsOnPanel is off: enabled metrics would be served nowhere")
	}
	openList := false
	for _, p := range m.AllowFrom {
		openList = openList || p.Bits() == 0
	}
	if m.Token == "" && openList {
		return errs.Invalid("metricsAllowFrom", "%s admits every address; set metricsToken or narrow the list", stored["metricsAllowFrom"])
	}
	exposed := m.OnPanel || (m.Port != 0 && !isLoopback(m.Listen))
	if exposed && m.Token == "" && len(m.AllowFrom) == 0 {
		return errs.Invalid("metricsToken", "is required (or metricsAllowFrom) while metrics are served beyond loopback")
	}
	if m.Port != 0 {
		return metricsPortFree(c, m.Port)
	}
	return nil
}

func isLoopback(ip string) bool {
	addr, err := netip.ParseAddr(ip)
	return err == nil && addr.IsLoopback()
}

// Metrics reads the metrics settings.
func (s *Store) Metrics() (Metrics, error) {
	conn, err := s.db.DB()
	if err != nil {
		return Metrics{}, err
	}
	return ReadMetrics(conn)
}
