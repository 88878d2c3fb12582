package audit

import (
	"fmt"

	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/xray/users"
)

// Inbound is the changes from before to after of one inbound (nil before:
// added, nil after: deleted): its columns, and its settings, stream
// settings and sniffing JSON walked field by field, the clients by email,
// so an edit of one client lists that client's fields, not the blob.
func Inbound(before, after *model.Inbound) []Change {
	return Diff("", inboundObject(before), inboundObject(after))
}

func inboundObject(in *model.Inbound) map[string]any {
	if in == nil {
		return map[string]any{}
	}
	m := Object(in)
	// Fields a write does not set: traffic counters, joined rows, and the
	// id, which is the target already.
	for _, k := range []string{"id", "up", "down", "allTime", "clientStats", "lastTrafficResetTime"} {
		delete(m, k)
	}
	// The clients as Xray reads them (any spelling of the key).
	settings, clients, _, err := users.DecodeObjects([]byte(in.Settings))
	if err != nil {
		settings, clients = map[string]any{"unreadable": in.Settings}, nil
	}
	delete(settings, "clients")
	m["settings"] = settings
	m["streamSettings"] = JSONObject(in.StreamSettings)
	m["sniffing"] = JSONObject(in.Sniffing)
	if len(clients) > 0 {
		m["clients"] = ClientsByEmail(clients)
	}
	return m
}

// ClientsByEmail keys clients (settings JSON objects) by email, so Diff
// lists "clients.<email>" added, removed, or the fields changed.
func ClientsByEmail(clients []any) map[string]any {
	out := make(map[string]any, len(clients))
	for i, c := range clients {
		obj, ok := c.(map[string]any)
		if !ok {
			continue
		}
		email, _ := obj["email"].(string)
		if email == "" {
			email = fmt.Sprintf("#%d", i)
		}
		out[email] = obj
	}
	return out
}

// Clients is the changes from before to after of some clients of one
// inbound (settings JSON objects; either side may be empty).
func Clients(before, after []any) []Change {
	return Diff("clients.", ClientsByEmail(before), ClientsByEmail(after))
}
