package controller

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/errs"
	"github.com/mhsanaei/3x-ui/v2/inbound"
	"github.com/mhsanaei/3x-ui/v2/util/applied"
	"github.com/mhsanaei/3x-ui/v2/web/middleware"
)

// The inbound routes 3x-ui v3.6 added, with its request and answer shapes
// (docs/api.md says where they differ: real status codes, all-or-nothing
// bulk deletes).
func (a *InboundController) registerV3(g *gin.RouterGroup) {
	g.GET("list/slim", a.listSlim)
	g.GET("options", a.options)
	g.POST("setEnable/:id", a.setEnable)
	g.POST(":id/resetTraffic", a.resetTraffic)
	g.POST(":id/delAllClients", a.delAllClients)
	g.POST("bulkDel", a.bulkDel)
	g.POST("import", a.importInbound)
}

// listSlim is inbounds/list in v3's shape (settings, streamSettings and
// sniffing as objects) with each client cut to email, enable and comment.
func (a *InboundController) listSlim(c *gin.Context) {
	v, good := a.view(c)
	if !good {
		return
	}
	inbounds, err := a.Inbounds.GetAllInbounds()
	if err == nil {
		inbounds, err = v.inbounds(inbounds)
	}
	out := make([]V3Inbound, 0, len(inbounds))
	for _, in := range inbounds {
		if err != nil {
			break
		}
		if err = inbound.SlimClients(in); err == nil {
			out = append(out, toV3Inbound(in, false))
		}
	}
	replyObj(c, out, err)
}

// options lists the inbounds a client form may offer (v3's pickers).
func (a *InboundController) options(c *gin.Context) {
	v, good := a.view(c)
	if !good {
		return
	}
	opts, err := a.Inbounds.InboundOptions()
	if err != nil {
		fail(c, err)
		return
	}
	out := opts[:0]
	for _, o := range opts {
		if v.keepInbound(o.Id) {
			out = append(out, o)
		}
	}
	ok(c, out)
}

func (a *InboundController) setEnable(c *gin.Context) {
	with(c, idParam, func(id int) {
		var form struct {
			Enable *bool `json:"enable" form:"enable"`
		}
		if err := bind(c, &form); err != nil {
			fail(c, err)
			return
		}
		if form.Enable == nil {
			failStatus(c, http.StatusBadRequest, "enable: is required (true or false)")
			return
		}
		msg := "inbound disabled"
		if *form.Enable {
			msg = "inbound enabled"
		}
		a.write(c, msg, nil, func(s *inbound.Store) error {
			_, err := s.SetInboundEnable(id, *form.Enable)
			return err
		})
	})
}

// resetTraffic zeroes one inbound's own counters (its clients' stay).
func (a *InboundController) resetTraffic(c *gin.Context) {
	with(c, idParam, func(id int) {
		a.write(c, "inbound traffic reset", nil, func(s *inbound.Store) error { return s.ResetInboundTraffic(id) })
	})
}

// BulkDelResult is v3's answer to delAllClients and bulkDel. Skipped stays
// empty here (and is left out, as v3 leaves it out): these writes are all
// or nothing.
type BulkDelResult struct {
	Deleted int   `json:"deleted"`
	Skipped []any `json:"skipped,omitempty"`
}

func (a *InboundController) delAllClients(c *gin.Context) {
	with(c, idParam, func(id int) {
		res := &BulkDelResult{}
		a.write(c, "clients deleted", res, func(s *inbound.Store) (err error) {
			res.Deleted, err = s.DelAllClients(id)
			return err
		})
	})
}

func (a *InboundController) bulkDel(c *gin.Context) {
	var body struct {
		Ids []int `json:"ids" form:"ids"`
	}
	if err := bind(c, &body); err != nil {
		fail(c, err)
		return
	}
	res := &BulkDelResult{}
	a.write(c, "inbounds deleted", res, func(s *inbound.Store) (err error) {
		res.Deleted, err = s.DelInbounds(body.Ids)
		return err
	})
}

// importInbound adds the inbound sent as JSON text in form field data (v3's
// export format: settings as objects or strings), or as "data" in a JSON
// body. Its ids are dropped; its clients get fresh counter rows.
func (a *InboundController) importInbound(c *gin.Context) {
	var body struct {
		Data json.RawMessage `json:"data"`
	}
	var raw []byte
	if isJSON(c.Request) {
		if err := bindJSON(c, &body); err != nil {
			fail(c, err)
			return
		}
		raw = bytes.TrimSpace(body.Data)
		if len(raw) > 0 && raw[0] == '"' {
			var s string
			_ = json.Unmarshal(raw, &s)
			raw = []byte(s)
		}
	} else {
		raw = []byte(c.PostForm("data"))
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		fail(c, errs.Invalid("data", "is required: the inbound as JSON"))
		return
	}
	in, err := decodeInbound(raw)
	if err != nil {
		var e *errs.Error
		if errors.As(err, &e) && e.Field != "" {
			e.Field = "data." + e.Field
		}
		fail(c, err)
		return
	}
	in.Id, in.UserId = 0, middleware.UserID(c)
	var r applied.Receipt
	saved, err := a.Inbounds.WithReceipt(&r).As(middleware.Actor(c)).AddInbound(in)
	var obj any
	if err == nil {
		obj = toV3Inbound(saved, true)
	}
	replyWrite(c, a.applier(), &r, err, "inbound imported", obj)
}

// inboundBody is an inbound as a JSON body: v2 sends settings,
// streamSettings and sniffing as strings holding JSON, v3 as objects.
type inboundBody struct {
	model.Inbound
	Settings       json.RawMessage `json:"settings"`
	StreamSettings json.RawMessage `json:"streamSettings"`
	Sniffing       json.RawMessage `json:"sniffing"`
}

// decodeInbound reads an inbound from JSON, taking each of the three JSON
// fields as an object or a string; both become the same stored text and
// go through the same validation.
func decodeInbound(body []byte) (*model.Inbound, error) {
	var b inboundBody
	if err := decodeJSON(body, &b); err != nil {
		return nil, err
	}
	in := &b.Inbound
	for _, f := range []struct {
		name string
		raw  json.RawMessage
		dst  *string
	}{{"settings", b.Settings, &in.Settings}, {"streamSettings", b.StreamSettings, &in.StreamSettings}, {"sniffing", b.Sniffing, &in.Sniffing}} {
		text, err := jsonTextField(f.name, f.raw)
		if err != nil {
			return nil, err
		}
		*f.dst = text
	}
	return in, nil
}

// jsonTextField is the stored text of one JSON field: a string as it is,
// an object as its JSON text, null or absent as "".
func jsonTextField(name string, raw json.RawMessage) (string, error) {
	t := bytes.TrimSpace(raw)
	switch {
	case len(t) == 0 || string(t) == "null":
		return "", nil
	case t[0] == '"':
		var s string
		if err := json.Unmarshal(t, &s); err != nil {
			return "", errs.Invalid(name, "is not a valid JSON string")
		}
		return s, nil
	case t[0] == '{':
		return string(t), nil
	}
	return "", errs.Invalid(name, "must be a JSON object or a string holding one, got %s", clipJSON(t))
}

func clipJSON(t []byte) string {
	if len(t) > 32 {
		return string(t[:32]) + "…"
	}
	return string(t)
}

// V3Inbound is an inbound as v3.6 answers it: settings, streamSettings and
// sniffing as JSON (null when empty, a string when the stored text is not
// JSON), no allTime, and v3's sharing keys at the values that describe
// what this panel does (links by node address, ordered by id; monthly
// resets on the 1st).
type V3Inbound struct {
	Id                   int                 `json:"id"`
	Up                   int64               `json:"up"`
	Down                 int64               `json:"down"`
	Total                int64               `json:"total"`
	Remark               string              `json:"remark"`
	SubSortIndex         int                 `json:"subSortIndex"`
	Enable               bool                `json:"enable"`
	ExpiryTime           int64               `json:"expiryTime"`
	TrafficReset         string              `json:"trafficReset"`
	TrafficResetDay      int                 `json:"trafficResetDay"`
	LastTrafficResetTime int64               `json:"lastTrafficResetTime"`
	ClientStats          []inbound.V3Traffic `json:"clientStats"`
	Listen               string              `json:"listen"`
	Port                 int                 `json:"port"`
	Protocol             string              `json:"protocol"`
	Settings             json.RawMessage     `json:"settings"`
	StreamSettings       json.RawMessage     `json:"streamSettings"`
	Tag                  string              `json:"tag"`
	Sniffing             json.RawMessage     `json:"sniffing"`
	ShareAddrStrategy    string              `json:"shareAddrStrategy"`
	ShareAddr            string              `json:"shareAddr"`
}

// toV3Inbound converts in; full fills each stat's uuid and subId from the
// inbound's clients (the slim list leaves them empty, as v3 does).
func toV3Inbound(in *model.Inbound, full bool) V3Inbound {
	type ids struct{ uuid, subID string }
	byEmail := map[string]ids{}
	if full {
		clients, _ := inbound.ParseInboundClients(in.Settings) // stored settings decode; on error none are filled
		for _, cl := range clients {
			byEmail[strings.ToLower(cl.Email)] = ids{cl.ID, cl.SubID}
		}
	}
	stats := make([]inbound.V3Traffic, len(in.ClientStats))
	for i, st := range in.ClientStats {
		k := byEmail[strings.ToLower(st.Email)]
		stats[i] = inbound.V3Traffic{Id: st.Id, InboundId: st.InboundId, Enable: st.Enable, Email: st.Email,
			UUID: k.uuid, SubId: k.subID, Up: st.Up, Down: st.Down, ExpiryTime: st.ExpiryTime,
			Total: st.Total, Reset: st.Reset, LastOnline: st.LastOnline}
	}
	reset := in.TrafficReset
	if reset == "" {
		reset = "never"
	}
	return V3Inbound{Id: in.Id, Up: in.Up, Down: in.Down, Total: in.Total, Remark: in.Remark, SubSortIndex: 1,
		Enable: in.Enable, ExpiryTime: in.ExpiryTime, TrafficReset: reset, TrafficResetDay: 1,
		LastTrafficResetTime: in.LastTrafficResetTime, ClientStats: stats, Listen: in.Listen, Port: in.Port,
		Protocol: string(in.Protocol), Settings: jsonOrString(in.Settings), StreamSettings: jsonOrString(in.StreamSettings),
		Tag: in.Tag, Sniffing: jsonOrString(in.Sniffing), ShareAddrStrategy: "node"}
}

// jsonOrString is v3's encoding of a stored JSON column: the JSON itself,
// null when empty, a JSON string when the text is not JSON.
func jsonOrString(s string) json.RawMessage {
	t := strings.TrimSpace(s)
	if t == "" {
		return json.RawMessage("null")
	}
	if json.Valid([]byte(t)) {
		return json.RawMessage(t)
	}
	b, _ := json.Marshal(s)
	return b
}
