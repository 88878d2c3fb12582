package inbound

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/mhsanaei/3x-ui/v2/errs"
	"github.com/mhsanaei/3x-ui/v2/settings"
	"github.com/mhsanaei/3x-ui/v2/xrayconf"
	"github.com/mhsanaei/3x-ui/v2/xrayconf/exposure"
	"os"
	"strings"

	"github.com/mhsanaei/3x-ui/v2/audit"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/validate"
	"github.com/mhsanaei/3x-ui/v2/xray"
	"github.com/mhsanaei/3x-ui/v2/xray/users"
	"gorm.io/gorm"
)

// XrayPrecheck is the pre-commit check of every structural write (inbound
// add/update, template, import): inside the write's transaction it renders
// the config that would run, probes the host for ports Xray does not hold
// yet, and has the Xray binary test the result (bounded by xray's tool
// timeout). A refusal rolls the transaction back, so nothing is stored
// and Xray is never touched. Client-only writes skip it: xray/users holds
// Xray's own client rules and every client write passes them.
type XrayPrecheck struct {
	Binary string
	// Running is the config Xray runs now (nil when stopped).
	Running func() *xray.Config
}

// check renders the state tx would commit; in is the inbound being
// written (nil for template and import writes).
func (p *XrayPrecheck) check(tx *gorm.DB, in *model.Inbound) error {
	if p == nil || p.Binary == "" || !binaryPresent(p.Binary) {
		return nil
	}
	tpl, err := settings.ReadString(tx, "xrayTemplateConfig")
	if err != nil {
		return err
	}
	var inbounds []*model.Inbound
	if err := tx.Preload("ClientStats").Order("id").Find(&inbounds).Error; err != nil {
		return err
	}
	cfg, err := xrayconf.Render(tpl, inbounds)
	if err != nil {
		return errs.Invalid("settings", "%v", err)
	}
	if in != nil && in.Enable {
		if err := p.probe(in); err != nil {
			return err
		}
	}
	if err := xray.TestConfig(p.Binary, cfg); err != nil {
		return errs.Invalid(xrayFailureField(err.Error()), "Xray refuses this config: %v", err)
	}
	return nil
}

// probe binds the inbound's port on the host unless the running Xray
// already holds that listen:port (then it is Xray's own, not a stranger's).
func (p *XrayPrecheck) probe(in *model.Inbound) error {
	if p.Running != nil {
		if cur := p.Running(); cur != nil {
			for _, ic := range cur.InboundConfigs {
				if ic.Port == in.Port && listenOf(&ic) == in.Listen {
					return nil
				}
			}
		}
	}
	udp := in.Protocol == model.Shadowsocks || strings.Contains(in.StreamSettings, `"kcp"`) || strings.Contains(in.StreamSettings, `"mkcp"`)
	if err := validate.HostPortFree("port", in.Listen, in.Port, udp); err != nil {
		return errs.Conflict(err.Field, "%s", err.Msg)
	}
	return nil
}

func listenOf(ic *xray.InboundConfig) string {
	var s string
	if len(ic.Listen) > 0 {
		_ = json.Unmarshal(ic.Listen, &s)
	}
	return s
}

// xrayFailureField guesses which part of an inbound Xray's message is
// about, so the form can point at it.
func xrayFailureField(msg string) string {
	m := strings.ToLower(msg)
	for _, w := range []string{"transport", "tls", "reality", "stream", "grpc", "websocket", "xhttp", "kcp", "certificate"} {
		if strings.Contains(m, w) {
			return "streamSettings"
		}
	}
	if strings.Contains(m, "sniff") {
		return "sniffing"
	}
	return "settings"
}

// writeStructural is write plus the pre-commit Xray check for in; its
// change-log entry tells workers to reread just this inbound.
func (s *Store) writeStructural(in *model.Inbound, e audit.Entry, fn func(tx *gorm.DB, e *audit.Entry) error) error {
	return s.writeLogged(e, func(tx *gorm.DB, _ int64, e *audit.Entry) ([]model.SharedChange, error) {
		if err := fn(tx, e); err != nil {
			return nil, err
		}
		if err := checkExposure(tx, in); err != nil {
			return nil, err
		}
		if err := s.Precheck.check(tx, in); err != nil {
			return nil, err
		}
		return []model.SharedChange{{Kind: model.ChangeInbound, InboundId: in.Id}}, nil
	})
}

// validateInboundHardening: the checks beyond shape that keep Xray up.
func validateInboundHardening(in *model.Inbound) error {
	if err := validate.Listen(in.Listen, validate.SocketFolder()); err != nil {
		return errs.Invalid(err.Field, "%s", err.Msg)
	}
	if err := validate.Stream(in.StreamSettings); err != nil {
		return errs.Invalid(err.Field, "%s", err.Msg)
	}
	if err := validate.Text("remark", in.Remark, MaxRemark); err != nil {
		return errs.Invalid(err.Field, "%s", err.Msg)
	}
	for field, v := range map[string]string{"settings": in.Settings, "streamSettings": in.StreamSettings, "sniffing": in.Sniffing} {
		if err := validate.Text(field, v, MaxInboundJSON); err != nil {
			return errs.Invalid(err.Field, "%s", err.Msg)
		}
	}
	return nil
}

// Length limits (docs/validation.md).
const (
	MaxRemark      = 256
	MaxInboundJSON = 64 << 20 // settings of ~100k clients
)

// PrepareForImport validates a backup's inbound with the API's rules and
// returns its clients (importDB puts every row through it).
func PrepareForImport(in *model.Inbound) ([]Client, error) { return prepareInbound(in) }

// ListensOverlap reports whether two listen addresses clash on one port.
func ListensOverlap(a, b string) bool { return listensOverlap(a, b) }

// CheckImport is the pre-commit Xray check of an imported state: every
// enabled inbound's port is probed (unless the running Xray holds it) and
// the rendered config is tested by Xray.
func (p *XrayPrecheck) CheckImport(tx *gorm.DB) error {
	if err := checkExposure(tx, nil); err != nil {
		return err
	}
	if p == nil || p.Binary == "" || !binaryPresent(p.Binary) {
		return nil
	}
	var inbounds []*model.Inbound
	if err := tx.Order("id").Find(&inbounds).Error; err != nil {
		return err
	}
	for _, in := range inbounds {
		if !in.Enable {
			continue
		}
		if err := p.probe(in); err != nil {
			var e *errs.Error
			if errors.As(err, &e) {
				e.Msg = fmt.Sprintf("inbound %d: %s", in.Id, e.Msg)
			}
			return err
		}
	}
	return p.check(tx, nil)
}

// checkExposure holds the state tx would commit to the exposure rule
// (xrayconf/exposure), with or without an Xray binary. For an inbound
// write only that inbound's violations refuse it (rendered even when it
// is disabled, so enabling it later cannot slip a fallback in); an import
// refuses on any violation, naming where it is.
func checkExposure(tx *gorm.DB, in *model.Inbound) error {
	tpl, err := settings.ReadString(tx, "xrayTemplateConfig")
	if err != nil {
		return err
	}
	var inbounds []*model.Inbound
	if err := tx.Preload("ClientStats").Order("id").Find(&inbounds).Error; err != nil {
		return err
	}
	for _, row := range inbounds {
		if in != nil && row.Id != in.Id {
			continue
		}
		if in != nil {
			row.Enable = true
		}
		if field, msg := checkKeys(row); field != "" {
			if in == nil {
				return errs.Invalid("db", "the backup's inbound %q: %s: %s", row.Tag, field, msg)
			}
			return errs.Invalid(field, "%s", msg)
		}
	}
	cfg, err := xrayconf.Render(tpl, inbounds)
	if err != nil {
		if in == nil {
			return errs.Invalid("db", "the backup's Xray config does not render: %v", err)
		}
		return err
	}
	for _, v := range exposure.Check(cfg, exposure.DefaultOptions()) {
		switch {
		case in != nil && v.Inbound == in.Tag:
			return errs.Invalid(v.Field, "%s", v.Msg)
		case in == nil:
			return errs.Invalid("db", "the backup breaks the Xray exposure rule: %s", v.Error())
		}
	}
	return nil
}

// binaryPresent: without an Xray binary nothing runs, so there is nothing
// to protect; the write is stored and reported as not applied.
func binaryPresent(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// checkKeys applies the key rule (users.CheckKeys, docs/security.md
// "Object keys") to the JSON parts of an inbound as stored: Xray reads
// keys case-insensitively, the panel reads its own names exactly, so a
// key both could read differently is refused before anything renders.
func checkKeys(in *model.Inbound) (field, msg string) {
	for _, part := range []struct{ name, raw string }{
		{"settings", in.Settings}, {"streamSettings", in.StreamSettings}, {"sniffing", in.Sniffing},
	} {
		if e := users.CheckKeys([]byte(part.raw)); e != nil {
			return part.name + "." + e.Path, e.Msg
		}
	}
	return "", ""
}
