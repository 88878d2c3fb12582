package controller

import (
	"encoding/json"

	"github.com/gin-gonic/gin"
	"github.com/mhsanaei/3x-ui/v2/inbound"
)

// XrayController serves the Xray template on 3x-ui's routes, so its scripts
// work unchanged: POST panel/api/xray/ (and v2's panel/xray/) answers obj as
// a JSON string {"xraySetting": <template>, "inboundTags": [...]}, and
// .../update takes xraySetting as a form field or JSON. The
// setting/getXrayTemplate and setting/updateXrayTemplate routes stay as
// documented aliases.
type XrayController struct {
	Settings *SettingController
	Inbounds *inbound.Store
}

func (a *XrayController) register(g *gin.RouterGroup) {
	g.POST("/", a.getXraySetting)
	g.POST("", a.getXraySetting)
	g.POST("/update", a.Settings.updateXrayTemplate)
}

func (a *XrayController) getXraySetting(c *gin.Context) {
	tpl, err := a.Settings.Settings.GetXrayConfigTemplate()
	if err != nil {
		fail(c, err)
		return
	}
	inbounds, err := a.Inbounds.GetAllInbounds()
	if err != nil {
		fail(c, err)
		return
	}
	tags := make([]string, 0, len(inbounds))
	for _, in := range inbounds {
		tags = append(tags, in.Tag)
	}
	out, err := json.Marshal(struct {
		XraySetting json.RawMessage `json:"xraySetting"`
		InboundTags []string        `json:"inboundTags"`
	}{json.RawMessage(tpl), tags})
	if err != nil {
		fail(c, err)
		return
	}
	ok(c, string(out))
}
