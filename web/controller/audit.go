package controller

import (
	"log"

	"github.com/gin-gonic/gin"
	"github.com/mhsanaei/3x-ui/v2/audit"
	"github.com/mhsanaei/3x-ui/v2/errs"
	"github.com/mhsanaei/3x-ui/v2/web/middleware"
)

// AuditController pages the audit log.
type AuditController struct {
	Log *audit.Log
}

func (a *AuditController) register(g *gin.RouterGroup) {
	g.GET("", a.list)
}

// list answers GET panel/api/audit?actor=&action=&target=&from=&to=&q=&page=&size=
// (from and to in unix milliseconds), newest first.
func (a *AuditController) list(c *gin.Context) {
	f := audit.Filter{Actor: c.Query("actor"), Action: c.Query("action"), Target: c.Query("target"), Text: c.Query("q")}
	var err error
	var from, to int
	for _, q := range []struct {
		name string
		dst  *int
		def  int
	}{{"from", &from, 0}, {"to", &to, 0}, {"page", &f.Page, 1}, {"size", &f.Size, 50}} {
		if err == nil {
			*q.dst, err = intQuery(c, q.name, q.def)
		}
	}
	switch {
	case err != nil:
	case f.Page < 1:
		err = errs.Invalid("page", "must be 1 or more, got %d", f.Page)
	case f.Size < 1 || f.Size > audit.MaxPageSize:
		err = errs.Invalid("size", "must be 1 to %d, got %d", audit.MaxPageSize, f.Size)
	case to > 0 && from >= to:
		err = errs.Invalid("to", "must be after from")
	case len(f.Text) > 200 || len(f.Actor) > 191 || len(f.Action) > 64 || len(f.Target) > 230:
		err = errs.Invalid("q", "filters must be at most 200 characters")
	}
	if err != nil {
		fail(c, err)
		return
	}
	f.From, f.To = int64(from), int64(to)
	page, err := a.Log.List(f)
	replyObj(c, page, err)
}

// recordAction records an action that changes no row (an Xray restart, a
// panel restart) made by the request; it already happened, so a failed
// record is logged, not answered.
func recordAction(c *gin.Context, l *audit.Log, action, kind string) {
	if l == nil {
		return
	}
	if err := l.Action(middleware.Actor(c), audit.Entry{Action: action, TargetKind: kind}); err != nil {
		log.Printf("audit %s: %v", action, err)
	}
}
