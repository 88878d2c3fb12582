package inbound

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/mhsanaei/3x-ui/v2/audit"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/errs"
	"github.com/mhsanaei/3x-ui/v2/xray"
	"gorm.io/gorm"
)

// tempEmailPrefix marks rows mid-rename; '/' is not allowed in emails, so
// the temporary names never clash with real ones.
const tempEmailPrefix = "/ren/"

// syncClientRows makes the client_traffics rows of inbound old match clients
// (of protocol p): rows are matched by client key, then by email; matched
// rows keep their counters, others are created or deleted.
func syncClientRows(tx *gorm.DB, old *model.Inbound, p model.Protocol, clients []Client) error {
	var rows []xray.ClientTraffic
	if err := tx.Where("inbound_id = ?", old.Id).Find(&rows).Error; err != nil {
		return err
	}
	byEmail := make(map[string]*xray.ClientTraffic, len(rows))
	for i := range rows {
		byEmail[strings.ToLower(rows[i].Email)] = &rows[i]
	}
	keyToEmail := map[string]string{}
	if field := clientKeyField(p); old.Protocol == p && field != "email" {
		for _, id := range storedIdents(old.Settings) {
			keyToEmail[strings.ToLower(id.Key(string(p)))] = strings.ToLower(id.Email)
		}
	}
	claimed := make(map[int]*Client, len(clients))
	var creates []xray.ClientTraffic
	for i := range clients {
		c := &clients[i]
		var row *xray.ClientTraffic
		if e, ok := keyToEmail[strings.ToLower(c.Key(string(p)))]; ok {
			if r := byEmail[e]; r != nil && claimed[r.Id] == nil {
				row = r
			}
		}
		if row == nil {
			if r := byEmail[strings.ToLower(c.Email)]; r != nil && claimed[r.Id] == nil {
				row = r
			}
		}
		if row == nil {
			creates = append(creates, clientTrafficRow(old.Id, c))
			continue
		}
		claimed[row.Id] = c
	}
	var drop, renamed []string
	var dropIDs []int
	for i := range rows {
		c := claimed[rows[i].Id]
		if c == nil {
			dropIDs = append(dropIDs, rows[i].Id)
			drop = append(drop, rows[i].Email)
		} else if c.Email != rows[i].Email {
			renamed = append(renamed, rows[i].Email)
		}
	}
	if err := deleteClientRows(tx, dropIDs, append(drop, renamed...)); err != nil {
		return err
	}
	if err := syncOwners(tx, rows, claimed, drop, creates); err != nil {
		return err
	}
	// Two phases so swapping two emails never trips the unique index.
	for i := range rows {
		if c := claimed[rows[i].Id]; c != nil && c.Email != rows[i].Email {
			tmp := tempEmailPrefix + strconv.Itoa(rows[i].Id)
			if err := tx.Model(&xray.ClientTraffic{}).Where("id = ?", rows[i].Id).Update("email", tmp).Error; err != nil {
				return err
			}
		}
	}
	for i := range rows {
		r, c := &rows[i], claimed[rows[i].Id]
		if c == nil {
			continue
		}
		if c.Email == r.Email && c.TotalGB == r.Total && c.ExpiryTime == r.ExpiryTime && c.Reset == r.Reset && c.Enable == r.Enable {
			continue
		}
		err := tx.Model(&xray.ClientTraffic{}).Where("id = ?", r.Id).Updates(map[string]any{
			"email": c.Email, "total": c.TotalGB, "expiry_time": c.ExpiryTime,
			"reset": c.Reset, "enable": c.Enable,
		}).Error
		if err != nil {
			return err
		}
	}
	if len(creates) > 0 {
		return tx.CreateInBatches(creates, SQLChunk/2).Error
	}
	return nil
}

// deleteClientRows deletes client_traffics rows by id and IP records by email.
func deleteClientRows(tx *gorm.DB, ids []int, ipEmails []string) error {
	for start := 0; start < len(ids); start += SQLChunk {
		end := min(start+SQLChunk, len(ids))
		if err := tx.Where("id IN ?", ids[start:end]).Delete(&xray.ClientTraffic{}).Error; err != nil {
			return err
		}
	}
	for start := 0; start < len(ipEmails); start += SQLChunk {
		end := min(start+SQLChunk, len(ipEmails))
		if err := tx.Where("client_email IN ?", ipEmails[start:end]).Delete(&model.InboundClientIps{}).Error; err != nil {
			return err
		}
	}
	return nil
}

// requestClients reads the clients of an addClient/updateClient request.
func requestClients(data *model.Inbound) ([]json.RawMessage, error) {
	if data == nil {
		return nil, errs.Invalid("settings", "missing")
	}
	doc, err := parseSettings(data.Settings)
	if err != nil {
		return nil, err
	}
	raws, err := doc.clientList()
	if err != nil {
		return nil, err
	}
	if len(raws) == 0 {
		return nil, errs.Invalid("settings", "no clients given")
	}
	return raws, nil
}

// AddInboundClient appends data's clients to inbound data.Id.
func (s *Store) AddInboundClient(data *model.Inbound) error {
	raws, err := requestClients(data)
	if err != nil {
		return err
	}
	e := audit.Entry{Action: "client.add", TargetKind: "client"}
	return s.writeClients(e, "add client", nil, func(tx *gorm.DB, version int64, e *audit.Entry) ([]ClientChange, error) {
		in, doc, err := lockedDoc(tx, data.Id)
		if err != nil {
			return nil, err
		}
		method, err := checkSettingsShape(in.Protocol, doc, true)
		if err != nil {
			return nil, err
		}
		clients, norm, err := newClients(in.Protocol, method, raws)
		if err != nil {
			return nil, err
		}
		if err := s.checkNewClientsFree(tx, version, in, doc, clients, -1); err != nil {
			return nil, err
		}
		doc.appendClients(norm)
		if err := saveSettings(tx, in.Id, doc); err != nil {
			return nil, err
		}
		rows := make([]xray.ClientTraffic, len(clients))
		for i := range clients {
			rows[i] = clientTrafficRow(in.Id, &clients[i])
		}
		if err := tx.CreateInBatches(rows, SQLChunk/2).Error; err != nil {
			return nil, err
		}
		clientAudit(e, nil, norm)
		return []ClientChange{newClientChange(in, method, clients, norm, nil)}, nil
	})
}

// checkNewClientsFree checks clients against the database's emails and the
// inbound's own clients (skipping index skip, the client being replaced).
func (s *Store) checkNewClientsFree(tx *gorm.DB, version int64, in *model.Inbound, doc *settingsDoc, clients []Client, skip int) error {
	if err := checkFreeInInbound(in, doc, clients, skip); err != nil {
		return err
	}
	if err := s.owners().checkFree(tx, version, in.Protocol, clients, in.Id); err != nil {
		return err
	}
	emails := emailsOf(clients)
	if skip >= 0 {
		raws, _ := doc.clientList()
		if ids, err := identsOf(raws[skip : skip+1]); err == nil && strings.EqualFold(ids[0].Email, clients[0].Email) {
			return nil // email unchanged: its own row is the only match
		}
	}
	return checkEmailsFree(tx, emails, 0)
}

func saveSettings(tx *gorm.DB, id int, doc *settingsDoc) error {
	settings, err := doc.encode()
	if err != nil {
		return err
	}
	return tx.Model(&model.Inbound{}).Where("id = ?", id).Update("settings", settings).Error
}

// findClient returns the index of the client whose key field (or email when
// byEmail) equals value, or -1.
func findClient(doc *settingsDoc, p model.Protocol, value string, byEmail bool) (int, []clientIdent, error) {
	raws, err := doc.clientList()
	if err != nil {
		return -1, nil, err
	}
	ids, err := identsOf(raws)
	if err != nil {
		return -1, nil, err
	}
	for i, id := range ids {
		if byEmail || clientKeyField(p) == "email" {
			if strings.EqualFold(id.Email, value) {
				return i, ids, nil
			}
		} else if sameKey(p, id.Key(string(p)), value) {
			return i, ids, nil
		}
	}
	return -1, ids, nil
}

// UpdateInboundClient replaces the client clientId (UUID, trojan password or
// shadowsocks email) of inbound data.Id with the one client in data.Settings.
func (s *Store) UpdateInboundClient(data *model.Inbound, clientId string) error {
	raws, err := requestClients(data)
	if err != nil {
		return err
	}
	if len(raws) != 1 {
		return errs.Invalid("settings", "give exactly one client, got %d", len(raws))
	}
	e := audit.Entry{Action: "client.update", TargetKind: "client"}
	before := map[string]json.RawMessage{}
	return s.writeClients(e, "update client", before, func(tx *gorm.DB, version int64, e *audit.Entry) ([]ClientChange, error) {
		in, doc, err := lockedDoc(tx, data.Id)
		if err != nil {
			return nil, err
		}
		idx, ids, err := findClient(doc, in.Protocol, clientId, false)
		if err != nil {
			return nil, err
		}
		if idx < 0 {
			return nil, errs.NotFound("clientId", "inbound %d has no client %q", in.Id, clientId)
		}
		method, err := checkSettingsShape(in.Protocol, doc, true)
		if err != nil {
			return nil, err
		}
		clients, norm, err := newClients(in.Protocol, method, raws)
		if err != nil {
			return nil, err
		}
		if err := s.checkNewClientsFree(tx, version, in, doc, clients, idx); err != nil {
			return nil, err
		}
		list, _ := doc.clientList()
		clientAudit(e, list[idx:idx+1], norm)
		before[strings.ToLower(ids[idx].Email)] = list[idx]
		list[idx] = norm[0]
		if err := saveSettings(tx, in.Id, doc); err != nil {
			return nil, err
		}
		if err := replaceClientRow(tx, in.Id, ids[idx].Email, &clients[0]); err != nil {
			return nil, err
		}
		ch := newClientChange(in, method, clients, norm, []string{ids[idx].Email})
		ch.RemovedIDs = []string{ids[idx].ID}
		return []ClientChange{ch}, nil
	})
}

// replaceClientRow points the row of oldEmail at client c (renaming it and
// keeping its counters), or creates the row if it is missing.
func replaceClientRow(tx *gorm.DB, inboundID int, oldEmail string, c *Client) error {
	var rows []xray.ClientTraffic
	if err := tx.Where("email = ?", oldEmail).Limit(1).Find(&rows).Error; err != nil {
		return err
	}
	if len(rows) == 0 {
		row := clientTrafficRow(inboundID, c)
		return tx.Create(&row).Error
	}
	if rows[0].Email != c.Email {
		if err := deleteClientRows(tx, nil, []string{oldEmail}); err != nil {
			return err
		}
	}
	return tx.Model(&xray.ClientTraffic{}).Where("id = ?", rows[0].Id).Updates(map[string]any{
		"email": c.Email, "total": c.TotalGB, "expiry_time": c.ExpiryTime,
		"reset": c.Reset, "enable": c.Enable, "inbound_id": inboundID,
	}).Error
}

// DelInboundClient removes the client clientId (UUID for vless/vmess,
// password for trojan, email for shadowsocks) and its rows.
func (s *Store) DelInboundClient(inboundId int, clientId string) error {
	return s.delClient(inboundId, clientId, false)
}

// DelInboundClientByEmail removes the client with this email and its rows.
func (s *Store) DelInboundClientByEmail(inboundId int, email string) error {
	return s.delClient(inboundId, email, true)
}

func (s *Store) delClient(inboundId int, value string, byEmail bool) error {
	e := audit.Entry{Action: "client.delete", TargetKind: "client"}
	return s.writeClients(e, "delete client", nil, func(tx *gorm.DB, _ int64, e *audit.Entry) ([]ClientChange, error) {
		in, doc, err := lockedDoc(tx, inboundId)
		if err != nil {
			return nil, err
		}
		idx, ids, err := findClient(doc, in.Protocol, value, byEmail)
		if err != nil {
			return nil, err
		}
		if idx < 0 {
			field := "clientId"
			if byEmail {
				field = "email"
			}
			return nil, errs.NotFound(field, "inbound %d has no client %q", inboundId, value)
		}
		list, _ := doc.clientList()
		clientAudit(e, list[idx:idx+1], nil)
		doc.setClients(append(list[:idx:idx], list[idx+1:]...))
		if err := saveSettings(tx, in.Id, doc); err != nil {
			return nil, err
		}
		email := ids[idx].Email
		if err := tx.Where("inbound_id = ? AND email = ?", inboundId, email).Delete(&xray.ClientTraffic{}).Error; err != nil {
			return nil, err
		}
		if err := deleteClientRows(tx, nil, []string{email}); err != nil {
			return nil, err
		}
		ch := newClientChange(in, doc.str("method"), nil, nil, nil)
		ch.Removed, ch.RemovedIDs = []string{email}, []string{ids[idx].ID}
		return []ClientChange{ch}, nil
	})
}

// textScanLimit: up to this many new clients are first looked for in the
// stored text (a value absent from it cannot clash, and nothing is
// parsed); more are checked against one index of the inbound's clients,
// which keeps adding thousands of clients linear in the inbound's size.
const textScanLimit = 8

// checkFreeInInbound fails with errs.Conflict when a new client's email or
// key is already used by another client of in (skip is the index of the
// client being replaced, or -1).
func checkFreeInInbound(in *model.Inbound, doc *settingsDoc, clients []Client, skip int) error {
	p := in.Protocol
	field := clientKeyField(p)
	suspects := clients
	if len(clients) <= textScanLimit {
		text := []byte(in.Settings)
		suspects = nil
		for _, c := range clients {
			if containsFold(text, c.Email) || (field != "email" && containsFold(text, c.Key(string(p)))) {
				suspects = append(suspects, c)
			}
		}
	}
	if len(suspects) == 0 {
		return nil
	}
	ids, err := doc.idents()
	if err != nil {
		return err
	}
	// Keys compare as sameKey does: passwords exactly, ids and emails
	// case-insensitively.
	norm := func(k string) string {
		if field == "password" {
			return k
		}
		return strings.ToLower(k)
	}
	emails := make(map[string]bool, len(ids))
	keys := make(map[string]bool, len(ids))
	for i, id := range ids {
		if i == skip {
			continue
		}
		emails[strings.ToLower(id.Email)] = true
		if field != "email" {
			keys[norm(id.Key(string(p)))] = true
		}
	}
	for _, c := range suspects {
		if emails[strings.ToLower(c.Email)] {
			return errs.Conflict("email", "email %q is already used in this inbound", c.Email)
		}
		if field != "email" && keys[norm(c.Key(string(p)))] {
			return errs.Conflict(field, "%s %q is already used in this inbound", field, c.Key(string(p)))
		}
	}
	return nil
}
