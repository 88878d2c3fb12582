package traffic

// PendingBytes is the traffic (up + down) journaled but not yet flushed.
func (s *Journal) PendingBytes() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.loadLocked()
	if err != nil {
		return 0
	}
	var n int64
	for _, d := range st.Pending {
		n += d.UpDelta + d.DownDelta
	}
	if st.Inflight != nil {
		for _, d := range st.Inflight.Deltas {
			n += d.UpDelta + d.DownDelta
		}
	}
	return n
}
