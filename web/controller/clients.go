package controller

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/mhsanaei/3x-ui/v2/cluster"
	"github.com/mhsanaei/3x-ui/v2/inbound"
	"github.com/mhsanaei/3x-ui/v2/iplimit"
	"github.com/mhsanaei/3x-ui/v2/xrayrun"

	"github.com/mhsanaei/3x-ui/v2/web/middleware"
)

// ClientsController serves the cross-inbound client list of the web UI
// (3x-ui v3's panel/api/clients routes) and its bulk actions.
type ClientsController struct {
	Inbounds *inbound.Store
	Xray     *xrayrun.Runner
	IPLimit  *iplimit.Limiter
	Node     *cluster.Node
	// SubLinks are the share links of a subscription (only email's when
	// set) as the subscription server serves them; host is the address
	// the caller reached the panel at.
	SubLinks func(subID, email, host string) []string
}

func (a *ClientsController) register(g *gin.RouterGroup) {
	g.GET("list/paged", a.paged)
	g.POST("bulk", a.bulk)
	g.POST("addMany", a.addMany)
	// 3x-ui v3.6's routes (clients_v3*.go).
	g.GET("list", a.list)
	g.GET("get/:email", a.get)
	g.GET("get/tgId/:tgId", a.getByTgID)
	g.GET("traffic/:email", a.traffic)
	g.GET("subLinks/:subId", a.subLinks)
	g.GET("links/:email", a.links)
	g.GET("export", a.export)
	g.POST("add", a.add)
	g.POST("update/:email", a.update)
	g.POST("del/:email", a.del)
	g.POST(":email/attach", a.attach)
	g.POST(":email/detach", a.detach)
	g.POST("import", a.importClients)
	g.POST("delOrphans", a.delOrphans)
	g.POST("resetAllTraffics", a.resetAllTraffics)
	g.POST("delDepleted", a.delDepleted)
	g.POST("bulkAdjust", a.bulkAdjust)
	g.POST("bulkEnable", a.bulkEnable)
	g.POST("bulkDisable", a.bulkDisable)
	g.POST("bulkDel", a.bulkDel)
	g.POST("bulkCreate", a.bulkCreate)
	g.POST("bulkAttach", a.bulkAttachDetach)
	g.POST("bulkDetach", a.bulkAttachDetach)
	g.POST("bulkResetTraffic", a.bulkResetTraffic)
	g.POST("resetTraffic/:email", a.resetTraffic)
	g.POST("updateTraffic/:email", a.updateTraffic)
	g.POST("ips/:email", a.ips)
	g.POST("clearIps/:email", a.clearIps)
	g.POST("onlines", a.onlines)
	g.POST("lastOnline", a.lastOnline)
	g.POST("activeInbounds", a.activeInbounds)
}

func (a *ClientsController) paged(c *gin.Context) {
	q := inbound.ClientPageQuery{
		Search: c.Query("search"), Filter: c.Query("filter"), Protocol: c.Query("protocol"),
		Sort: c.Query("sort"), Order: c.Query("order"),
	}
	var err error
	if q.Page, err = intQuery(c, "page", 1); err != nil {
		fail(c, err)
		return
	}
	if q.PageSize, err = intQuery(c, "pageSize", 50); err != nil {
		fail(c, err)
		return
	}
	if q.Inbound, err = intQuery(c, "inbound", 0); err != nil {
		fail(c, err)
		return
	}
	if a.Xray != nil {
		q.Online = a.Xray.GetOnlineClients()
	}
	if sc := scopeOf(c); sc != nil {
		q.Owner = sc.Reseller
		if sc.Inbound != 0 {
			if q.Inbound != 0 && q.Inbound != sc.Inbound {
				failStatus(c, http.StatusForbidden, "scope: this API token is limited to inbound "+strconv.Itoa(sc.Inbound))
				return
			}
			q.Inbound = sc.Inbound
		}
	}
	page, err := a.Inbounds.ListClientsPaged(q)
	replyObj(c, page, err)
}

func (a *ClientsController) bulk(c *gin.Context) {
	var r inbound.BulkRequest
	if err := bind(c, &r); err != nil {
		fail(c, err)
		return
	}
	n, err := a.Inbounds.As(middleware.Actor(c)).Scoped(scopeOf(c)).BulkClients(r)
	reply(c, err, r.Action+" done", gin.H{"count": n})
}

func (a *ClientsController) addMany(c *gin.Context) {
	var r inbound.AddManyRequest
	if err := bind(c, &r); err != nil {
		fail(c, err)
		return
	}
	emails, err := a.Inbounds.As(middleware.Actor(c)).Scoped(scopeOf(c)).AddManyClients(r)
	reply(c, err, "clients added", gin.H{"emails": emails})
}
