package traffic

import (
	"encoding/json"
	"fmt"
	"os"
	"sync"

	"github.com/mhsanaei/3x-ui/v2/util/atomicfile"
)

// Delta is traffic read from Xray and not yet in the shared counters.
type Delta struct {
	InboundID int    `json:"inboundId"`
	Email     string `json:"email"`
	UpDelta   int64  `json:"upDelta"`
	DownDelta int64  `json:"downDelta"`
	// Tag, when set, makes this an inbound's (or, with Outbound, an
	// outbound's) own counter from Xray instead of a client's.
	Tag      string `json:"tag,omitempty"`
	Outbound bool   `json:"outbound,omitempty"`
}

// Batch is a numbered set of deltas being flushed. Its sequence
// number lets the database ledger recognise a re-sent batch.
type Batch struct {
	Seq    int64   `json:"seq"`
	Deltas []Delta `json:"deltas"`
}

// trafficState is the whole state file. Every change rewrites it atomically,
// so after a crash it holds either the state before or after the change.
type trafficState struct {
	NextSeq  int64   `json:"nextSeq"`
	Inflight *Batch  `json:"inflight"`
	Pending  []Delta `json:"pending"`
	// Dropped counts deltas of clients deleted on the master.
	Dropped int64 `json:"dropped,omitempty"`
	// Collected is every client byte ever journaled here, for audits: once the
	// journal is empty the shared counters hold exactly this much from
	// this node (less what was dropped).
	Collected Totals `json:"collected"`
}

// Totals sums traffic in both directions.
type Totals struct {
	Up   int64 `json:"up"`
	Down int64 `json:"down"`
}

// Journal is the node's durable traffic journal
// (traffic-pending.json): collection merges into pending while a flush owns
// the inflight batch.
type Journal struct {
	path   string
	mu     sync.Mutex
	state  *trafficState
	writes int64
}

// NewJournal opens (lazily) the state file at path.
func NewJournal(path string) *Journal {
	return &Journal{path: path}
}

// loadLocked reads the file on first use; later calls use memory, which
// always equals the file because every change writes the file first.
func (s *Journal) loadLocked() (*trafficState, error) {
	if s.state != nil {
		return s.state, nil
	}
	st := &trafficState{NextSeq: 1}
	data, err := os.ReadFile(s.path)
	switch {
	case os.IsNotExist(err):
	case err != nil:
		return nil, err
	default:
		if err := decodeTrafficState(data, st); err != nil {
			return nil, fmt.Errorf("parse %s: %w", s.path, err)
		}
	}
	if st.NextSeq < 1 {
		st.NextSeq = 1
	}
	s.state = st
	return st, nil
}

// decodeTrafficState also accepts the plan's older format: a bare list of
// pending deltas.
func decodeTrafficState(data []byte, st *trafficState) error {
	if len(data) > 0 && data[0] == '[' {
		return json.Unmarshal(data, &st.Pending)
	}
	return json.Unmarshal(data, st)
}

// commitLocked writes next to disk, then makes it the in-memory state.
func (s *Journal) commitLocked(next *trafficState) error {
	data, err := json.Marshal(next)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(s.path, data, 0o600); err != nil {
		return err
	}
	s.state = next
	s.writes++
	return nil
}

func (st *trafficState) clone() *trafficState {
	c := *st
	c.Pending = append([]Delta(nil), st.Pending...)
	return &c
}

// Load returns every delta not yet confirmed in the database: the inflight
// batch and the pending deltas, merged per client.
func (s *Journal) Load() ([]Delta, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.loadLocked()
	if err != nil {
		return nil, err
	}
	out := []Delta{}
	if st.Inflight != nil {
		out = mergeDeltas(out, st.Inflight.Deltas)
	}
	return mergeDeltas(out, st.Pending), nil
}

// Save replaces the pending deltas (the inflight batch is kept).
func (s *Journal) Save(deltas []Delta) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.loadLocked()
	if err != nil {
		return err
	}
	next := st.clone()
	next.Pending = mergeDeltas(nil, deltas)
	return s.commitLocked(next)
}

// Merge adds new deltas to pending, summing per (inbound, email).
func (s *Journal) Merge(newDeltas []Delta) error {
	if len(newDeltas) == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.loadLocked()
	if err != nil {
		return err
	}
	next := st.clone()
	next.Pending = mergeDeltas(next.Pending, newDeltas)
	for _, d := range newDeltas {
		if d.Tag != "" {
			continue // Collected audits client bytes; tag counters overlap them
		}
		next.Collected.Up += d.UpDelta
		next.Collected.Down += d.DownDelta
	}
	return s.commitLocked(next)
}

// Collected is every byte ever merged into this journal.
func (s *Journal) Collected() (Totals, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.loadLocked()
	if err != nil {
		return Totals{}, err
	}
	return st.Collected, nil
}

// BeginFlush returns the batch to send: the unfinished inflight batch if a
// previous flush did not complete (same seq, so the ledger can dedupe), or
// else the pending deltas moved into a new inflight batch. Nil: nothing to do.
func (s *Journal) BeginFlush() (*Batch, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.loadLocked()
	if err != nil {
		return nil, err
	}
	if st.Inflight != nil {
		return copyBatch(st.Inflight), nil
	}
	if len(st.Pending) == 0 {
		return nil, nil
	}
	next := st.clone()
	next.Inflight = &Batch{Seq: st.NextSeq, Deltas: next.Pending}
	next.NextSeq = st.NextSeq + 1
	next.Pending = nil
	if err := s.commitLocked(next); err != nil {
		return nil, err
	}
	return copyBatch(next.Inflight), nil
}

// CompleteFlush forgets the inflight batch once the database has it.
func (s *Journal) CompleteFlush(seq int64, dropped int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.loadLocked()
	if err != nil {
		return err
	}
	if st.Inflight == nil || st.Inflight.Seq != seq {
		return nil
	}
	next := st.clone()
	next.Inflight = nil
	next.Dropped += dropped
	return s.commitLocked(next)
}

// Stats reports pending delta count, whether a batch is inflight and how
// many deltas were dropped for deleted clients.
func (s *Journal) Stats() (pending int, inflight bool, dropped int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.loadLocked()
	if err != nil {
		return 0, false, 0
	}
	pending = len(st.Pending)
	if st.Inflight != nil {
		pending += len(st.Inflight.Deltas)
	}
	return pending, st.Inflight != nil, st.Dropped
}

func copyBatch(b *Batch) *Batch {
	return &Batch{Seq: b.Seq, Deltas: append([]Delta(nil), b.Deltas...)}
}

// mergeDeltas returns current plus add, summed per (inbound, email), in
// first-seen order. current is not modified.
func mergeDeltas(current, add []Delta) []Delta {
	out := make([]Delta, 0, len(current)+len(add))
	index := make(map[deltaKey]int, len(current)+len(add))
	for _, list := range [][]Delta{current, add} {
		for _, d := range list {
			if d.UpDelta == 0 && d.DownDelta == 0 {
				continue
			}
			k := deltaKey{d.InboundID, d.Email, d.Tag, d.Outbound}
			if i, ok := index[k]; ok {
				out[i].UpDelta += d.UpDelta
				out[i].DownDelta += d.DownDelta
				continue
			}
			index[k] = len(out)
			out = append(out, d)
		}
	}
	return out
}

type deltaKey struct {
	inboundID int
	email     string
	tag       string
	outbound  bool
}
