// Package iplimit enforces per-client IP limits: it records the source IPs
// Xray reports per client and blocks the extra ones with a routing rule.
package iplimit

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log"
	"sort"
	"sync"
	"time"

	"github.com/mhsanaei/3x-ui/v2/audit"
	"github.com/mhsanaei/3x-ui/v2/cluster"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/settings"
	"github.com/mhsanaei/3x-ui/v2/xray"
	"github.com/mhsanaei/3x-ui/v2/xray/users"
	"github.com/mhsanaei/3x-ui/v2/xrayrun"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// ClientIP is one source address seen for a client.
type ClientIP struct {
	IP        string `json:"ip"`
	FirstSeen int64  `json:"firstSeen"`
	LastSeen  int64  `json:"lastSeen"`
}

// Limiter records each client's source IPs from Xray's online stats
// and, for clients over their limitIp, routes the extra IPs to the blocked
// outbound through the routing API (live, no restart). IPs unseen for the
// window are forgotten, which lifts the block.
type Limiter struct {
	db   *database.Handle
	xray *xrayrun.Runner
	// limits returns email -> limitIp for clients with a limit; on a worker
	// it reads the snapshot, on a single node the database.
	limits func() (map[string]int, error)
	window func() time.Duration
	// record stores the IP list; nil (or a failing DB) only logs.
	record func(email string, ips []ClientIP) error

	mu      sync.Mutex
	seen    map[string]map[string]*ClientIP
	blocked map[string][]string
	xrayPid int
}

// New enforces limits from the database on xraySvc.
func New(xraySvc *xrayrun.Runner, settings *settings.Store, db *database.Handle) *Limiter {
	return &Limiter{
		db:   db,
		xray: xraySvc,
		limits: (&versionedLimits{
			read: func() (map[string]int, error) { return LimitsFromInbounds(xraySvc.Inbounds().GetAllInbounds()) },
			version: func() (int64, error) {
				conn, err := db.DB()
				if err != nil {
					return 0, err
				}
				return database.GetSharedAccountsVersion(conn)
			},
			now: time.Now,
		}).get,
		window: func() time.Duration {
			secs, err := settings.GetIPLimitWindow()
			if err != nil || secs <= 0 {
				secs = 300
			}
			return time.Duration(secs) * time.Second
		},
		record:  func(email string, ips []ClientIP) error { return RecordClientIPs(db, email, ips) },
		seen:    map[string]map[string]*ClientIP{},
		blocked: map[string][]string{},
	}
}

// NewFrom is iplimit.New whose limits come from
// limits (a worker's snapshot) instead of the database.
func NewFrom(xraySvc *xrayrun.Runner, settings *settings.Store, db *database.Handle, limits func() (map[string]int, error)) *Limiter {
	s := New(xraySvc, settings, db)
	if limits != nil {
		s.limits = limits
	}
	return s
}

// LimitsFromInbounds extracts email -> limitIp (> 0) from inbound settings.
func LimitsFromInbounds(inbounds []*model.Inbound, err error) (map[string]int, error) {
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, in := range inbounds {
		if in.Settings == "" {
			continue
		}
		clients, err := users.DecodeClients(in.Settings)
		if err != nil {
			continue
		}
		for _, c := range clients {
			if c.LimitIP > 0 && c.Email != "" {
				out[c.Email] = c.LimitIP
			}
		}
	}
	return out, nil
}

// CheckOnce reads online IPs for every limited client and updates blocks.
func (s *Limiter) CheckOnce() error {
	api, err := s.xray.API()
	if err != nil {
		return nil // Xray is down; nothing to enforce
	}
	limits, err := s.limits()
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if pid := s.xray.Process().Pid(); pid != s.xrayPid {
		// A new Xray process has none of the rules added earlier.
		s.xrayPid, s.blocked = pid, map[string][]string{}
	}
	now := time.Now()
	cutoff := now.Add(-s.window()).Unix()
	for email, limit := range limits {
		online, err := api.OnlineIPs(email)
		if err != nil && !xray.IsNotFoundErr(err) {
			return err
		}
		ips := s.mergeSeen(email, online, now.Unix(), cutoff)
		if s.record != nil && len(online) > 0 {
			if err := s.record(email, ips); err != nil {
				log.Printf("ip limit: record %s: %v", email, err)
			}
		}
		if err := s.enforce(api, email, extraIPs(ips, limit)); err != nil {
			return err
		}
	}
	for email := range s.blocked {
		if _, limited := limits[email]; !limited {
			if err := s.enforce(api, email, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// mergeSeen folds Xray's ip -> last-seen map into the remembered IPs and
// drops those older than cutoff; the result is ordered by first sight.
func (s *Limiter) mergeSeen(email string, online map[string]int64, now, cutoff int64) []ClientIP {
	seen := s.seen[email]
	if seen == nil {
		seen = map[string]*ClientIP{}
		s.seen[email] = seen
	}
	for ip, last := range online {
		if last <= 0 {
			last = now
		}
		if entry, ok := seen[ip]; ok {
			entry.LastSeen = max(entry.LastSeen, last)
		} else {
			seen[ip] = &ClientIP{IP: ip, FirstSeen: now, LastSeen: last}
		}
	}
	out := make([]ClientIP, 0, len(seen))
	for ip, entry := range seen {
		if entry.LastSeen < cutoff {
			delete(seen, ip)
			continue
		}
		out = append(out, *entry)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].FirstSeen != out[j].FirstSeen {
			return out[i].FirstSeen < out[j].FirstSeen
		}
		return out[i].IP < out[j].IP
	})
	return out
}

// extraIPs are the IPs beyond the first limit ones.
func extraIPs(ips []ClientIP, limit int) []string {
	if len(ips) <= limit {
		return nil
	}
	out := make([]string, 0, len(ips)-limit)
	for _, ip := range ips[limit:] {
		out = append(out, ip.IP)
	}
	sort.Strings(out)
	return out
}

func ipLimitRuleTag(email string) string {
	sum := sha256.Sum256([]byte(email))
	return "iplimit-" + hex.EncodeToString(sum[:8])
}

// enforce makes the block rule for email cover exactly extra.
func (s *Limiter) enforce(api *xray.APIClient, email string, extra []string) error {
	if equalStrings(s.blocked[email], extra) {
		return nil
	}
	tag := ipLimitRuleTag(email)
	if _, had := s.blocked[email]; had {
		if err := api.RemoveRoutingRule(tag); err != nil && !xray.IsNotFoundErr(err) {
			return err
		}
		delete(s.blocked, email)
	}
	if len(extra) == 0 {
		return nil
	}
	rule, _ := json.Marshal(map[string]any{
		"type": "field", "ruleTag": tag, "user": []string{email},
		"source": extra, "outboundTag": "blocked",
	})
	// Xray's API can only append rules; the template's own rules all route
	// to "blocked" or "api", so an appended block rule is still reached.
	if err := api.AddRoutingRule(rule, false); err != nil {
		return err
	}
	s.blocked[email] = extra
	log.Printf("ip limit: %s over its limit, blocking %v", email, extra)
	return nil
}

// Blocked returns the IPs currently blocked for email.
func (s *Limiter) Blocked(email string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.blocked[email]...)
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// RecordClientIPs stores the IPs seen for email (a worker may write this table).
func RecordClientIPs(db *database.Handle, email string, ips []ClientIP) error {
	conn := db.Current()
	if conn == nil {
		return database.ErrClosed
	}
	data, err := json.Marshal(ips)
	if err != nil {
		return err
	}
	row := &model.InboundClientIps{ClientEmail: email, Ips: string(data)}
	return conn.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "client_email"}},
		DoUpdates: clause.AssignmentColumns([]string{"ips"}),
	}).Create(row).Error
}

// GetClientIPs returns the IPs recorded for email.
func (s *Limiter) GetClientIPs(email string) ([]ClientIP, error) {
	conn := s.db.Current()
	if conn == nil {
		return nil, database.ErrClosed
	}
	var row model.InboundClientIps
	err := conn.Where("client_email = ?", email).First(&row).Error
	if database.IsNotFound(err) {
		return []ClientIP{}, nil
	}
	if err != nil {
		return nil, err
	}
	ips := []ClientIP{}
	if row.Ips != "" {
		if err := json.Unmarshal([]byte(row.Ips), &ips); err != nil {
			return nil, err
		}
	}
	return ips, nil
}

// ClearClientIPs forgets the IPs recorded for email.
func (s *Limiter) ClearClientIPs(email string) error {
	return s.ClearClientIPsAs(audit.Actor{}, nil, email)
}

// ClearClientIPsAs is ClearClientIPs made by actor: on a master (node nil
// or a master) its audit row is written in the delete's transaction; a
// worker, which may clear its own records but not insert audit rows,
// writes none.
func (s *Limiter) ClearClientIPsAs(actor audit.Actor, node *cluster.Node, email string) error {
	s.mu.Lock()
	delete(s.seen, email)
	s.mu.Unlock()
	conn := s.db.Current()
	if conn == nil {
		return database.ErrClosed
	}
	del := func(tx *gorm.DB, _ *audit.Entry) error {
		return tx.Where("client_email = ?", email).Delete(&model.InboundClientIps{}).Error
	}
	if node.IsWorker() {
		return del(conn, nil)
	}
	e := audit.Entry{Action: "client.clearIps", TargetKind: "client", TargetID: email}
	return audit.Tx(conn, node.Config().NodeID, actor, e, del)
}
