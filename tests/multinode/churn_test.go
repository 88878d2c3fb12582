package multinode

import (
	"fmt"
	"net/http"
)

// churn makes the suite's client changes on the master, cycling through
// the four kinds a panel sees: add, new id for a live client, disable,
// delete. Clients carry their inbound's index under "inbound" (see
// clientBody).
type churn struct {
	c        *cluster
	prefix   string
	inbounds []int // inbound ids; change n goes to inbounds[n % len]
	live     []map[string]any
	n        int
}

// change is one prepared change: do makes it; afterwards every node must
// accept client (want true) or refuse it.
type change struct {
	kind   string
	client map[string]any
	want   bool
	do     func()
}

func (ch *churn) next() change {
	n := ch.n
	ch.n++
	c := ch.c
	switch {
	case n%4 == 1 && len(ch.live) > 0:
		old := ch.live[len(ch.live)-1]
		next := vlessClient(old["email"].(string), map[string]any{"inbound": old["inbound"]})
		ch.live[len(ch.live)-1] = next
		id := ch.inbounds[next["inbound"].(int)]
		return change{"update", next, true, func() { c.setClient(id, old["id"].(string), clientBody(next)) }}
	case n%4 == 2 && len(ch.live) > 0:
		victim := ch.live[len(ch.live)-1]
		ch.live = ch.live[:len(ch.live)-1]
		victim["enable"] = false
		id := ch.inbounds[victim["inbound"].(int)]
		return change{"disable", victim, false, func() { c.setClient(id, victim["id"].(string), clientBody(victim)) }}
	case n%4 == 3 && len(ch.live) > 0:
		victim := ch.live[0]
		ch.live = ch.live[1:]
		id := ch.inbounds[victim["inbound"].(int)]
		return change{"delete", victim, false, func() {
			c.api.mustOK(http.MethodPost, fmt.Sprintf("inbounds/%d/delClient/%s", id, victim["id"]), nil)
		}}
	default:
		i := n % len(ch.inbounds)
		client := vlessClient(fmt.Sprintf("%s%04d@churn", ch.prefix, n), map[string]any{"inbound": i})
		ch.live = append(ch.live, client)
		id := ch.inbounds[i]
		return change{"add", client, true, func() { c.addClient(id, clientBody(client)) }}
	}
}
