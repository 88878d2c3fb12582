package xrayrun

import (
	"encoding/json"
	"github.com/mhsanaei/3x-ui/v2/database"
	"strings"

	"github.com/mhsanaei/3x-ui/v2/errs"
	"github.com/mhsanaei/3x-ui/v2/inbound"
	"github.com/mhsanaei/3x-ui/v2/xray"
	"github.com/mhsanaei/3x-ui/v2/xray/users"
	"github.com/mhsanaei/3x-ui/v2/xrayconf"
	"github.com/mhsanaei/3x-ui/v2/xrayconf/exposure"
)

// XrayTemplateChecker validates an Xray template with the Xray binary itself
// before it is saved, rendered together with the current inbounds exactly as
// it would run.
type XrayTemplateChecker struct {
	Binary    string
	Inbounds  *inbound.Store
	PanelPort int
	LogFolder string
	Running   func() *xray.Config // the config Xray runs now (nil when stopped)
	DB        *database.Handle    // where the subscription port is read
}

// Check returns a 400-class error naming field when Xray would reject the
// template (or it is not a JSON object).
func (c *XrayTemplateChecker) Check(field, template string) error {
	var obj map[string]json.RawMessage
	if strings.TrimSpace(template) == "" {
		return errs.Invalid(field, "is required")
	}
	if err := json.Unmarshal([]byte(template), &obj); err != nil {
		return errs.Invalid(field, "is not a JSON object: %v", err)
	}
	// Xray reads "API" as "api": two such keys anywhere would let what
	// Xray runs depend on their order (docs/security.md, "Object keys").
	if e := users.KeyClash([]byte(template)); e != nil {
		return errs.Invalid(field+"."+e.Path, "%s", e.Msg)
	}
	inbounds, err := c.Inbounds.GetAllInbounds()
	if err != nil {
		return err
	}
	if err := c.checkHost(field, template, inbounds); err != nil {
		return err
	}
	cfg, err := xrayconf.Render(template, inbounds)
	if err != nil {
		return errs.Invalid(field, "%v", err)
	}
	rule := exposure.DefaultOptions()
	if c.LogFolder != "" {
		rule.LogFolder = c.LogFolder
	}
	if found := exposure.Check(cfg, rule); len(found) > 0 {
		return errs.Invalid(field+"."+found[0].Path(), "%s", found[0].Msg)
	}
	if err := xray.TestConfig(c.Binary, cfg); err != nil {
		return errs.Invalid(field, "%v", err)
	}
	return nil
}
