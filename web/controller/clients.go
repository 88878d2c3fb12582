package controller

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/mhsanaei/3x-ui/v2/inbound"
	"github.com/mhsanaei/3x-ui/v2/xrayrun"

	"github.com/mhsanaei/3x-ui/v2/web/middleware"
)

// ClientsController serves the cross-inbound client list of the web UI
// (3x-ui v3's panel/api/clients routes) and its bulk actions.
type ClientsController struct {
	Inbounds *inbound.Store
	Xray     *xrayrun.Runner
}

func (a *ClientsController) register(g *gin.RouterGroup) {
	g.GET("list/paged", a.paged)
	g.GET("get/:email", a.get)
	g.POST("bulk", a.bulk)
	g.POST("addMany", a.addMany)
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

func (a *ClientsController) get(c *gin.Context) {
	if !checkEmail(c, a.Inbounds, c.Param("email")) {
		return
	}
	d, err := a.Inbounds.GetClientDetail(c.Param("email"))
	replyObj(c, d, err)
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
