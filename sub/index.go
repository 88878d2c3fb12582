package sub

import (
	"encoding/json"
	"errors"
	"strings"
	"sync"

	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/xray/users"
)

// SubIDLookup is a Source that can answer one subId without reading every
// client: the handler uses it when the Source has it.
type SubIDLookup interface {
	// Lookup returns the inbounds carrying subID, each trimmed to that
	// subId's clients and their traffic rows; found is false for an
	// unknown subId.
	Lookup(subID string) (inbounds []*model.Inbound, found bool, err error)
}

// IndexedSource answers subscriptions in time independent of the number
// of clients (issue 22, finding 6). It indexes the inbounds of Source by
// subId once per Version (the shared version on a master, the applied
// snapshot on a worker) and rebuilds when the version changes, so a client
// added or removed is seen on the next request. An unknown subId is a map
// miss: no inbound is read or parsed for it, and since the index is
// complete for its version, that miss is also the negative cache.
type IndexedSource struct {
	Source
	// Version identifies what Source.Inbounds returns now; it must be
	// cheap (one row).
	Version func() (any, error)
	// Stats, when set, reads the matched clients' traffic rows per request
	// (a master's live counters); nil keeps the rows the index was built
	// from (a worker's snapshot).
	Stats func(emails []string) ([]model.ClientTraffic, error)

	mu    sync.Mutex
	built bool
	key   any
	index map[string]*indexEntry
}

type indexEntry struct {
	inbounds []*model.Inbound // trimmed copies
	emails   []string
}

// Lookup implements SubIDLookup.
func (s *IndexedSource) Lookup(subID string) ([]*model.Inbound, bool, error) {
	index, err := s.current()
	if err != nil {
		return nil, false, err
	}
	e := index[subID]
	if e == nil {
		return nil, false, nil
	}
	if s.Stats == nil {
		return e.inbounds, true, nil
	}
	rows, err := s.Stats(e.emails)
	if err != nil {
		return nil, false, err
	}
	out := make([]*model.Inbound, 0, len(e.inbounds))
	for _, in := range e.inbounds {
		view := *in
		view.ClientStats = nil
		for _, st := range rows {
			if st.InboundId == in.Id {
				view.ClientStats = append(view.ClientStats, st)
			}
		}
		out = append(out, &view)
	}
	return out, true, nil
}

// current returns the index for the source's version, rebuilding it when
// the version moved. The build runs under the lock: concurrent requests
// after a change wait for one build instead of each doing it.
func (s *IndexedSource) current() (map[string]*indexEntry, error) {
	key, err := s.Version()
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.built && s.key == key {
		return s.index, nil
	}
	inbounds, err := s.Inbounds()
	if err != nil {
		return nil, err
	}
	s.index, s.key, s.built = buildSubIndex(inbounds), key, true
	return s.index, nil
}

// Invalidate drops the index; the next request rebuilds it.
func (s *IndexedSource) Invalidate() {
	s.mu.Lock()
	s.built, s.index = false, nil
	s.mu.Unlock()
}

// trimmedSettings writes the part of an inbound's settings that Collect
// reads, with only the given clients.
func trimmedSettings(method, password string, clients []json.RawMessage) ([]byte, error) {
	out := map[string]any{"clients": clients}
	if method != "" {
		out["method"] = method
	}
	if password != "" {
		out["password"] = password
	}
	return json.Marshal(out)
}

// buildSubIndex groups every client by subId. Each entry holds shallow
// copies of the inbounds whose settings list only that subId's clients,
// with only their traffic rows, so rendering one subscription parses its
// own clients and nobody else's.
func buildSubIndex(inbounds []*model.Inbound) map[string]*indexEntry {
	index := map[string]*indexEntry{}
	for _, in := range inbounds {
		if in == nil {
			continue
		}
		fields, err := users.ParseSettings([]byte(in.Settings))
		if err != nil {
			continue
		}
		method, okM := fields.String("method")
		password, okP := fields.String("password")
		clients, err := fields.ClientValues()
		if !okM || !okP || err != nil {
			continue
		}
		bySub := map[string][]json.RawMessage{}
		emailsBySub := map[string]map[string]bool{}
		var order []string
		for _, raw := range clients {
			c, ok := users.DecodeView(raw, "subId", "email")
			if !ok || c.SubID == "" {
				continue
			}
			if _, seen := bySub[c.SubID]; !seen {
				order = append(order, c.SubID)
				emailsBySub[c.SubID] = map[string]bool{}
			}
			bySub[c.SubID] = append(bySub[c.SubID], raw)
			emailsBySub[c.SubID][strings.ToLower(c.Email)] = true
		}
		for _, id := range order {
			trimmed, err := trimmedSettings(method, password, bySub[id])
			if err != nil {
				continue
			}
			view := *in
			view.Settings = string(trimmed)
			view.ClientStats = nil
			for _, st := range in.ClientStats {
				if emailsBySub[id][strings.ToLower(st.Email)] {
					view.ClientStats = append(view.ClientStats, st)
				}
			}
			e := index[id]
			if e == nil {
				e = &indexEntry{}
				index[id] = e
			}
			e.inbounds = append(e.inbounds, &view)
			for _, raw := range bySub[id] {
				if c, ok := users.DecodeView(raw, "email"); ok && c.Email != "" {
					e.emails = append(e.emails, c.Email)
				}
			}
		}
	}
	return index
}

// DBSharedVersion is the master's index key: every write that changes
// inbounds or clients bumps it in the same transaction.
func DBSharedVersion(db *database.Handle) (any, error) {
	conn := db.Current()
	if conn == nil {
		return nil, errors.New("database is closed")
	}
	return database.GetSharedAccountsVersion(conn)
}

// DBClientStats reads the traffic rows of the given emails.
func DBClientStats(db *database.Handle, emails []string) ([]model.ClientTraffic, error) {
	conn := db.Current()
	if conn == nil {
		return nil, errors.New("database is closed")
	}
	var rows []model.ClientTraffic
	if len(emails) == 0 {
		return nil, nil
	}
	err := conn.Where("email IN ?", emails).Find(&rows).Error
	return rows, err
}
