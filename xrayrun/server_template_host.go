package xrayrun

import (
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/errs"
	"github.com/mhsanaei/3x-ui/v2/settings"
	"github.com/mhsanaei/3x-ui/v2/validate"
	"github.com/mhsanaei/3x-ui/v2/xrayconf"
)

// checkHost refuses a template that `xray -test` passes but that breaks or
// hijacks at run time: the API inbound off loopback, on a busy or the
// panel's port, without the services the panel calls; template inbounds
// on the panel's inbound ports; log files outside the log folder; ext:
// geo files.
func (c *XrayTemplateChecker) checkHost(field, template string, inbounds []*model.Inbound) error {
	tplOnly, err := xrayconf.Render(template, nil)
	if err != nil {
		return errs.Invalid(field, "%v", err)
	}
	ports := make(map[int]string, len(inbounds))
	for _, in := range inbounds {
		ports[in.Port] = in.Tag
	}
	subPort := 0
	if conn := c.DB.Current(); conn != nil {
		if on, _ := settings.ReadBool(conn, "subEnable"); on {
			subPort, _ = settings.ReadInt(conn, "subPort")
		}
	}
	bound := func(port int) bool {
		if c.Running == nil {
			return false
		}
		cur := c.Running()
		if cur == nil {
			return false
		}
		for _, ic := range cur.InboundConfigs {
			if ic.Port == port {
				return true
			}
		}
		return false
	}
	if ferr := validate.Template(template, tplOnly, validate.TemplateOptions{
		Field: field, PanelPort: c.PanelPort, SubPort: subPort, LogFolder: c.LogFolder,
		InboundPorts: ports, Bound: bound,
	}); ferr != nil {
		return errs.Invalid(ferr.Field, "%s", ferr.Msg)
	}
	return nil
}
