package traffic

import (
	"time"

	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/inbound"
	"github.com/mhsanaei/3x-ui/v2/xray"
	"gorm.io/gorm"
)

const dayMs = int64(24 * time.Hour / time.Millisecond)

// ReconcileSharedTrafficState runs the master-only traffic rules inside tx:
// auto-renew, then disable depleted/expired clients, then disable depleted/
// expired inbounds, and reports whether anything changed. As in the plan it
// does not bump the shared version itself: the caller does, in the same
// transaction, when this returns true (ReconcileAndBump, which the flush service runs, does).
func (s *Counters) ReconcileSharedTrafficState(tx *gorm.DB) (bool, error) {
	started, err := startFirstUseExpiries(tx)
	if err != nil {
		return false, err
	}
	needRestart0, _, err := s.autoRenewClients(tx)
	if err != nil {
		return false, err
	}
	needRestart1, _, err := s.disableInvalidClients(tx)
	if err != nil {
		return false, err
	}
	needRestart2, _, err := s.disableInvalidInbounds(tx)
	if err != nil {
		return false, err
	}
	if s.Warn != nil {
		if err := s.Warn(tx); err != nil {
			return false, err
		}
	}
	return started || needRestart0 || needRestart1 || needRestart2, nil
}

// autoRenewClients renews clients with reset > 0 whose expiry has passed:
// expiry moves forward by whole reset periods until it is in the future,
// up/down are zeroed and the client is enabled, in the row and the JSON.
func (s *Counters) autoRenewClients(tx *gorm.DB) (bool, int64, error) {
	now := time.Now().UnixMilli()
	var rows []inbound.ClientRowRef
	err := tx.Model(&xray.ClientTraffic{}).Select("id", "inbound_id", "email", "expiry_time", "reset", "enable").
		Where("reset > 0 AND expiry_time > 0 AND expiry_time <= ?", now).Find(&rows).Error
	if err != nil || len(rows) == 0 {
		return false, 0, err
	}
	byExpiry := map[int64][]int{}
	patches := map[int]map[string]map[string]any{}
	for _, r := range rows {
		period := int64(r.Reset) * dayMs
		next := r.ExpiryTime + ((now-r.ExpiryTime)/period+1)*period
		byExpiry[next] = append(byExpiry[next], r.Id)
		inbound.AddPatch(patches, r.InboundId, r.Email, map[string]any{"expiryTime": next, "enable": true})
	}
	// Rows sharing a new expiry (the common monthly case) share a statement.
	for next, ids := range byExpiry {
		for start := 0; start < len(ids); start += inbound.SQLChunk {
			err := tx.Model(&xray.ClientTraffic{}).Where("id IN ?", ids[start:min(start+inbound.SQLChunk, len(ids))]).
				Updates(map[string]any{"up": 0, "down": 0, "enable": true, "expiry_time": next}).Error
			if err != nil {
				return false, 0, err
			}
		}
	}
	if err := inbound.PatchClients(tx, patches); err != nil {
		return false, 0, err
	}
	return true, int64(len(rows)), nil
}

// disableInvalidClients disables enabled clients over quota or past expiry,
// in client_traffics and in their inbound's settings JSON, so the Xray
// config leaves them out.
func (s *Counters) disableInvalidClients(tx *gorm.DB) (bool, int64, error) {
	now := time.Now().UnixMilli()
	var rows []invalidClientRow
	err := tx.Model(&xray.ClientTraffic{}).Select("id", "inbound_id", "email", "up", "down", "total", "expiry_time").
		Where("enable = ? AND "+inbound.InvalidClientSQL, true, now).Find(&rows).Error
	if err != nil || len(rows) == 0 {
		return false, 0, err
	}
	ids := make([]int, len(rows))
	patches := map[int]map[string]map[string]any{}
	for i, r := range rows {
		ids[i] = r.Id
		inbound.AddPatch(patches, r.InboundId, r.Email, map[string]any{"enable": false})
	}
	for start := 0; start < len(ids); start += inbound.SQLChunk {
		err := tx.Model(&xray.ClientTraffic{}).Where("id IN ?", ids[start:min(start+inbound.SQLChunk, len(ids))]).
			Update("enable", false).Error
		if err != nil {
			return false, 0, err
		}
	}
	if err := inbound.PatchClients(tx, patches); err != nil {
		return false, 0, err
	}
	if s.Disabled != nil {
		disabled := make([]DisabledClient, len(rows))
		for i, r := range rows {
			reason := ReasonExpired
			if r.Total > 0 && r.Up+r.Down >= r.Total {
				reason = ReasonDepleted
			}
			disabled[i] = DisabledClient{Email: r.Email, InboundID: r.InboundId, Reason: reason,
				Up: r.Up, Down: r.Down, Total: r.Total, ExpiryTime: r.ExpiryTime}
		}
		if err := s.Disabled(tx, disabled); err != nil {
			return false, 0, err
		}
	}
	return true, int64(len(rows)), nil
}

// invalidClientRow is what the disable rule reads of a client row: enough
// to say whether it ran out of quota or of time.
type invalidClientRow struct {
	Id         int
	InboundId  int
	Email      string
	Up         int64
	Down       int64
	Total      int64
	ExpiryTime int64
}

// disableInvalidInbounds disables enabled inbounds over quota or past expiry.
func (s *Counters) disableInvalidInbounds(tx *gorm.DB) (bool, int64, error) {
	now := time.Now().UnixMilli()
	res := tx.Model(&model.Inbound{}).Where("enable = ? AND "+inbound.InvalidClientSQL, true, now).Update("enable", false)
	if res.Error != nil {
		return false, 0, res.Error
	}
	return res.RowsAffected > 0, res.RowsAffected, nil
}

// startFirstUseExpiries starts the clock of "start on first use" clients
// (negative expiry_time) that have traffic: expiry becomes now + |expiry|,
// in the row and the settings JSON. In shared mode only the master does
// this, from traffic that any node flushed.
func startFirstUseExpiries(tx *gorm.DB) (bool, error) {
	var rows []inbound.ClientRowRef
	err := tx.Model(&xray.ClientTraffic{}).Select("id", "inbound_id", "email", "expiry_time").
		Where("expiry_time < 0 AND up + down > 0").Find(&rows).Error
	if err != nil || len(rows) == 0 {
		return false, err
	}
	nowMs := time.Now().UnixMilli()
	patches := map[int]map[string]map[string]any{}
	for _, r := range rows {
		expiry := nowMs - r.ExpiryTime
		if err := tx.Model(&xray.ClientTraffic{}).Where("id = ?", r.Id).Update("expiry_time", expiry).Error; err != nil {
			return false, err
		}
		inbound.AddPatch(patches, r.InboundId, r.Email, map[string]any{"expiryTime": expiry})
	}
	return true, inbound.PatchClients(tx, patches)
}
