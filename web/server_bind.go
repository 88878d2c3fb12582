package web

// BindAddress is the address the panel's socket is really bound to (e.g.
// "0.0.0.0:2053" or "[::]:2053"), for logs: URL() picks a browsable host and
// would hide that the panel listens on every interface.
func (s *Server) BindAddress() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.listener == nil {
		return ""
	}
	return s.listener.Addr().String()
}

// Describe is the start-up log line: the real bind address and the URL.
func (s *Server) Describe() string {
	return "listening on " + s.BindAddress() + " (open " + s.URL() + ")"
}
