package inbound

import (
	"fmt"
	"strings"

	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/errs"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Scope narrows a Store view to what one principal may touch: a
// reseller's own clients within its allowance, and an API token's one
// inbound. The zero Scope narrows nothing.
type Scope struct {
	// Reseller is the reseller's user id (0: not a reseller). Its new
	// clients are recorded as its own; clients it does not own cannot be
	// changed, and its clients' count and quota sum stay in the allowance.
	Reseller        int
	MaxClients      int
	MaxTrafficBytes int64
	// Inbound is the only inbound a scoped token may write (0: any).
	Inbound int
}

// Narrowed reports whether the scope limits anything.
func (sc *Scope) Narrowed() bool { return sc != nil && (sc.Reseller != 0 || sc.Inbound != 0) }

// Scoped is s with its client writes held to sc (nil: unchanged).
func (s *Store) Scoped(sc *Scope) *Store {
	if !sc.Narrowed() {
		return s
	}
	v := s.WithReceipt(s.receipt)
	v.scope = sc
	return v
}

// forbiddenField is a 403 that names what refused it.
func forbiddenField(field, format string, args ...any) error {
	return &errs.Error{Kind: errs.KindForbidden, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// checkInbound refuses a write to an inbound outside a token's scope.
func (sc *Scope) checkInbound(id int) error {
	if sc != nil && sc.Inbound != 0 && id != sc.Inbound {
		return forbiddenField("scope", "this API token is limited to inbound %d, not %d", sc.Inbound, id)
	}
	return nil
}

// ownedEmails answers which of emails (lowercased) user owns.
func ownedEmails(tx *gorm.DB, user int, emails []string) (map[string]bool, error) {
	out := make(map[string]bool, len(emails))
	lower := make([]string, len(emails))
	for i, e := range emails {
		lower[i] = strings.ToLower(e)
	}
	for start := 0; start < len(lower); start += SQLChunk {
		var rows []model.ClientOwner
		chunk := lower[start:min(start+SQLChunk, len(lower))]
		if err := tx.Where("user_id = ? AND email IN ?", user, chunk).Find(&rows).Error; err != nil {
			return nil, err
		}
		for _, r := range rows {
			out[r.Email] = true
		}
	}
	return out, nil
}

// checkOwned refuses unless the reseller owns every one of emails.
func (sc *Scope) checkOwned(tx *gorm.DB, emails []string) error {
	if sc == nil || sc.Reseller == 0 || len(emails) == 0 {
		return nil
	}
	owned, err := ownedEmails(tx, sc.Reseller, emails)
	if err != nil {
		return err
	}
	for _, e := range emails {
		if !owned[strings.ToLower(e)] {
			return forbiddenField("email", "client %q is not one of your clients", e)
		}
	}
	return nil
}

// applyClientChanges runs in the transaction of a client write after it
// changed the clients: it checks the scope against what changed, keeps
// client_owners in step (renames and deletions for everyone, new clients
// for a reseller) and checks a reseller's allowance on the result, so a
// refusal rolls the whole write back.
func (s *Store) applyClientChanges(tx *gorm.DB, changes []ClientChange) error {
	sc := s.scope
	var touched, removed, added []string
	renamed := map[string]string{}
	for _, ch := range changes {
		if err := sc.checkInbound(ch.InboundID); err != nil {
			return err
		}
		touched = append(touched, ch.Removed...)
		removed = append(removed, ch.Removed...)
		for _, w := range ch.Written {
			switch {
			case w.Replaces == "":
				added = append(added, w.Email)
			default:
				touched = append(touched, w.Replaces)
				if !strings.EqualFold(w.Replaces, w.Email) {
					renamed[strings.ToLower(w.Replaces)] = strings.ToLower(w.Email)
				}
			}
		}
	}
	if err := sc.checkOwned(tx, touched); err != nil {
		return err
	}
	if err := forgetOwners(tx, removed); err != nil {
		return err
	}
	if err := moveOwners(tx, renamed); err != nil {
		return err
	}
	if sc == nil || sc.Reseller == 0 {
		// A client made by anyone else belongs to no reseller, whatever
		// row an earlier client of that email left.
		return forgetOwners(tx, added)
	}
	if len(added) > 0 {
		rows := make([]model.ClientOwner, len(added))
		for i, e := range added {
			rows[i] = model.ClientOwner{Email: strings.ToLower(e), UserId: sc.Reseller}
		}
		// A row left by a client deleted with its inbound is taken over.
		err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "email"}},
			DoUpdates: clause.AssignmentColumns([]string{"user_id"})}).CreateInBatches(rows, SQLChunk/2).Error
		if err != nil {
			return err
		}
	}
	return sc.checkAllowance(tx)
}

// forgetOwners deletes the ownership rows of removed clients.
func forgetOwners(tx *gorm.DB, emails []string) error {
	for start := 0; start < len(emails); start += SQLChunk {
		chunk := emails[start:min(start+SQLChunk, len(emails))]
		lower := make([]string, len(chunk))
		for i, e := range chunk {
			lower[i] = strings.ToLower(e)
		}
		if err := tx.Where("email IN ?", lower).Delete(&model.ClientOwner{}).Error; err != nil {
			return err
		}
	}
	return nil
}

// moveOwners carries ownership across email renames (old -> new, both
// lowercased): rows of the old emails are read and deleted first, so two
// clients swapping emails never clash on the key.
func moveOwners(tx *gorm.DB, renamed map[string]string) error {
	if len(renamed) == 0 {
		return nil
	}
	olds := make([]string, 0, len(renamed))
	news := make([]string, 0, len(renamed))
	for o, n := range renamed {
		olds, news = append(olds, o), append(news, n)
	}
	var rows []model.ClientOwner
	if err := tx.Where("email IN ?", olds).Find(&rows).Error; err != nil {
		return err
	}
	if err := forgetOwners(tx, append(olds, news...)); err != nil {
		return err
	}
	for i := range rows {
		rows[i].Email = renamed[rows[i].Email]
	}
	if len(rows) == 0 {
		return nil
	}
	return tx.CreateInBatches(rows, SQLChunk/2).Error
}

// forgetInboundOwners deletes the ownership rows of inbound id's clients
// (before the inbound and its client rows go).
func forgetInboundOwners(tx *gorm.DB, id int) error {
	var emails []string
	if err := tx.Model(&model.ClientTraffic{}).Where("inbound_id = ?", id).Pluck("email", &emails).Error; err != nil {
		return err
	}
	return forgetOwners(tx, emails)
}

// allowanceUse is a reseller's clients as the database holds them.
type allowanceUse struct {
	Clients   int64
	Quota     int64
	Unlimited int64
}

// checkAllowance counts the reseller's clients (ownership rows whose
// client still exists) and sums their quotas, inside the write's
// transaction: over the allowance, or a client without a quota, fails the
// write. Unlimited (totalGB 0) would escape the traffic allowance.
func (sc *Scope) checkAllowance(tx *gorm.DB) error {
	// The reseller's row, locked: parallel writes of one reseller count in
	// turn (each sees the rows the one before committed), and the limits
	// are the ones stored now, not those read when the request began.
	var users []model.User
	err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Select("id", "role", "max_clients", "max_traffic_bytes").
		Where("id = ?", sc.Reseller).Limit(1).Find(&users).Error
	if err != nil {
		return err
	}
	if len(users) == 0 || users[0].Role != "reseller" {
		return forbiddenField("role", "user %d is no longer a reseller; log in again", sc.Reseller)
	}
	sc.MaxClients, sc.MaxTrafficBytes = users[0].MaxClients, users[0].MaxTrafficBytes
	var use allowanceUse
	err = tx.Table("client_owners AS co").Joins("JOIN client_traffics AS ct ON LOWER(ct.email) = co.email").
		Where("co.user_id = ?", sc.Reseller).
		Select("COUNT(*) AS clients, COALESCE(SUM(ct.total), 0) AS quota, " +
			"COALESCE(SUM(CASE WHEN ct.total <= 0 THEN 1 ELSE 0 END), 0) AS unlimited").Scan(&use).Error
	if err != nil {
		return err
	}
	switch {
	case use.Unlimited > 0:
		return errs.Invalid("totalGB", "a reseller's client needs a traffic quota; 0 (unlimited) is not allowed")
	case use.Clients > int64(sc.MaxClients):
		return forbiddenField("maxClients", "your allowance is %d clients; this would make %d", sc.MaxClients, use.Clients)
	case use.Quota > sc.MaxTrafficBytes:
		return forbiddenField("maxTrafficBytes", "your clients' quotas may add up to %d bytes; this would make %d",
			sc.MaxTrafficBytes, use.Quota)
	}
	return nil
}

// OwnedBy lists the emails (lowercased) reseller owns, for the routes
// that filter what a reseller reads.
func (s *Store) OwnedBy(reseller int) (map[string]bool, error) {
	conn, err := s.db.DB()
	if err != nil {
		return nil, err
	}
	var rows []model.ClientOwner
	if err := conn.Where("user_id = ?", reseller).Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(rows))
	for _, r := range rows {
		out[r.Email] = true
	}
	return out, nil
}

// EmailsOf lists the emails (lowercased) of inbound id's clients, from
// their client_traffics rows.
func (s *Store) EmailsOf(id int) (map[string]bool, error) {
	conn, err := s.db.DB()
	if err != nil {
		return nil, err
	}
	var emails []string
	if err := conn.Model(&model.ClientTraffic{}).Where("inbound_id = ?", id).Pluck("email", &emails).Error; err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(emails))
	for _, e := range emails {
		out[strings.ToLower(e)] = true
	}
	return out, nil
}

// KeepClients narrows in's settings and client rows to the clients keep
// accepts (a reseller's view of an inbound).
func KeepClients(in *model.Inbound, keep func(email string) bool) error {
	doc, err := parseStoredSettings(in.Settings)
	if err != nil {
		return err
	}
	raws, err := doc.clientList()
	if err != nil {
		return err
	}
	if len(raws) == 0 {
		in.Up, in.Down, in.AllTime, in.ClientStats = 0, 0, 0, []model.ClientTraffic{}
		return nil // no clients (or a protocol without any)
	}
	ids, err := identsOf(raws)
	if err != nil {
		return err
	}
	kept := raws[:0:0]
	for i, id := range ids {
		if keep(id.Email) {
			kept = append(kept, raws[i])
		}
	}
	doc.setClients(kept)
	if in.Settings, err = doc.encode(); err != nil {
		return err
	}
	// The inbound's counters become those of the kept clients: the
	// others' traffic is not the reseller's to see.
	stats := in.ClientStats[:0:0]
	in.Up, in.Down, in.AllTime = 0, 0, 0
	for _, st := range in.ClientStats {
		if keep(st.Email) {
			stats = append(stats, st)
			in.Up, in.Down, in.AllTime = in.Up+st.Up, in.Down+st.Down, in.AllTime+st.AllTime
		}
	}
	in.ClientStats = stats
	return nil
}

// checkBulkScope holds a bulk action to the scope: a scoped token's
// inbound, a reseller's own clients, and no traffic reset for a reseller
// (it would lift the traffic allowance).
func (s *Store) checkBulkScope(tx *gorm.DB, action string, rows []bulkRow) error {
	sc := s.scope
	if !sc.Narrowed() {
		return nil
	}
	emails := make([]string, len(rows))
	for i, row := range rows {
		if err := sc.checkInbound(row.InboundId); err != nil {
			return err
		}
		emails[i] = row.Email
	}
	if sc.Reseller != 0 && action == BulkReset {
		return forbiddenField("action", "permission clients.reset required: a reseller cannot reset traffic")
	}
	return sc.checkOwned(tx, emails)
}

// syncOwners keeps client_owners in step with an inbound rewrite
// (syncClientRows): dropped clients lose their owner, renamed ones keep
// it under the new email, created ones have none.
func syncOwners(tx *gorm.DB, rows []model.ClientTraffic, claimed map[int]*Client, drop []string, creates []model.ClientTraffic) error {
	renamed := map[string]string{}
	for i := range rows {
		if c := claimed[rows[i].Id]; c != nil && !strings.EqualFold(c.Email, rows[i].Email) {
			renamed[strings.ToLower(rows[i].Email)] = strings.ToLower(c.Email)
		}
	}
	gone := append([]string(nil), drop...)
	for _, r := range creates {
		gone = append(gone, r.Email)
	}
	if err := forgetOwners(tx, gone); err != nil {
		return err
	}
	return moveOwners(tx, renamed)
}
