package controller

import (
	"github.com/mhsanaei/3x-ui/v2/util/applied"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/mhsanaei/3x-ui/v2/cluster"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/errs"
	"github.com/mhsanaei/3x-ui/v2/inbound"
	"github.com/mhsanaei/3x-ui/v2/iplimit"
	"github.com/mhsanaei/3x-ui/v2/web/middleware"
	"github.com/mhsanaei/3x-ui/v2/xrayrun"
)

// InboundController maps 3x-ui's inbound routes onto inbound.Store.
type InboundController struct {
	Inbounds *inbound.Store
	Xray     *xrayrun.Runner
	IPLimit  *iplimit.Limiter
	Node     *cluster.Node // this node's role (audit rows are the master's)
}

// applier is nil when no Xray is wired (tests of the HTTP layer alone).
func (a *InboundController) applier() ApplyReporter {
	if a.Xray == nil {
		return nil
	}
	return a.Xray
}

// write runs one write on a receipt-carrying view of the service and
// answers with that write's own apply outcome.
func (a *InboundController) write(c *gin.Context, msg string, obj any, fn func(*inbound.Store) error) {
	var r applied.Receipt
	err := fn(a.Inbounds.WithReceipt(&r).As(middleware.Actor(c)).Scoped(scopeOf(c)))
	replyWrite(c, a.applier(), &r, err, msg, obj)
}

// view is the request's read filter (see scope.go); on error it answered.
func (a *InboundController) view(c *gin.Context) (*readView, bool) {
	v, err := newReadView(c, a.Inbounds)
	if err != nil {
		fail(c, err)
		return nil, false
	}
	return v, true
}

func (a *InboundController) register(g *gin.RouterGroup) {
	g.GET("list", a.list)
	g.GET("get/:id", a.get)
	g.POST("add", a.add)
	g.POST("update/:id", a.update)
	g.POST("del/:id", a.del)
	g.POST("addClient", a.addClient)
	g.POST(":id/delClient/:clientId", a.delClient)
	g.POST("updateClient/:clientId", a.updateClient)
	g.POST(":id/resetClientTraffic/:email", a.resetClientTraffic)
	g.POST("resetAllTraffics", a.resetAllTraffics)
	g.POST("resetAllClientTraffics/:id", a.resetAllClientTraffics)
	g.POST("delDepletedClients/:id", a.delDepletedClients)
	g.GET("getClientTraffics/:email", a.getClientTraffics)
	g.GET(":id/clients", a.clientsPage)
	// 3x-ui posts these reads; GET works too.
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		g.Handle(m, "onlines", a.onlines)
		g.Handle(m, "lastOnline", a.lastOnline)
		g.Handle(m, "clientIps/:email", a.clientIps)
	}
	g.POST("clearClientIps/:email", a.clearClientIps)
	a.registerV3(g)
}

// list answers every inbound: administrators share them (a reseller sees
// each with only its own clients, a scoped token only its inbound).
func (a *InboundController) list(c *gin.Context) {
	v, good := a.view(c)
	if !good {
		return
	}
	inbounds, err := a.Inbounds.GetAllInbounds()
	if err == nil {
		inbounds, err = v.inbounds(inbounds)
	}
	replyObj(c, inbounds, err)
}

func (a *InboundController) get(c *gin.Context) {
	with(c, idParam, func(id int) {
		v, good := a.view(c)
		if !good {
			return
		}
		in, err := a.Inbounds.GetInbound(id)
		if err == nil {
			_, err = v.inbounds([]*model.Inbound{in})
		}
		replyObj(c, in, err)
	})
}

func (a *InboundController) add(c *gin.Context) {
	with(c, bodyInbound, func(inbound *model.Inbound) {
		inbound.Id = 0
		inbound.UserId = middleware.UserID(c)
		var r applied.Receipt
		saved, err := a.Inbounds.WithReceipt(&r).As(middleware.Actor(c)).AddInbound(inbound)
		replyWrite(c, a.applier(), &r, err, "inbound added", saved)
	})
}

func (a *InboundController) update(c *gin.Context) {
	with(c, idParam, func(id int) {
		with(c, bodyInbound, func(inbound *model.Inbound) {
			inbound.Id = id
			var r applied.Receipt
			saved, err := a.Inbounds.WithReceipt(&r).As(middleware.Actor(c)).UpdateInbound(inbound)
			replyWrite(c, a.applier(), &r, err, "inbound updated", saved)
		})
	})
}

func (a *InboundController) del(c *gin.Context) {
	with(c, idParam, func(id int) {
		a.write(c, "inbound deleted", id, func(s *inbound.Store) error { return s.DelInbound(id) })
	})
}

// addClient takes 3x-ui's shape: {"id": inboundId, "settings": "{\"clients\":[...]}"}.
func (a *InboundController) addClient(c *gin.Context) {
	with(c, bodyClientData, func(data *model.Inbound) {
		a.write(c, "client added", nil, func(s *inbound.Store) error { return s.AddInboundClient(data) })
	})
}

func (a *InboundController) delClient(c *gin.Context) {
	with(c, idParam, func(id int) {
		a.write(c, "client deleted", nil, func(s *inbound.Store) error { return s.DelInboundClient(id, c.Param("clientId")) })
	})
}

func (a *InboundController) updateClient(c *gin.Context) {
	with(c, bodyClientData, func(data *model.Inbound) {
		a.write(c, "client updated", nil, func(s *inbound.Store) error {
			return s.UpdateInboundClient(data, c.Param("clientId"))
		})
	})
}

func (a *InboundController) resetClientTraffic(c *gin.Context) {
	with(c, idParam, func(id int) {
		a.write(c, "client traffic reset", nil, func(s *inbound.Store) error {
			return s.ResetClientTraffic(id, c.Param("email"))
		})
	})
}

func (a *InboundController) resetAllTraffics(c *gin.Context) {
	a.write(c, "all inbound traffic reset", nil, func(s *inbound.Store) error { return s.ResetAllTraffics() })
}

// inboundScope reads :id for routes where 3x-ui's -1 means every inbound.
func inboundScope(c *gin.Context) (int, error) {
	id, err := strconv.Atoi(c.Param("id"))
	if err != nil || (id <= 0 && id != -1) {
		return 0, errs.Invalid("id", "must be an inbound id or -1 for all inbounds, got %q", c.Param("id"))
	}
	return id, nil
}

func (a *InboundController) resetAllClientTraffics(c *gin.Context) {
	with(c, inboundScope, func(id int) {
		a.write(c, "client traffic reset", nil, func(s *inbound.Store) error { return s.ResetAllClientTraffics(id) })
	})
}

func (a *InboundController) delDepletedClients(c *gin.Context) {
	with(c, inboundScope, func(id int) {
		a.write(c, "depleted clients deleted", nil, func(s *inbound.Store) error { return s.DelDepletedClients(id) })
	})
}

func (a *InboundController) getClientTraffics(c *gin.Context) {
	with(c, emailParam, func(email string) {
		if !checkEmail(c, a.Inbounds, email) {
			return
		}
		traffic, err := a.Inbounds.GetClientTrafficByEmail(email)
		replyObj(c, traffic, err)
	})
}

// ClientsPage is the obj of inbounds/:id/clients.
type ClientsPage struct {
	Clients any `json:"clients"`
	Total   int `json:"total"`
	Page    int `json:"page"`
	Size    int `json:"size"`
}

func (a *InboundController) clientsPage(c *gin.Context) {
	id, err := intParam(c, "id")
	if err != nil {
		fail(c, err)
		return
	}
	page, err := intQuery(c, "page", 1)
	if err == nil && page < 1 {
		err = errs.Invalid("page", "must be 1 or more")
	}
	if err != nil {
		fail(c, err)
		return
	}
	size, err := intQuery(c, "size", 50)
	if err == nil && (size < 1 || size > 1000) {
		err = errs.Invalid("size", "must be between 1 and 1000")
	}
	if err != nil {
		fail(c, err)
		return
	}
	v, good := a.view(c)
	if !good {
		return
	}
	var keep func(string) bool
	if v != nil {
		keep = v.keepEmail
	}
	clients, total, err := a.Inbounds.GetClientsPageKeep(id, page, size, c.Query("q"), keep)
	if err != nil {
		fail(c, err)
		return
	}
	ok(c, ClientsPage{Clients: clients, Total: total, Page: page, Size: size})
}

func (a *InboundController) onlines(c *gin.Context) {
	if v, good := a.view(c); good {
		ok(c, v.emails(a.Xray.GetOnlineClients()))
	}
}

func (a *InboundController) lastOnline(c *gin.Context) {
	v, good := a.view(c)
	if !good {
		return
	}
	last, err := a.Inbounds.GetClientsLastOnline()
	for e := range last {
		if !v.keepEmail(e) {
			delete(last, e)
		}
	}
	replyObj(c, last, err)
}

func emailParam(c *gin.Context) (string, error) {
	email := strings.TrimSpace(c.Param("email"))
	if email == "" {
		return "", errs.Invalid("email", "is required")
	}
	return email, nil
}

func (a *InboundController) clientIps(c *gin.Context) {
	with(c, emailParam, func(email string) {
		if !checkEmail(c, a.Inbounds, email) {
			return
		}
		ips, err := a.IPLimit.GetClientIPs(email)
		replyObj(c, ips, err)
	})
}

func (a *InboundController) clearClientIps(c *gin.Context) {
	with(c, emailParam, func(email string) {
		if !checkEmail(c, a.Inbounds, email) {
			return
		}
		// No Xray apply follows: the receipt stays empty (applied).
		replyWrite(c, a.applier(), nil, a.IPLimit.ClearClientIPsAs(middleware.Actor(c), a.Node, email), "client IPs cleared", nil)
	})
}
