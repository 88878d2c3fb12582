package inbound

import (
	"errors"
	"strings"
	"time"

	"github.com/mhsanaei/3x-ui/v2/audit"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/errs"
	"gorm.io/gorm"
)

// Periodic traffic reset values of inbounds.traffic_reset (upstream 3x-ui's).
const (
	TrafficResetNever   = "never"
	TrafficResetDaily   = "daily"
	TrafficResetWeekly  = "weekly"
	TrafficResetMonthly = "monthly"
)

// CheckTrafficReset validates an inbound's trafficReset ("" means never).
func CheckTrafficReset(v string) (string, error) {
	switch v = strings.ToLower(strings.TrimSpace(v)); v {
	case "":
		return TrafficResetNever, nil
	case TrafficResetNever, TrafficResetDaily, TrafficResetWeekly, TrafficResetMonthly:
		return v, nil
	}
	return "", errs.Invalid("trafficReset", "must be never, daily, weekly or monthly, got %q", v)
}

// PeriodStart is the start of the period containing now, in now's zone:
// local midnight, Sunday midnight (upstream's @weekly) or the 1st at
// midnight. ok is false for never and unknown values.
func PeriodStart(period string, now time.Time) (time.Time, bool) {
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
	switch period {
	case TrafficResetDaily:
		return day, true
	case TrafficResetWeekly:
		return day.AddDate(0, 0, -int(day.Weekday())), true
	case TrafficResetMonthly:
		return time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, now.Location()), true
	}
	return time.Time{}, false
}

var errNothingToReset = errors.New("nothing to reset")

// RunPeriodicTrafficResets resets the client counters of every enabled
// inbound whose period (in loc) began after its last reset, re-enabling the
// clients that have not expired, as upstream's daily/weekly/monthly jobs do,
// and stamps last_traffic_reset_time. A period missed while the panel was
// down is caught up once. An inbound never reset (0, e.g. just upgraded or
// just switched on) is only stamped, so its first reset comes at the next
// boundary rather than wiping counters now. Everything runs in one
// transaction with the shared version bump, on the master only.
func (s *Store) RunPeriodicTrafficResets(now time.Time, loc *time.Location) (int, error) {
	if loc == nil {
		loc = time.Local
	}
	now = now.In(loc)
	reset := 0
	e := audit.Entry{Action: "inbound.periodicReset", TargetKind: "inbound", TargetID: "*"}
	// Nobody asks for this write: the panel's clock does, whoever's store
	// the job was given.
	err := s.As(audit.System("periodic traffic reset")).write(e, func(tx *gorm.DB) error {
		reset = 0
		var rows []model.Inbound
		err := tx.Select("id", "traffic_reset", "last_traffic_reset_time").
			Where("enable = ? AND traffic_reset IN ?", true,
				[]string{TrafficResetDaily, TrafficResetWeekly, TrafficResetMonthly}).
			Order("id").Find(&rows).Error
		if err != nil {
			return err
		}
		changed := false
		for _, in := range rows {
			start, _ := PeriodStart(in.TrafficReset, now)
			if in.LastTrafficResetTime > 0 && in.LastTrafficResetTime >= start.UnixMilli() {
				continue
			}
			if in.LastTrafficResetTime > 0 {
				if _, err := lockInbound(tx, in.Id); err != nil {
					return err
				}
				id := in.Id
				if err := resetClientRows(tx, func(q *gorm.DB) *gorm.DB { return q.Where("inbound_id = ?", id) }); err != nil {
					return err
				}
				reset++
			}
			err := tx.Model(&model.Inbound{}).Where("id = ?", in.Id).
				Update("last_traffic_reset_time", now.UnixMilli()).Error
			if err != nil {
				return err
			}
			changed = true
		}
		if !changed {
			return errNothingToReset // roll back: no version bump, no apply
		}
		return nil
	})
	if errors.Is(err, errNothingToReset) {
		return 0, nil
	}
	return reset, err
}
