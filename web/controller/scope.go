package controller

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/inbound"
	"github.com/mhsanaei/3x-ui/v2/web/middleware"
)

// The routes marked Narrows in permissions.go limit themselves here to
// what the principal may see: a reseller its own clients, a scoped API
// token its one inbound. Writes are held to the same limits inside their
// transaction by the store's scope (inbound.Scope).

// scopeOf is the store scope of the request's principal (nil: none).
func scopeOf(c *gin.Context) *inbound.Scope {
	p := middleware.PrincipalOf(c)
	if p == nil {
		return nil
	}
	sc := &inbound.Scope{Inbound: p.InboundScope()}
	if p.IsReseller() {
		sc.Reseller, sc.MaxClients, sc.MaxTrafficBytes = p.UserID, p.MaxClients, p.MaxTrafficBytes
	}
	if !sc.Narrowed() {
		return nil
	}
	return sc
}

// readView filters reads for a narrowed principal; the nil view keeps all.
type readView struct {
	inbound int             // 0: every inbound
	owned   map[string]bool // nil: every client; else lowercased emails
}

func newReadView(c *gin.Context, store *inbound.Store) (*readView, error) {
	sc := scopeOf(c)
	if sc == nil {
		return nil, nil
	}
	v := &readView{inbound: sc.Inbound}
	if sc.Reseller != 0 {
		owned, err := store.OwnedBy(sc.Reseller)
		if err != nil {
			return nil, err
		}
		v.owned = owned
	}
	if sc.Inbound != 0 {
		// A scoped token sees the clients of its inbound (and of those,
		// for a reseller's token, the reseller's own).
		in, err := store.EmailsOf(sc.Inbound)
		if err != nil {
			return nil, err
		}
		if v.owned != nil {
			for e := range in {
				in[e] = v.owned[e]
			}
		}
		v.owned = in
	}
	return v, nil
}

func (v *readView) keepInbound(id int) bool { return v == nil || v.inbound == 0 || v.inbound == id }

func (v *readView) keepEmail(email string) bool {
	return v == nil || v.owned == nil || v.owned[strings.ToLower(email)]
}

// inbounds narrows a list of inbounds in place.
func (v *readView) inbounds(list []*model.Inbound) ([]*model.Inbound, error) {
	if v == nil {
		return list, nil
	}
	out := list[:0]
	for _, in := range list {
		if !v.keepInbound(in.Id) {
			continue
		}
		if v.owned != nil {
			if err := inbound.KeepClients(in, v.keepEmail); err != nil {
				return nil, err
			}
		}
		out = append(out, in)
	}
	return out, nil
}

// emails narrows a list of client emails.
func (v *readView) emails(list []string) []string {
	if v == nil {
		return list
	}
	out := []string{}
	for _, e := range list {
		if v.keepEmail(e) {
			out = append(out, e)
		}
	}
	return out
}

// checkEmail answers 403 (and false) when the principal may not see the
// client with email: not the reseller's, or outside the token's inbound.
func checkEmail(c *gin.Context, store *inbound.Store, email string) bool {
	v, err := newReadView(c, store)
	if err != nil {
		fail(c, err)
		return false
	}
	if v == nil {
		return true
	}
	if !v.keepEmail(email) {
		failStatus(c, http.StatusForbidden, "email: client "+strconv.Quote(email)+" is not one of your clients"+
			" (or outside the inbound this API token is limited to)")
		return false
	}
	return true
}
