package controller

import (
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/mhsanaei/3x-ui/v2/errs"
	"github.com/mhsanaei/3x-ui/v2/inbound"
)

// 3x-ui v3.6's panel/api/clients reads on today's model: a client lives in
// one inbound, so inboundIds always has one id and externalLinks is empty.
// Errors keep this panel's convention (4xx naming the field, docs/api.md).

// v3Detail is v3's get/:email obj; Inbound (the client's inbound holding
// only that client) is this panel's addition the web UI edits from.
type v3Detail struct {
	Client        inbound.V3Client `json:"client"`
	InboundIds    []int            `json:"inboundIds"`
	ExternalLinks []any            `json:"externalLinks"`
	UsedTraffic   int64            `json:"usedTraffic"`
	Inbound       any              `json:"inbound,omitempty"`
}

func (a *ClientsController) v3DetailOf(e *inbound.V3ClientEntry) v3Detail {
	d := v3Detail{Client: e.V3Client, InboundIds: e.InboundIds, ExternalLinks: []any{}}
	if e.Traffic != nil {
		d.UsedTraffic = e.Traffic.Up + e.Traffic.Down
	}
	return d
}

// keepOf is the request's email filter (nil: every client).
func keepOf(c *gin.Context, store *inbound.Store) (func(string) bool, bool) {
	v, err := newReadView(c, store)
	if err != nil {
		fail(c, err)
		return nil, false
	}
	if v == nil {
		return nil, true
	}
	return v.keepEmail, true
}

func (a *ClientsController) list(c *gin.Context) {
	keep, good := keepOf(c, a.Inbounds)
	if !good {
		return
	}
	rows, err := a.Inbounds.V3Clients(keep)
	replyObj(c, rows, err)
}

// withClient runs fn with the :email route's client in v3's shape; a bad
// or unknown email, or one outside the caller's scope, is answered here.
func (a *ClientsController) withClient(c *gin.Context, fn func(email string, e *inbound.V3ClientEntry)) {
	with(c, emailParam, func(email string) {
		if !checkEmail(c, a.Inbounds, email) {
			return
		}
		e, _, err := a.Inbounds.V3Client(email)
		if err != nil {
			fail(c, err)
			return
		}
		fn(email, e)
	})
}

func (a *ClientsController) get(c *gin.Context) {
	a.withClient(c, func(email string, e *inbound.V3ClientEntry) {
		d := a.v3DetailOf(e)
		if det, err := a.Inbounds.GetClientDetail(email); err == nil {
			d.Inbound = det.Inbound
		}
		ok(c, d)
	})
}

func (a *ClientsController) getByTgID(c *gin.Context) {
	tg, err := strconv.ParseInt(c.Param("tgId"), 10, 64)
	if err != nil || tg == 0 {
		fail(c, errs.Invalid("tgId", "must be a Telegram id (a non-zero integer), got %q", c.Param("tgId")))
		return
	}
	keep, good := keepOf(c, a.Inbounds)
	if !good {
		return
	}
	rows, err := a.Inbounds.V3Clients(keep)
	if err != nil {
		fail(c, err)
		return
	}
	out := []v3Detail{}
	for i := range rows {
		if rows[i].TgID == tg {
			out = append(out, a.v3DetailOf(&rows[i]))
		}
	}
	ok(c, out)
}

func (a *ClientsController) traffic(c *gin.Context) {
	a.withClient(c, func(email string, e *inbound.V3ClientEntry) {
		if e.Traffic == nil {
			fail(c, errs.NotFound("email", "client %q has no traffic row", email))
			return
		}
		ok(c, e.Traffic)
	})
}

// requestHost is the host the caller reached the panel at, for links when
// no public name (subDomain, webDomain) is configured, as v3 does.
func requestHost(c *gin.Context) string {
	if h, _, err := net.SplitHostPort(c.Request.Host); err == nil {
		return h
	}
	return c.Request.Host
}

func (a *ClientsController) subLinks(c *gin.Context) {
	subID := c.Param("subId")
	if subID == "" {
		fail(c, errs.Invalid("subId", "is required"))
		return
	}
	keep, good := keepOf(c, a.Inbounds)
	if !good {
		return
	}
	out := []string{}
	if a.SubLinks != nil {
		if keep == nil {
			out = append(out, a.SubLinks(subID, "", requestHost(c))...)
		} else {
			// A reseller or scoped token sees only its clients' links.
			rows, err := a.Inbounds.V3Clients(keep)
			if err != nil {
				fail(c, err)
				return
			}
			for _, r := range rows {
				if r.SubID == subID {
					out = append(out, a.SubLinks(subID, r.Email, requestHost(c))...)
				}
			}
		}
	}
	ok(c, out)
}

func (a *ClientsController) links(c *gin.Context) {
	a.withClient(c, func(email string, e *inbound.V3ClientEntry) {
		out := []string{}
		if a.SubLinks != nil && e.SubID != "" {
			out = append(out, a.SubLinks(e.SubID, e.Email, requestHost(c))...)
		}
		ok(c, out)
	})
}

func (a *ClientsController) export(c *gin.Context) {
	keep, good := keepOf(c, a.Inbounds)
	if !good {
		return
	}
	items, err := a.Inbounds.V3Export(keep)
	replyObj(c, items, err)
}

// v3IP is one entry of v3's ips/:email: time is when the address was last
// seen, as v3 writes it (server-local "2006-01-02 15:04:05", "" unknown);
// node is "" (this panel keeps IPs per cluster, not per node).
type v3IP struct {
	IP   string `json:"ip"`
	Time string `json:"time"`
	Node string `json:"node"`
}

func (a *ClientsController) ips(c *gin.Context) {
	with(c, emailParam, func(email string) {
		if !checkEmail(c, a.Inbounds, email) {
			return
		}
		list, err := a.IPLimit.GetClientIPs(email)
		out := make([]v3IP, 0, len(list))
		for _, ip := range list {
			v := v3IP{IP: ip.IP}
			if ip.LastSeen > 0 {
				v.Time = time.Unix(ip.LastSeen, 0).Local().Format(time.DateTime)
			}
			out = append(out, v)
		}
		replyObj(c, out, err)
	})
}

func (a *ClientsController) onlines(c *gin.Context) {
	v, err := newReadView(c, a.Inbounds)
	if err != nil {
		fail(c, err)
		return
	}
	list := []string{}
	if a.Xray != nil {
		list = v.emails(a.Xray.GetOnlineClients())
	}
	ok(c, list)
}

func (a *ClientsController) lastOnline(c *gin.Context) {
	keep, good := keepOf(c, a.Inbounds)
	if !good {
		return
	}
	last, err := a.Inbounds.GetClientsLastOnline()
	for e := range last {
		if keep != nil && !keep(e) {
			delete(last, e)
		}
	}
	replyObj(c, last, err)
}

// activeInbounds is v3's map of node to the tags of inbounds with an
// online client ({} when none); the key is this node's id ("master" on a
// single panel), v3 uses its panelGuid there.
func (a *ClientsController) activeInbounds(c *gin.Context) {
	keep, good := keepOf(c, a.Inbounds)
	if !good {
		return
	}
	out := map[string][]string{}
	if a.Xray == nil {
		ok(c, out)
		return
	}
	online := map[string]bool{}
	for _, e := range a.Xray.GetOnlineClients() {
		online[strings.ToLower(e)] = true
	}
	rows, err := a.Inbounds.V3Clients(keep)
	if err != nil {
		fail(c, err)
		return
	}
	active := map[int]bool{}
	for _, r := range rows {
		if online[strings.ToLower(r.Email)] {
			active[r.InboundIds[0]] = true
		}
	}
	inbounds, err := a.Inbounds.GetAllInbounds()
	if err != nil {
		fail(c, err)
		return
	}
	var tags []string
	for _, in := range inbounds {
		if active[in.Id] {
			tags = append(tags, in.Tag)
		}
	}
	if len(tags) > 0 {
		out[a.nodeKey()] = tags
	}
	ok(c, out)
}

func (a *ClientsController) nodeKey() string {
	if a.Node != nil && a.Node.Config().NodeID != "" {
		return a.Node.Config().NodeID
	}
	return "master"
}
