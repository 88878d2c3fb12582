package inbound

import (
	"encoding/json"
	"strings"

	"github.com/mhsanaei/3x-ui/v2/database/model"
	"gorm.io/gorm"
)

// ClientChange is a committed write that changed only clients of one
// inbound: Xray applies it user by user, without rendering and diffing
// the whole config (which costs O(all clients) per edit).
type ClientChange struct {
	InboundID      int
	Tag            string
	Protocol       model.Protocol
	Method         string // the inbound's shadowsocks method
	InboundEnabled bool
	// Removed are emails no longer in the inbound.
	Removed []string
	// Written are clients added or replaced, as now stored.
	Written []WrittenClient

	removedIDs, addedIDs []string // client ids, for the id cache
}

// WrittenClient is one client as a write stored it.
type WrittenClient struct {
	Email    string
	Replaces string // email of the client it replaced ("" for an add)
	Enable   bool   // served by Xray (client and its traffic row enabled)
	Raw      json.RawMessage
}

// writeClients is write for client-only changes: fn returns what changed;
// the change log gets one entry per client and OnClientChange (when set)
// gets the changes instead of OnChange.
func (s *InboundService) writeClients(fn func(tx *gorm.DB, pre int64) ([]ClientChange, error)) error {
	var changes []ClientChange
	return s.writeLogged(func(tx *gorm.DB, pre int64) ([]model.SharedChange, error) {
		var err error
		changes, err = fn(tx, pre)
		return changeLog(changes), err
	}, func(pre, post int64) {
		if len(changes) == 1 && clientKeyField(changes[0].Protocol) == "id" {
			ch := changes[0]
			s.owners().committed(pre, post, ch.InboundID, ch.removedIDs, ch.addedIDs)
		} else {
			s.owners().invalidate()
		}
		if s.OnClientChange != nil {
			s.receipt.Record(s.OnClientChange(changes))
		} else {
			s.notifyChange(pre, post)
		}
	})
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
		ch.addedIDs = append(ch.addedIDs, clients[i].ID)
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
