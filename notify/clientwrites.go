package notify

import (
	"context"
	"encoding/json"

	"github.com/mhsanaei/3x-ui/v2/inbound"
	"gorm.io/gorm"
)

// clientListBudget bounds the clients listed in one client.* event, so
// the payload stays well inside maxPayload whatever the emails' length.
const clientListBudget = 7 << 10

// ClientsWritten records an admin or API write's client events in the
// write's own transaction (inbound.Store.SetClientEvents): one event per
// kind per write, listing the clients it concerns. A bulk write of N
// clients is one event: it lists as many as fit in clientListBudget
// bytes, and count and omitted say how many there were. Never a uuid or
// a password: only email and inbound id.
func (r *Recorder) ClientsWritten(tx *gorm.DB, action string, evs []inbound.ClientEvent) error {
	if r == nil {
		return nil
	}
	for _, what := range []string{inbound.ClientAdded, inbound.ClientChanged, inbound.ClientDisabled} {
		var list []inbound.ClientEvent
		for _, ev := range evs {
			if ev.What == what {
				list = append(list, ev)
			}
		}
		if len(list) == 0 {
			continue
		}
		kind := map[string]Kind{inbound.ClientAdded: ClientAdded, inbound.ClientChanged: ClientChanged,
			inbound.ClientDisabled: ClientDisabled}[what]
		if _, err := r.Record(context.Background(), tx, New(kind, clientListPayload(action, list))); err != nil {
			return err
		}
	}
	return nil
}

// clientListPayload is {action, count, clients, omitted} with clients cut
// to what fits in clientListBudget.
func clientListPayload(action string, list []inbound.ClientEvent) map[string]any {
	size := 0
	shown := make([]inbound.ClientEvent, 0, len(list))
	for _, c := range list {
		b, _ := json.Marshal(c)
		if size+len(b)+1 > clientListBudget {
			break
		}
		size += len(b) + 1
		shown = append(shown, c)
	}
	return map[string]any{"action": action, "count": len(list), "clients": shown, "omitted": len(list) - len(shown)}
}
