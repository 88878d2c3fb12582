// Package exposure is the one rule every Xray config passes before it is
// stored or run: nothing a stranger can reach may lead to Xray's gRPC API
// (it has no authentication), its metrics listener (pprof, expvar), or a
// local unix socket, and Xray (running as root) may write logs only to
// files the panel does not own. docs/security.md ("Xray exposure rule")
// lists every rule and why.
//
// Scan walks a rendered config (template plus inbounds) and returns every
// violation together with a copy of the config that has each offending
// part neutralized. Writes refuse on any violation (HTTP 400 naming the
// field); the runtime (xrayrun) runs only the neutralized copy, so rows
// carried over from 3x-ui that break the rule are never run exposed.
package exposure

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/validate"
	"github.com/mhsanaei/3x-ui/v2/xray"
	"github.com/mhsanaei/3x-ui/v2/xray/users"
)

// Options are the host facts the rule needs.
type Options struct {
	// LogFolder: log.access and log.error must be files inside it.
	LogFolder string
	// SocketFolder: the only folder a fallback may name a unix socket in
	// ("" = no unix fallbacks, except to Xray's own listening sockets).
	SocketFolder string
	// PanelFolders hold the panel's own files (database, x-ui.json, the
	// snapshot cache, the traffic journal, Xray's config.json): no log
	// file may be inside them, even when the log folder is one of them.
	PanelFolders []string
	// PanelFiles are files Xray must never write (checked by path and,
	// inside the log folder, by the panel log's name).
	PanelFiles []string
}

// DefaultOptions reads the folders from x-ui.json's environment
// (XUI_LOG_FOLDER, XUI_SOCKET_FOLDER, XUI_DB_FOLDER, XUI_BIN_FOLDER); none
// of them can be changed through the panel's API.
func DefaultOptions() Options {
	return Options{
		LogFolder:    config.GetLogFolder(),
		SocketFolder: validate.SocketFolder(),
		PanelFolders: []string{config.GetDBFolderPath(), config.GetBinFolderPath()},
		PanelFiles: []string{
			config.GetDBPath(), config.GetSettingPath(), config.GetSharedCachePath(),
			config.GetTrafficPendingPath(), filepath.Join(config.GetBinFolderPath(), "config.json"),
			filepath.Join(config.GetLogFolder(), "x-ui.log"),
		},
	}
}

// Violation is one broken rule. Inbound is the tag of the inbound at
// fault ("" for the template's top-level sections); Field is the path
// inside the template ("api.listen", "routing.rules[0]") or, for an
// inbound, inside that inbound ("settings.fallbacks[1].dest").
type Violation struct {
	Inbound string
	Field   string
	Msg     string
}

// Path is the violation's field as one path from the config's root.
func (v Violation) Path() string {
	if v.Inbound == "" {
		return v.Field
	}
	return "inbounds[" + v.Inbound + "]." + v.Field
}

func (v Violation) Error() string { return v.Path() + ": " + v.Msg }

// Check lists the violations of cfg (nil when it may run as is): Scan's,
// and every object with two keys Xray reads as one (see keyClashes).
func Check(cfg *xray.Config, o Options) []Violation {
	_, v := Scan(cfg, o)
	return append(v, keyClashes(cfg)...)
}

// Scan returns cfg with every offending part neutralized (cfg itself is
// not modified) and the violations found. Neutralized means: a public
// api/metrics listen and a bad log path are removed, a routing rule or
// balancer selector leading to api/metrics from outside is dropped, a
// forwarding inbound is left out, a forwarding outbound becomes a
// blackhole with the same tag (so routing still loads), a bad fallback
// is dropped from its list.
func Scan(cfg *xray.Config, o Options) (*xray.Config, []Violation) {
	s := &scan{o: o, out: *cfg}
	s.out.InboundConfigs = append([]xray.InboundConfig(nil), cfg.InboundConfigs...)
	s.indexInbounds()
	s.apiAndMetrics()
	s.routing()
	s.guardedPorts()
	s.inbounds()
	s.outbounds()
	s.logs()
	return &s.out, s.found
}

type scan struct {
	o     Options
	out   xray.Config
	found []Violation

	apiTag, metricsTag string
	listens            map[string]string // inbound tag -> listen address
	ports              map[string]int    // inbound tag -> port
	// privileged are the inbounds allowed to route to api/metrics: they
	// listen on a loopback IP and a rule sends them there.
	privileged map[string]bool
	guarded    map[int]string // port -> what it serves
}

func (s *scan) add(inbound, field, format string, args ...any) {
	s.found = append(s.found, Violation{Inbound: inbound, Field: field, Msg: fmt.Sprintf(format, args...)})
}

func (s *scan) indexInbounds() {
	s.listens, s.ports = map[string]string{}, map[string]int{}
	for _, in := range s.out.InboundConfigs {
		s.listens[in.Tag] = rawString(in.Listen)
		s.ports[in.Tag] = in.Port
	}
}

// apiAndMetrics: Xray's own listeners for the API and metrics serve
// anyone who reaches them, so they stay on loopback.
func (s *scan) apiAndMetrics() {
	s.out.API, s.apiTag = s.loopbackListen("api", s.out.API)
	s.out.Metrics, s.metricsTag = s.loopbackListen("metrics", s.out.Metrics)
}

func (s *scan) loopbackListen(section string, raw json.RawMessage) (json.RawMessage, string) {
	if len(raw) == 0 {
		return raw, ""
	}
	obj := map[string]json.RawMessage{}
	if json.Unmarshal(raw, &obj) != nil {
		return raw, "" // the template check reports a malformed section
	}
	// Xray's APIConfig and MetricsConfig (a field of another type leaves
	// it empty here and makes Xray refuse the config).
	var st struct {
		Tag    string `json:"tag"`
		Listen string `json:"listen"`
	}
	_ = json.Unmarshal(raw, &st)
	tag, addr := st.Tag, st.Listen
	if addr == "" {
		return raw, tag
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil || !loopbackHost(host) {
		s.add("", section+".listen", "%q must be 127.0.0.1:PORT or [::1]:PORT: Xray's %s listener has no authentication", addr, section)
		setKey(obj, "listen", nil)
		fixed, _ := json.Marshal(obj)
		return fixed, tag
	}
	if p, err := strconv.Atoi(port); err == nil {
		s.guard(p, section+".listen")
	}
	return raw, tag
}

func (s *scan) guard(port int, what string) {
	if s.guarded == nil {
		s.guarded = map[int]string{}
	}
	if _, ok := s.guarded[port]; !ok && port > 0 {
		s.guarded[port] = what
	}
}

// routing: only inbounds listening on loopback may route to the api or
// metrics outbound (3x-ui's default: inbound "api" on 127.0.0.1 -> "api").
// A rule without inboundTag would send every inbound's traffic there.
func (s *scan) routing() {
	s.privileged = map[string]bool{}
	if len(s.out.RouterConfig) == 0 {
		return
	}
	obj := map[string]json.RawMessage{}
	if json.Unmarshal(s.out.RouterConfig, &obj) != nil {
		return
	}
	// Xray's RouterConfig and RouterRule, read as Xray reads them.
	var rc struct {
		Rules     []json.RawMessage `json:"rules"`
		Balancers []json.RawMessage `json:"balancers"`
	}
	_ = json.Unmarshal(s.out.RouterConfig, &rc)
	changed := false
	if rc.Rules != nil {
		kept := rc.Rules[:0:0]
		for i, r := range rc.Rules {
			var rule struct {
				OutboundTag string          `json:"outboundTag"`
				InboundTag  json.RawMessage `json:"inboundTag"`
			}
			_ = json.Unmarshal(r, &rule)
			if !s.isControl(rule.OutboundTag) {
				kept = append(kept, r)
				continue
			}
			target := rule.OutboundTag
			tags := stringList(rule.InboundTag)
			bad := ""
			if len(tags) == 0 {
				bad = "a rule to the " + target + " outbound must name its inbounds (inboundTag); without it every inbound's traffic reaches Xray's API"
			}
			for _, tag := range tags {
				if !loopbackIP(s.listens[tag]) {
					bad = fmt.Sprintf("inbound %q does not listen on 127.0.0.1 or ::1, so it may not route to the %s outbound (Xray's API has no authentication)", tag, target)
					break
				}
			}
			if bad != "" {
				s.add("", fmt.Sprintf("routing.rules[%d]", i), "%s", bad)
				changed = true
				continue
			}
			for _, tag := range tags {
				s.privileged[tag] = true
			}
			kept = append(kept, r)
		}
		if len(kept) != len(rc.Rules) {
			setKey(obj, "rules", mustMarshal(kept))
		}
	}
	if rc.Balancers != nil {
		for i, b := range rc.Balancers {
			var bal struct {
				Selector json.RawMessage `json:"selector"`
			}
			_ = json.Unmarshal(b, &bal)
			sel := stringList(bal.Selector)
			kept := []string{}
			for _, prefix := range sel {
				if s.selects(prefix) {
					s.add("", fmt.Sprintf("routing.balancers[%d].selector", i), "%q selects the %s outbound: a balancer may not lead to Xray's API or metrics", prefix, s.apiTag)
					continue
				}
				kept = append(kept, prefix)
			}
			if len(kept) != len(sel) {
				fields := map[string]json.RawMessage{}
				_ = json.Unmarshal(b, &fields)
				setKey(fields, "selector", mustMarshal(kept))
				rc.Balancers[i] = mustMarshal(fields)
				changed = true
			}
		}
		if changed {
			setKey(obj, "balancers", mustMarshal(rc.Balancers))
		}
	}
	if changed {
		s.out.RouterConfig, _ = json.Marshal(obj)
	}
	for tag := range s.privileged {
		s.guard(s.ports[tag], "the API inbound "+strconv.Quote(tag))
	}
}

func (s *scan) isControl(tag string) bool {
	return tag != "" && (tag == s.apiTag || tag == s.metricsTag)
}

// selects: a balancer picks every outbound whose tag starts with a prefix.
func (s *scan) selects(prefix string) bool {
	return (s.apiTag != "" && strings.HasPrefix(s.apiTag, prefix)) ||
		(s.metricsTag != "" && strings.HasPrefix(s.metricsTag, prefix))
}

// guardedPorts: the api inbound's port is guarded even when no rule
// routes it yet, so a template reordering cannot slip a forward in.
func (s *scan) guardedPorts() {
	for _, tag := range []string{s.apiTag, s.metricsTag} {
		if p, ok := s.ports[tag]; ok && tag != "" {
			s.guard(p, "the API inbound "+strconv.Quote(tag))
		}
	}
}

// inbounds: no forwarding inbound may lead to a guarded port, and a
// fallback goes only to a loopback TCP port that is not guarded or to a
// unix socket Xray or the admin made for it.
func (s *scan) inbounds() {
	own := map[string]bool{} // unix sockets Xray's own inbounds listen on
	for _, l := range s.listens {
		if strings.HasPrefix(l, "/") || strings.HasPrefix(l, "@") {
			own[strings.SplitN(l, ",", 2)[0]] = true
		}
	}
	kept := s.out.InboundConfigs[:0:0]
	for _, in := range s.out.InboundConfigs {
		if s.forwardsToGuarded(&in) {
			continue
		}
		if mayHoldKey(in.Settings, "fallbacks") {
			in.Settings = s.fallbacks(in.Tag, in.Settings, own)
		}
		kept = append(kept, in)
	}
	s.out.InboundConfigs = kept
}

func (s *scan) forwardsToGuarded(in *xray.InboundConfig) bool {
	// Xray lower-cases the protocol name before it looks it up.
	if p := strings.ToLower(in.Protocol); p != "dokodemo-door" && p != "tunnel" || s.privileged[in.Tag] {
		return false
	}
	var st struct {
		Port    json.RawMessage   `json:"port"`
		PortMap map[string]string `json:"portMap"`
	}
	if json.Unmarshal(in.Settings, &st) != nil {
		return false
	}
	if p := rawPort(st.Port); p > 0 {
		if what, bad := s.guarded[p]; bad {
			s.add(in.Tag, "settings.port", "%d is the port of %s: a forwarding inbound may not lead to Xray's API or metrics", p, what)
			return true
		}
	}
	for from, to := range st.PortMap {
		if p := hostPortPort(to); p > 0 {
			if what, bad := s.guarded[p]; bad {
				s.add(in.Tag, "settings.portMap."+from, "%d is the port of %s: a forwarding inbound may not lead to Xray's API or metrics", p, what)
				return true
			}
		}
	}
	return false
}

func (s *scan) fallbacks(tag string, raw json.RawMessage, own map[string]bool) json.RawMessage {
	// Xray's VLESS/Trojan settings: "Fallbacks" or "fallback\u0073" are
	// its fallbacks too, and of several such keys the last one counts.
	var st struct {
		Fallbacks []json.RawMessage `json:"fallbacks"`
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil || json.Unmarshal(raw, &st) != nil || len(st.Fallbacks) == 0 {
		return raw
	}
	kept := make([]json.RawMessage, 0, len(st.Fallbacks))
	for i, fb := range st.Fallbacks {
		var f struct {
			Dest json.RawMessage `json:"dest"`
		}
		var dest any
		if json.Unmarshal(fb, &f) == nil {
			_ = json.Unmarshal(f.Dest, &dest)
		}
		if msg := s.fallbackDest(dest, own); msg != "" {
			s.add(tag, fmt.Sprintf("settings.fallbacks[%d].dest", i), "%s", msg)
			continue
		}
		kept = append(kept, fb)
	}
	if len(kept) == len(st.Fallbacks) {
		return raw
	}
	setKey(obj, "fallbacks", mustMarshal(kept))
	return mustMarshal(obj)
}

// fallbackDest explains why dest may not be a fallback target ("" = ok).
func (s *scan) fallbackDest(dest any, own map[string]bool) string {
	var text string
	switch d := dest.(type) {
	case float64:
		text = strconv.FormatFloat(d, 'f', -1, 64)
	case string:
		text = strings.TrimSpace(d)
	default:
		return "must be a port, 127.0.0.1:PORT or a unix socket path"
	}
	if strings.HasPrefix(text, "@") {
		if own[text] || own[strings.TrimPrefix(text, "@")] {
			return ""
		}
		return fmt.Sprintf("%q: abstract unix sockets are refused (any local process may own one) unless one of Xray's inbounds listens on it", text)
	}
	if strings.HasPrefix(text, "/") {
		return s.socketDest(text, own)
	}
	host, port := "127.0.0.1", text
	if strings.Contains(text, ":") {
		var err error
		if host, port, err = net.SplitHostPort(text); err != nil {
			return fmt.Sprintf("%q is not a port or host:port", text)
		}
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 1 || p > 65535 {
		return fmt.Sprintf("%q is not a TCP port", text)
	}
	if !loopbackHost(host) {
		return fmt.Sprintf("%q: a fallback goes to this host only (127.0.0.1, ::1 or localhost), so it cannot reach the private network", text)
	}
	if what, bad := s.guarded[p]; bad {
		return fmt.Sprintf("%d is the port of %s: a fallback would publish Xray's API", p, what)
	}
	return ""
}

func (s *scan) socketDest(path string, own map[string]bool) string {
	if own[path] {
		return ""
	}
	if s.o.SocketFolder == "" {
		return fmt.Sprintf("%q: unix socket fallbacks are off (set XUI_SOCKET_FOLDER to allow sockets under one folder)", path)
	}
	if !validate.Inside(s.o.SocketFolder, path) {
		return fmt.Sprintf("%q: a unix socket fallback must be inside %s", path, s.o.SocketFolder)
	}
	// A symlink inside the folder must not lead out of it.
	if real, err := filepath.EvalSymlinks(path); err == nil {
		folder, ferr := filepath.EvalSymlinks(s.o.SocketFolder)
		if ferr != nil || !validate.Inside(folder, real) {
			return fmt.Sprintf("%q leads outside %s", path, s.o.SocketFolder)
		}
	}
	return ""
}

// outbounds: a freedom redirect or a loopback outbound would hand any
// client's traffic to the API.
func (s *scan) outbounds() {
	if len(s.out.OutboundConfigs) == 0 {
		return
	}
	var list []json.RawMessage
	if json.Unmarshal(s.out.OutboundConfigs, &list) != nil {
		return
	}
	changed := false
	for i, raw := range list {
		// Xray's OutboundDetourConfig, freedom and loopback settings; it
		// lower-cases the protocol name.
		var ob struct {
			Protocol string          `json:"protocol"`
			Tag      string          `json:"tag"`
			Settings json.RawMessage `json:"settings"`
		}
		var settings struct {
			Redirect   string `json:"redirect"`
			InboundTag string `json:"inboundTag"`
		}
		_ = json.Unmarshal(raw, &ob)
		_ = json.Unmarshal(ob.Settings, &settings)
		msg := ""
		switch strings.ToLower(ob.Protocol) {
		case "freedom":
			if r := settings.Redirect; r != "" {
				if p := hostPortPort(r); p > 0 {
					if what, bad := s.guarded[p]; bad {
						msg = fmt.Sprintf("redirect %q leads to the port of %s", r, what)
					}
				}
			}
		case "loopback":
			if tag := settings.InboundTag; s.privileged[tag] || (tag != "" && tag == s.apiTag) {
				msg = fmt.Sprintf("re-enters the API inbound %q, whose traffic goes to Xray's API", tag)
			}
		}
		if msg != "" {
			s.add("", fmt.Sprintf("outbounds[%d]", i), "%s", msg)
			list[i] = mustMarshal(map[string]any{"tag": ob.Tag, "protocol": "blackhole", "settings": map[string]any{}})
			changed = true
		}
	}
	if changed {
		s.out.OutboundConfigs, _ = json.Marshal(list)
	}
}

// logs: Xray runs as root and appends to its log files, so a log path is
// a write-anywhere primitive; a panel file appended to breaks the next
// start.
func (s *scan) logs() {
	if len(s.out.LogConfig) == 0 {
		return
	}
	obj := map[string]json.RawMessage{}
	if json.Unmarshal(s.out.LogConfig, &obj) != nil {
		return
	}
	// Xray's LogConfig.
	var st struct {
		Access string `json:"access"`
		Error  string `json:"error"`
	}
	_ = json.Unmarshal(s.out.LogConfig, &st)
	changed := false
	for _, f := range []struct{ name, path string }{{"access", st.Access}, {"error", st.Error}} {
		if f.path == "" || f.path == "none" {
			continue
		}
		if msg := s.logPath(f.path); msg != "" {
			s.add("", "log."+f.name, "%s", msg)
			setKey(obj, f.name, json.RawMessage(`"none"`))
			changed = true
		}
	}
	if changed {
		s.out.LogConfig, _ = json.Marshal(obj)
	}
}

func (s *scan) logPath(p string) string {
	if s.o.LogFolder == "" || !validate.Inside(s.o.LogFolder, p) {
		return fmt.Sprintf("must be empty, \"none\" or a file inside %s", s.o.LogFolder)
	}
	candidates := []string{p}
	if real, err := filepath.EvalSymlinks(p); err == nil {
		candidates = append(candidates, real)
		if folder, err := filepath.EvalSymlinks(s.o.LogFolder); err != nil || !validate.Inside(folder, real) {
			return fmt.Sprintf("%q leads outside %s", p, s.o.LogFolder)
		}
	}
	if fi, err := os.Lstat(p); err == nil && !fi.Mode().IsRegular() && fi.Mode()&os.ModeSymlink == 0 {
		return fmt.Sprintf("%q exists and is not a regular file", p)
	}
	for _, c := range candidates {
		abs, _ := filepath.Abs(c)
		for _, f := range s.o.PanelFiles {
			if fa, _ := filepath.Abs(f); fa == abs {
				return fmt.Sprintf("%q is the panel's own file", p)
			}
		}
		for _, folder := range s.o.PanelFolders {
			if folder != "" && validate.Inside(folder, abs) {
				return fmt.Sprintf("%q is inside %s, which holds the panel's own files", p, folder)
			}
		}
		if strings.HasPrefix(filepath.Base(abs), "x-ui.") {
			return fmt.Sprintf("%q is named like the panel's own files (x-ui.*)", p)
		}
	}
	return ""
}

func rawString(raw json.RawMessage) string {
	var s string
	_ = json.Unmarshal(raw, &s)
	return s
}

// rawPort reads a port given as a number or a numeric string.
func rawPort(raw json.RawMessage) int {
	var n int
	if json.Unmarshal(raw, &n) == nil {
		return n
	}
	n, _ = strconv.Atoi(rawString(raw))
	return n
}

// hostPortPort is the port of "host:port" or ":port" (0 when none).
func hostPortPort(s string) int {
	_, port, err := net.SplitHostPort(strings.TrimSpace(s))
	if err != nil {
		return 0
	}
	p, _ := strconv.Atoi(port)
	return p
}

// stringList reads an Xray StringList: an array of strings, or one string
// that Xray splits at commas ("inbound-443,api" names two tags).
func stringList(raw json.RawMessage) []string {
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		return list
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return strings.Split(one, ",")
	}
	return nil
}

// setKey replaces every key of obj that Xray reads as name by name alone
// (v nil: removes them), so a rewritten object says one thing to Xray.
func setKey(obj map[string]json.RawMessage, name string, v json.RawMessage) {
	for key := range obj {
		if users.SameKey(key, name) {
			delete(obj, key)
		}
	}
	if v != nil {
		obj[name] = v
	}
}

func mustMarshal(v any) json.RawMessage {
	raw, err := json.Marshal(v)
	if err != nil {
		panic(err) // only maps and slices of raw JSON that was decoded
	}
	return raw
}

// mayHoldKey is false only when raw certainly holds no key that Xray
// reads as name (ASCII name): it skips the decode of a huge settings
// object. Anything a spelling could hide in sends it to the full check:
// the name in any letter case, a \u escape or a non-ASCII rune that folds
// to one of name's letters (U+017F "ſ" is an "s", U+212A "K" a "k").
// Other escapes and runes (a "\u0026" json.Marshal wrote, a Chinese
// comment) cannot spell name, so they no longer cost every inbound that
// has them a full decode at each apply.
func mayHoldKey(raw []byte, name string) bool {
	n := len(name)
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRune(raw[i:])
			if foldsInto(r, name) {
				return true
			}
			i += size - 1
		case c == '\\' && i+1 < len(raw) && raw[i+1] == 'u':
			if i+6 > len(raw) {
				return true
			}
			r, err := strconv.ParseUint(string(raw[i+2:i+6]), 16, 16)
			if err != nil || foldsInto(rune(r), name) {
				return true
			}
		case c|0x20 == name[0]|0x20 && i+n <= len(raw) && bytes.EqualFold(raw[i:i+n], []byte(name)):
			return true
		}
	}
	return false
}

// foldsInto reports whether encoding/json may read rune r as one of the
// ASCII letters of name: r itself, or r's case-folding orbit, holds one.
func foldsInto(r rune, name string) bool {
	for f := r; ; {
		if f < utf8.RuneSelf && strings.ContainsRune(strings.ToLower(name), unicode.ToLower(f)) {
			return true
		}
		if f = unicode.SimpleFold(f); f == r {
			return false
		}
	}
}

func loopbackIP(listen string) bool {
	ip := net.ParseIP(strings.Trim(strings.TrimSpace(listen), "[]"))
	return ip != nil && ip.IsLoopback()
}

func loopbackHost(host string) bool {
	return strings.EqualFold(host, "localhost") || loopbackIP(host)
}
