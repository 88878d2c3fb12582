package validate

import (
	"encoding/json"
	"net"
	"regexp"
	"strings"

	"github.com/mhsanaei/3x-ui/v2/xray"
)

// NeededAPIServices are the gRPC services the panel calls: live user and
// inbound changes, and the traffic counters.
var NeededAPIServices = []string{"HandlerService", "StatsService"}

// TemplateOptions is what the template is checked against.
type TemplateOptions struct {
	Field        string         // the setting's name in errors, e.g. xrayTemplateConfig
	PanelPort    int            // the panel's own port
	SubPort      int            // the subscription server's port (0 = off)
	LogFolder    string         // log.access / log.error must be inside it
	InboundPorts map[int]string // ports of the panel's inbounds -> their tag
	// Bound reports whether Xray already holds a port (from the running
	// config); ports it holds are not probed on the host.
	Bound func(port int) bool
}

var extGeo = regexp.MustCompile(`"ext(ip|site)?:`)

// Template checks a rendered template (before the panel's inbounds are
// added) for what breaks or hijacks at run time but passes `xray -test`.
func Template(raw string, cfg *xray.Config, o TemplateOptions) *FieldError {
	f := o.Field
	if extGeo.MatchString(raw) {
		return fail(f+".routing", "ext: geo files are not allowed (they read arbitrary files); use inline rules")
	}
	if err := logPaths(f, cfg.LogConfig, o.LogFolder); err != nil {
		return err
	}
	var api struct {
		Tag      string   `json:"tag"`
		Services []string `json:"services"`
	}
	if len(cfg.API) == 0 || json.Unmarshal(cfg.API, &api) != nil || api.Tag == "" {
		return fail(f+".api", "an api section with a tag is required: the panel manages users and reads traffic through it")
	}
	for _, s := range NeededAPIServices {
		if !has(api.Services, s) {
			return fail(f+".api.services", "must include %s", strings.Join(NeededAPIServices, " and "))
		}
	}
	var apiIn *xray.InboundConfig
	for i := range cfg.InboundConfigs {
		in := &cfg.InboundConfigs[i]
		if in.Port < 1 || in.Port > 65535 {
			return fail(f+".inbounds", "inbound %q: port %d is not a TCP port", in.Tag, in.Port)
		}
		if in.Tag == api.Tag {
			apiIn = in
		}
		if tag, ok := o.InboundPorts[in.Port]; ok {
			return fail(f+".inbounds", "inbound %q: port %d is used by the panel's inbound %q", in.Tag, in.Port, tag)
		}
		if in.Port == o.PanelPort || (o.SubPort > 0 && in.Port == o.SubPort) {
			return fail(f+".inbounds", "inbound %q: port %d is the panel's or subscription server's port", in.Tag, in.Port)
		}
		if o.Bound == nil || !o.Bound(in.Port) {
			if err := HostPortFree(f+".inbounds", listenString(in.Listen), in.Port, false); err != nil {
				err.Msg = "inbound " + in.Tag + ": " + err.Msg
				return err
			}
		}
	}
	if apiIn == nil {
		return fail(f+".inbounds", "no inbound is tagged %q: the panel's API inbound is required", api.Tag)
	}
	ip := net.ParseIP(strings.Trim(listenString(apiIn.Listen), "[]"))
	if ip == nil || !ip.IsLoopback() {
		return fail(f+".inbounds", "the API inbound %q must listen on 127.0.0.1 or ::1 (Xray's API has no authentication)", api.Tag)
	}
	return nil
}

func listenString(raw json.RawMessage) string {
	var s string
	_ = json.Unmarshal(raw, &s)
	return s
}

// logPaths: Xray runs as root, so a log path is a write-anywhere primitive.
func logPaths(f string, raw json.RawMessage, folder string) *FieldError {
	if len(raw) == 0 {
		return nil
	}
	var l struct {
		Access string `json:"access"`
		Error  string `json:"error"`
	}
	if err := json.Unmarshal(raw, &l); err != nil {
		return fail(f+".log", "must be an object: %v", err)
	}
	for name, p := range map[string]string{"access": l.Access, "error": l.Error} {
		if p == "" || p == "none" {
			continue
		}
		if folder == "" || !Inside(folder, p) {
			return fail(f+".log."+name, "must be empty, \"none\" or a file inside %s", folder)
		}
	}
	return nil
}
