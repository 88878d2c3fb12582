package controller

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/mhsanaei/3x-ui/v2/errs"
	"github.com/mhsanaei/3x-ui/v2/inbound"
	"github.com/mhsanaei/3x-ui/v2/util/applied"
	"github.com/mhsanaei/3x-ui/v2/web/middleware"
)

// 3x-ui v3.6's panel/api/clients writes on today's model. Every one goes
// through inbound.Store's validated methods on the caller's scoped view,
// so audit, client events, the change fan-out, reseller allowance and the
// worker refusal apply as on the v2 routes.

// store is the request's writable view of the inbound store.
func (a *ClientsController) store(c *gin.Context, r *applied.Receipt) *inbound.Store {
	return a.Inbounds.WithReceipt(r).As(middleware.Actor(c)).Scoped(scopeOf(c))
}

func (a *ClientsController) write(c *gin.Context, msg string, fn func(*inbound.Store) error) {
	var r applied.Receipt
	err := fn(a.store(c, &r))
	replyWrite(c, a.applier(), &r, err, msg, nil)
}

func (a *ClientsController) applier() ApplyReporter {
	if a.Xray == nil {
		return nil
	}
	return a.Xray
}

// v3Payload is v3's {client, inboundIds}.
type v3Payload struct {
	Client     map[string]any `json:"client"`
	InboundIds []int          `json:"inboundIds"`
}

func (a *ClientsController) add(c *gin.Context) {
	var p v3Payload
	if err := bindJSON(c, &p); err != nil {
		fail(c, err)
		return
	}
	id, err := inbound.CheckOneInbound(p.InboundIds)
	if err == nil && p.Client == nil {
		err = errs.Invalid("client", "is required (an object)")
	}
	if err != nil {
		fail(c, err)
		return
	}
	if a.reAdd(c, p.Client, id) {
		return
	}
	a.write(c, "client added", func(s *inbound.Store) error { return s.AddV3Clients(id, []map[string]any{p.Client}) })
}

// reAdd is v3's re-add: an existing email sent with its own subId
// re-attaches the client. Here that succeeds without a change when it
// names the client's inbound; another inbound would need clients across
// inbounds. It answers and reports true for a re-add; false (nothing
// answered) when the email is new or the subId differs, and the add then
// refuses a taken email with a 409.
func (a *ClientsController) reAdd(c *gin.Context, client map[string]any, id int) bool {
	email, _ := client["email"].(string)
	sub, _ := client["subId"].(string)
	if email == "" || sub == "" {
		return false
	}
	in, cur, err := a.Inbounds.GetClientByEmail(email)
	if err != nil || cur.SubID != sub {
		return false
	}
	if !checkEmail(c, a.Inbounds, email) {
		return true
	}
	if in.Id != id {
		fail(c, errs.Invalid("inboundIds", "clients across inbounds are not yet supported: client %q is on inbound %d", email, in.Id))
		return true
	}
	okMsg(c, "client already on this inbound", nil)
	return true
}

// idsQuery reads v3's ?inboundIds=1,2 (absent: nil).
func idsQuery(c *gin.Context) ([]int, error) {
	raw := strings.TrimSpace(c.Query("inboundIds"))
	if raw == "" {
		return nil, nil
	}
	var ids []int
	for _, part := range strings.Split(raw, ",") {
		id, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil || id <= 0 {
			return nil, errs.Invalid("inboundIds", "must be inbound ids separated by commas, got %q", raw)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

func (a *ClientsController) update(c *gin.Context) {
	with(c, emailParam, func(email string) {
		only, err := idsQuery(c)
		if err != nil {
			fail(c, err)
			return
		}
		var body map[string]any
		if err := bindJSON(c, &body); err != nil {
			fail(c, err)
			return
		}
		a.write(c, "client updated", func(s *inbound.Store) error { return s.UpdateV3Client(email, body, only) })
	})
}

// errKeepTraffic refuses v3's keepTraffic: today a client's counter row is
// its membership and goes with it.
func errKeepTraffic() error {
	return errs.Invalid("keepTraffic", "keeping a deleted client's traffic row is not supported here")
}

func (a *ClientsController) del(c *gin.Context) {
	with(c, emailParam, func(email string) {
		if c.Query("keepTraffic") == "1" {
			fail(c, errKeepTraffic())
			return
		}
		a.write(c, "client deleted", func(s *inbound.Store) error { return s.DelV3Client(email) })
	})
}

// attachBody is v3's {inboundIds} of :email/attach and :email/detach.
type attachBody struct {
	InboundIds []int `json:"inboundIds"`
}

// attach accepts re-attaching a client to the inbound it is on (nothing
// changes); any other inbound would make it a client of several inbounds.
func (a *ClientsController) attach(c *gin.Context) {
	with(c, emailParam, func(email string) {
		var b attachBody
		if err := bindJSON(c, &b); err != nil {
			fail(c, err)
			return
		}
		if !checkEmail(c, a.Inbounds, email) {
			return
		}
		if err := a.sameInbound(email, b.InboundIds); err != nil {
			fail(c, err)
			return
		}
		okMsg(c, "client already on this inbound", nil)
	})
}

// detach would leave the client on no inbound (or take it off one of
// several): both need clients across inbounds.
func (a *ClientsController) detach(c *gin.Context) {
	var b attachBody
	if err := bindJSON(c, &b); err != nil {
		fail(c, err)
		return
	}
	fail(c, errs.Invalid("inboundIds", "clients across inbounds are not yet supported: a client cannot be detached from its only inbound (delete it instead)"))
}

func (a *ClientsController) sameInbound(email string, ids []int) error {
	id, err := inbound.CheckOneInbound(ids)
	if err != nil {
		return err
	}
	cur, err := a.Inbounds.ClientInbound(email)
	if err != nil {
		return err
	}
	if cur != id {
		return errs.Invalid("inboundIds", "clients across inbounds are not yet supported: client %q is on inbound %d", email, cur)
	}
	return nil
}

// bulkBody is v3's body of the bulk routes.
type bulkBody struct {
	Emails      []string `json:"emails"`
	KeepTraffic bool     `json:"keepTraffic"`
	AddDays     int      `json:"addDays"`
	AddBytes    int64    `json:"addBytes"`
	Flow        string   `json:"flow"`
	InboundIds  []int    `json:"inboundIds"`
}

// v3Bulk runs one BulkClients action and answers {key: count}.
func (a *ClientsController) v3Bulk(c *gin.Context, action, key string, check func(*bulkBody) error) {
	var b bulkBody
	if err := bindJSON(c, &b); err != nil {
		fail(c, err)
		return
	}
	if check != nil {
		if err := check(&b); err != nil {
			fail(c, err)
			return
		}
	}
	var r applied.Receipt
	n, err := a.store(c, &r).BulkClients(inbound.BulkRequest{Action: action, Emails: b.Emails, Days: b.AddDays})
	replyWrite(c, a.applier(), &r, err, action+" done", gin.H{key: n})
}

func (a *ClientsController) bulkEnable(c *gin.Context) {
	a.v3Bulk(c, inbound.BulkEnable, "changed", nil)
}

func (a *ClientsController) bulkDisable(c *gin.Context) {
	a.v3Bulk(c, inbound.BulkDisable, "changed", nil)
}

func (a *ClientsController) bulkResetTraffic(c *gin.Context) {
	a.v3Bulk(c, inbound.BulkReset, "affected", nil)
}

func (a *ClientsController) bulkDel(c *gin.Context) {
	a.v3Bulk(c, inbound.BulkDelete, "deleted", func(b *bulkBody) error {
		if b.KeepTraffic {
			return errKeepTraffic()
		}
		return nil
	})
}

// bulkAdjust extends expiry by addDays (1..36500, the bulk extend's
// range); adding bytes and changing flow in bulk are not served yet.
func (a *ClientsController) bulkAdjust(c *gin.Context) {
	a.v3Bulk(c, inbound.BulkExtend, "adjusted", func(b *bulkBody) error {
		switch {
		case b.AddDays < 1 || b.AddDays > 36500:
			return errs.Invalid("addDays", "must be between 1 and 36500 here, got %d", b.AddDays)
		case b.AddBytes != 0:
			return errs.Invalid("addBytes", "adjusting quotas in bulk is not supported yet; set totalGB per client with update")
		case b.Flow != "":
			return errs.Invalid("flow", "changing flow in bulk is not supported yet; set it per client with update")
		}
		return nil
	})
}

// bulkAttachDetach refuses v3's bulkAttach/bulkDetach: both put clients
// on several inbounds or on none.
func (a *ClientsController) bulkAttachDetach(c *gin.Context) {
	var b bulkBody
	if err := bindJSON(c, &b); err != nil {
		fail(c, err)
		return
	}
	fail(c, errs.Invalid("inboundIds", "clients across inbounds are not yet supported: bulk attach and detach need them"))
}

// v3Skip is one entry of v3's skipped lists.
type v3Skip struct {
	Email  string `json:"email"`
	Reason string `json:"reason"`
}

// v3Created is v3's {created, skipped?}.
type v3Created struct {
	Created int      `json:"created"`
	Skipped []v3Skip `json:"skipped,omitempty"`
}

// create adds the payloads grouped by inbound, one write per inbound (all
// of an inbound's clients or none); a refused group is reported as skipped
// with the reason, as v3 reports per client.
func (a *ClientsController) create(c *gin.Context, items []v3Payload) {
	var res v3Created
	var order []int
	groups := map[int][]map[string]any{}
	for i, p := range items {
		email, _ := p.Client["email"].(string)
		id, err := inbound.CheckOneInbound(p.InboundIds)
		if err == nil && p.Client == nil {
			err = errs.Invalid("client", "item %d has no client object", i)
		}
		if err != nil {
			res.Skipped = append(res.Skipped, v3Skip{Email: email, Reason: err.Error()})
			continue
		}
		if groups[id] == nil {
			order = append(order, id)
		}
		groups[id] = append(groups[id], p.Client)
	}
	var r applied.Receipt
	s := a.store(c, &r)
	for _, id := range order {
		if err := s.AddV3Clients(id, groups[id]); err != nil {
			for _, cl := range groups[id] {
				email, _ := cl["email"].(string)
				res.Skipped = append(res.Skipped, v3Skip{Email: email, Reason: err.Error()})
			}
			continue
		}
		res.Created += len(groups[id])
	}
	replyWrite(c, a.applier(), &r, nil, "clients added", res)
}

func (a *ClientsController) bulkCreate(c *gin.Context) {
	var items []v3Payload
	if err := bindJSON(c, &items); err != nil {
		fail(c, err)
		return
	}
	if len(items) > inbound.MaxBulkClients {
		fail(c, errs.Invalid("body", "at most %d clients per request, got %d", inbound.MaxBulkClients, len(items)))
		return
	}
	a.create(c, items)
}

func (a *ClientsController) importClients(c *gin.Context) {
	var req struct {
		Data string `json:"data"`
	}
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	var items []v3Payload
	if err := json.Unmarshal([]byte(req.Data), &items); err != nil {
		fail(c, errs.Invalid("data", "must be the JSON text of an export ([{client, inboundIds}]): %v", err))
		return
	}
	if len(items) > inbound.MaxBulkClients {
		fail(c, errs.Invalid("data", "at most %d clients per request, got %d", inbound.MaxBulkClients, len(items)))
		return
	}
	a.create(c, items)
}

// delOrphans: a client here always lives in an inbound, so there are none.
func (a *ClientsController) delOrphans(c *gin.Context) { ok(c, gin.H{"deleted": 0}) }

func (a *ClientsController) resetAllTraffics(c *gin.Context) {
	a.write(c, "all client traffic reset", func(s *inbound.Store) error { return s.ResetAllClientTraffics(-1) })
}

func (a *ClientsController) delDepleted(c *gin.Context) {
	var r applied.Receipt
	n, err := a.store(c, &r).DelDepletedCount(-1)
	replyWrite(c, a.applier(), &r, err, "depleted clients deleted", gin.H{"deleted": n})
}

func (a *ClientsController) resetTraffic(c *gin.Context) {
	with(c, emailParam, func(email string) {
		if !checkEmail(c, a.Inbounds, email) {
			return
		}
		id, err := a.Inbounds.ClientInbound(email)
		if err != nil {
			fail(c, err)
			return
		}
		a.write(c, "client traffic reset", func(s *inbound.Store) error { return s.ResetClientTraffic(id, email) })
	})
}

func (a *ClientsController) updateTraffic(c *gin.Context) {
	with(c, emailParam, func(email string) {
		var b struct {
			Upload   int64 `json:"upload"`
			Download int64 `json:"download"`
		}
		if err := bindJSON(c, &b); err != nil {
			fail(c, err)
			return
		}
		if !checkEmail(c, a.Inbounds, email) {
			return
		}
		a.write(c, "client traffic updated", func(s *inbound.Store) error { return s.SetClientTraffic(email, b.Upload, b.Download) })
	})
}

func (a *ClientsController) clearIps(c *gin.Context) {
	with(c, emailParam, func(email string) {
		if !checkEmail(c, a.Inbounds, email) {
			return
		}
		replyWrite(c, a.applier(), nil, a.IPLimit.ClearClientIPsAs(middleware.Actor(c), a.Node, email), "client IPs cleared", nil)
	})
}
