package inbound

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/mhsanaei/3x-ui/v2/audit"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/database/sharedwrite"
	"gorm.io/gorm"
)

// ClientChange is a committed write that changed only clients of one
// inbound (see sharedwrite.ClientChange).
type ClientChange = sharedwrite.ClientChange

// WrittenClient is one client as a write stored it.
type WrittenClient = sharedwrite.WrittenClient

// writeClients is write for client-only changes: fn returns what changed;
// the change log gets one entry per client and the fan-out gets the
// changes, so Xray applies them user by user. e is the write's audit
// entry, which fn completes; the write's client events (action names it)
// are recorded in its transaction; before holds, by lower email, each
// stored client fn replaced (fn fills it).
func (s *Store) writeClients(e audit.Entry, action string, before map[string]json.RawMessage, fn func(tx *gorm.DB, pre int64, e *audit.Entry) ([]ClientChange, error)) error {
	ch, err := s.writes.Commit(e, func(tx *gorm.DB, ch *sharedwrite.Change) error {
		changes, err := fn(tx, ch.Pre, ch.Audit)
		if err != nil {
			return err
		}
		if err := s.applyClientChanges(tx, changes); err != nil {
			return err
		}
		if err := s.clientEvents(tx, action, eventsOfChanges(changes, before)); err != nil {
			return err
		}
		ch.Clients, ch.Log = changes, changeLog(changes)
		if ch.Clients == nil {
			ch.Clients = []ClientChange{} // client-only even when nothing changed
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(ch.Clients) == 1 && clientKeyField(ch.Clients[0].Protocol) == "id" {
		c := ch.Clients[0]
		s.owners().committed(ch.Pre, ch.Post, c.InboundID, c.RemovedIDs, c.AddedIDs)
	} else {
		s.owners().invalidate()
	}
	s.writes.Announce(s.receipt, ch)
	return nil
}

// clientAudit completes e for a write that replaced the clients before
// (stored JSON objects, nil for an add) with after (nil for a delete):
// the target is the clients' emails, the changes are per client and field.
func clientAudit(e *audit.Entry, before, after []json.RawMessage) {
	b, a := rawObjects(before), rawObjects(after)
	var emails []string
	for _, list := range [][]any{b, a} {
		for _, c := range list {
			if obj, ok := c.(map[string]any); ok {
				if email, _ := obj["email"].(string); email != "" && !slices.Contains(emails, email) {
					emails = append(emails, email)
				}
			}
		}
	}
	e.TargetID = strings.Join(emails, ",")
	e.Changes = audit.Clients(b, a)
}

func rawObjects(raws []json.RawMessage) []any {
	out := make([]any, 0, len(raws))
	for _, r := range raws {
		var v any
		if json.Unmarshal(r, &v) == nil {
			out = append(out, v)
		}
	}
	return out
}

// changeLog turns client changes into change-log entries.
func changeLog(changes []ClientChange) []model.SharedChange {
	var out []model.SharedChange
	for _, ch := range changes {
		for _, email := range ch.Removed {
			out = append(out, model.SharedChange{Kind: model.ChangeClient, InboundId: ch.InboundID, Email: email})
		}
		for _, w := range ch.Written {
			out = append(out, model.SharedChange{Kind: model.ChangeClient, InboundId: ch.InboundID,
				Email: w.Email, OldEmail: w.Replaces, Client: string(w.Raw)})
		}
	}
	return out
}

// newClientChange describes clients written into in (replacing the
// clients named in replaces, index for index, when given).
func newClientChange(in *model.Inbound, method string, clients []Client, raws []json.RawMessage, replaces []string) ClientChange {
	ch := ClientChange{InboundID: in.Id, Tag: in.Tag, Protocol: in.Protocol, Method: method, InboundEnabled: in.Enable}
	for i := range clients {
		ch.AddedIDs = append(ch.AddedIDs, clients[i].ID)
		w := WrittenClient{Email: clients[i].Email, Enable: clients[i].Enable, Raw: raws[i]}
		if i < len(replaces) {
			w.Replaces = replaces[i]
		}
		ch.Written = append(ch.Written, w)
	}
	return ch
}

// ReplaceStoredClient returns settings with the client named oldEmail (or
// email) replaced in place by raw, removed when raw is empty, or raw
// appended when no such client exists. Workers patch their snapshot with it.
func ReplaceStoredClient(settings, email, oldEmail string, raw json.RawMessage) (string, error) {
	doc, err := parseStoredSettings(settings)
	if err != nil {
		return "", err
	}
	list, err := doc.clientList()
	if err != nil {
		return "", err
	}
	idents, err := identsOf(list)
	if err != nil {
		return "", err
	}
	match := func(e string) bool {
		return strings.EqualFold(e, email) || (oldEmail != "" && strings.EqualFold(e, oldEmail))
	}
	out := make([]json.RawMessage, 0, len(list)+1)
	placed := len(raw) == 0
	for i, id := range idents {
		if !match(id.Email) {
			out = append(out, list[i])
			continue
		}
		if !placed {
			out = append(out, raw)
			placed = true
		}
	}
	if !placed {
		out = append(out, raw)
	}
	doc.setClients(out)
	return doc.encode()
}
