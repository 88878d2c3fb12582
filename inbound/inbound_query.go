package inbound

import (
	"strings"

	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/errs"
	"github.com/mhsanaei/3x-ui/v2/xray"
)

// maxPageSize caps one page of the client listing.
const maxPageSize = 1000

// GetClientTrafficByEmail returns the client_traffics row of one email.
func (s *Store) GetClientTrafficByEmail(email string) (*xray.ClientTraffic, error) {
	conn, err := s.db.DB()
	if err != nil {
		return nil, err
	}
	var rows []xray.ClientTraffic
	if err := conn.Where("email = ?", email).Limit(1).Find(&rows).Error; err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, errs.NotFound("email", "no client with email %q", email)
	}
	return &rows[0], nil
}

// GetClientByEmail returns the inbound holding the client with this email,
// and the client.
func (s *Store) GetClientByEmail(email string) (*model.Inbound, *Client, error) {
	row, err := s.GetClientTrafficByEmail(email)
	if err != nil {
		return nil, nil, err
	}
	in, err := s.GetInbound(row.InboundId)
	if err != nil {
		return nil, nil, err
	}
	clients, err := ParseInboundClients(in.Settings)
	if err != nil {
		return nil, nil, err
	}
	for i := range clients {
		if strings.EqualFold(clients[i].Email, email) {
			return in, &clients[i], nil
		}
	}
	return nil, nil, errs.NotFound("email", "no client with email %q", email)
}

// GetClientsPage lists clients page by page (page from 1), filtered by a
// case-insensitive substring of email or comment. inboundId <= 0 lists the
// clients of every inbound. Traffic rows are loaded for the page only.
func (s *Store) GetClientsPage(inboundId, page, size int, query string) ([]ClientWithTraffic, int, error) {
	return s.GetClientsPageKeep(inboundId, page, size, query, nil)
}

// GetClientsPageKeep is GetClientsPage over the clients keep accepts (nil:
// all), so a reseller's pages and totals count only its own clients.
func (s *Store) GetClientsPageKeep(inboundId, page, size int, query string, keep func(email string) bool) ([]ClientWithTraffic, int, error) {
	if page < 1 {
		return nil, 0, errs.Invalid("page", "must be 1 or more")
	}
	if size < 1 || size > maxPageSize {
		return nil, 0, errs.Invalid("size", "must be between 1 and %d", maxPageSize)
	}
	conn, err := s.db.DB()
	if err != nil {
		return nil, 0, err
	}
	var inbounds []model.Inbound
	q := conn.Select("id", "settings").Order("id")
	if inboundId > 0 {
		q = q.Where("id = ?", inboundId)
	}
	if err := q.Find(&inbounds).Error; err != nil {
		return nil, 0, err
	}
	if inboundId > 0 && len(inbounds) == 0 {
		return nil, 0, errs.NotFound("id", "inbound %d does not exist", inboundId)
	}
	query = strings.ToLower(strings.TrimSpace(query))
	var matched []ClientWithTraffic
	for _, in := range inbounds {
		clients, err := ParseInboundClients(in.Settings)
		if err != nil {
			return nil, 0, err
		}
		for _, c := range clients {
			if keep != nil && !keep(c.Email) {
				continue
			}
			if query == "" || strings.Contains(strings.ToLower(c.Email), query) || strings.Contains(strings.ToLower(c.Comment), query) {
				matched = append(matched, ClientWithTraffic{Client: c, InboundId: in.Id})
			}
		}
	}
	total := len(matched)
	// Compare before multiplying: (page-1)*size overflows for huge pages.
	if page < 1 || size < 1 || page-1 > total/size {
		return []ClientWithTraffic{}, total, nil
	}
	start := (page - 1) * size
	if start >= total {
		return []ClientWithTraffic{}, total, nil
	}
	end := total
	if size < total-start {
		end = start + size
	}
	out := matched[start:end]
	emails := make([]string, len(out))
	for i := range out {
		emails[i] = out[i].Email
	}
	var rows []xray.ClientTraffic
	if err := conn.Where("email IN ?", emails).Find(&rows).Error; err != nil {
		return nil, 0, err
	}
	byEmail := make(map[string]*xray.ClientTraffic, len(rows))
	for i := range rows {
		byEmail[strings.ToLower(rows[i].Email)] = &rows[i]
	}
	for i := range out {
		out[i].Traffic = byEmail[strings.ToLower(out[i].Email)]
	}
	return out, total, nil
}

// GetClientsLastOnline maps each client email to when it was last seen
// online (ms since epoch, 0 = never), for inbounds/lastOnline.
func (s *Store) GetClientsLastOnline() (map[string]int64, error) {
	conn, err := s.db.DB()
	if err != nil {
		return nil, err
	}
	var rows []xray.ClientTraffic
	if err := conn.Select("email", "last_online").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make(map[string]int64, len(rows))
	for _, r := range rows {
		out[r.Email] = r.LastOnline
	}
	return out, nil
}
