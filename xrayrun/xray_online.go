package xrayrun

import "sync"

// onlineClients is the latest list of emails Xray reports online.
type onlineClients struct {
	mu     sync.RWMutex
	emails []string
}

// RefreshOnlineClients asks Xray which clients are online and remembers it.
func (s *Runner) RefreshOnlineClients() error {
	api, err := s.API()
	if err != nil {
		s.online.set(nil)
		return nil
	}
	emails, err := api.OnlineUsers()
	if err != nil {
		return err
	}
	s.online.set(emails)
	return nil
}

// GetOnlineClients returns the emails online at the last refresh.
func (s *Runner) GetOnlineClients() []string {
	s.online.mu.RLock()
	defer s.online.mu.RUnlock()
	return append([]string{}, s.online.emails...)
}

func (o *onlineClients) set(emails []string) {
	o.mu.Lock()
	o.emails = emails
	o.mu.Unlock()
}
