package inbound

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"

	"gorm.io/gorm"
)

// What an admin or API write did to a client, for the event stream
// (notify.Recorder.ClientsWritten records client.added, client.changed,
// client.disabled).
const (
	ClientAdded    = "added"
	ClientChanged  = "changed"
	ClientDisabled = "disabled"
)

// ClientEvent is one client a write added, changed or disabled: only what
// names it, never its uuid or password.
type ClientEvent struct {
	What      string `json:"-"` // ClientAdded, ClientChanged or ClientDisabled
	Email     string `json:"email"`
	InboundID int    `json:"inboundId"`
}

// ClientEventSink records a write's client events inside the write's own
// transaction, so they exist exactly when the write committed. action
// names the write (add, update, bulk enable, …).
type ClientEventSink func(tx *gorm.DB, action string, evs []ClientEvent) error

// SetClientEvents makes every client write of s (and its WithReceipt
// views) hand its client events to sink. Called once, before serving.
func (s *Store) SetClientEvents(sink ClientEventSink) { s.events = sink }

// clientEvents hands evs to the sink, if any.
func (s *Store) clientEvents(tx *gorm.DB, action string, evs []ClientEvent) error {
	if s.events == nil || len(evs) == 0 {
		return nil
	}
	return s.events(tx, action, evs)
}

// eventsOfChanges are the events of a client-only write: a client written
// without one it replaces was added; one that replaced an enabled client
// and is off was disabled; any other replacement changed, unless it
// stored exactly what was there (a repeated save). before holds, by lower
// email, the stored clients the write replaced.
func eventsOfChanges(changes []ClientChange, before map[string]json.RawMessage) []ClientEvent {
	var out []ClientEvent
	for _, ch := range changes {
		for _, w := range ch.Written {
			ev := ClientEvent{What: ClientChanged, Email: w.Email, InboundID: ch.InboundID}
			old, known := before[strings.ToLower(w.Replaces)]
			switch {
			case w.Replaces == "":
				ev.What = ClientAdded
			case known && bytes.Equal(old, w.Raw):
				continue
			case known && clientOn(old) && !clientOn(w.Raw):
				ev.What = ClientDisabled
			}
			out = append(out, ev)
		}
	}
	return out
}

// clientOn reads a stored client's enable flag (absent: enabled).
func clientOn(raw []byte) bool {
	c, err := decodeClient(raw)
	return err == nil && c.Enable
}

// eventsOfInboundEdit compares an inbound's clients before and after an
// edit, matched by email: new emails were added, clients turned off were
// disabled, and clients whose stored fields differ were changed.
func eventsOfInboundEdit(inboundID int, oldSettings string, clients []Client) []ClientEvent {
	before := map[string]Client{}
	if old, err := ParseInboundClients(oldSettings); err == nil {
		for _, c := range old {
			before[strings.ToLower(c.Email)] = c
		}
	}
	var out []ClientEvent
	for _, c := range clients {
		prev, ok := before[strings.ToLower(c.Email)]
		ev := ClientEvent{Email: c.Email, InboundID: inboundID}
		switch {
		case !ok:
			ev.What = ClientAdded
		case prev.Enable && !c.Enable:
			ev.What = ClientDisabled
		case !sameClient(prev, c):
			ev.What = ClientChanged
		default:
			continue
		}
		out = append(out, ev)
	}
	return out
}

func sameClient(a, b Client) bool {
	ta, tb := a.TgID, b.TgID
	a.TgID, b.TgID = nil, nil
	return reflect.DeepEqual(a, b) && bytes.Equal(ta, tb)
}
