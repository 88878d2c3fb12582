package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/errs"
	"gorm.io/gorm"
)

// maxPage bounds one page of the delivery log or the event list.
const maxPage = 500

// Page is one page of a log, newest first.
type Page[T any] struct {
	Total int64 `json:"total"`
	Items []T   `json:"items"`
}

// Delivery is one outbox row as the delivery log shows it.
type Delivery struct {
	model.NotifyDelivery
	Kind string `json:"kind"`
}

// DeliveryQuery filters the delivery log; zero values match everything.
type DeliveryQuery struct {
	WebhookID int
	Status    string
	Offset    int
	Limit     int // 1..maxPage, default 50
}

func pageBounds(offset, limit int) (int, int, error) {
	if limit == 0 {
		limit = 50
	}
	if limit < 1 || limit > maxPage {
		return 0, 0, errs.Invalid("limit", "must be 1 to %d", maxPage)
	}
	if offset < 0 {
		return 0, 0, errs.Invalid("offset", "must not be negative")
	}
	return offset, limit, nil
}

// Deliveries is a page of the delivery log with each row's status,
// attempts and last error.
func (s *Webhooks) Deliveries(q DeliveryQuery) (Page[Delivery], error) {
	out := Page[Delivery]{Items: []Delivery{}}
	offset, limit, err := pageBounds(q.Offset, q.Limit)
	if err != nil {
		return out, err
	}
	switch DeliveryStatus(q.Status) {
	case "", StatusPending, StatusDelivered, StatusFailed:
	default:
		return out, errs.Invalid("status", "must be pending, delivered or failed, got %q", q.Status)
	}
	conn, err := s.db.DB()
	if err != nil {
		return out, err
	}
	base := func() *gorm.DB {
		tx := conn.Model(&model.NotifyDelivery{})
		if q.WebhookID != 0 { // EmailTarget (-1), TelegramTarget (-2): those channels
			tx = tx.Where("notify_deliveries.webhook_id = ?", q.WebhookID)
		}
		if q.Status != "" {
			tx = tx.Where("notify_deliveries.status = ?", q.Status)
		}
		return tx
	}
	if err := base().Count(&out.Total).Error; err != nil {
		return out, err
	}
	err = base().Select("notify_deliveries.*, notify_events.kind AS kind").
		Joins("LEFT JOIN notify_events ON notify_events.seq = notify_deliveries.event_seq").
		Order("notify_deliveries.id DESC").Offset(offset).Limit(limit).Scan(&out.Items).Error
	return out, err
}

// EventQuery filters the event list.
type EventQuery struct {
	Kind   string
	Offset int
	Limit  int
}

// Events is a page of the event stream, newest first.
func (s *Webhooks) Events(q EventQuery) (Page[Event], error) {
	out := Page[Event]{Items: []Event{}}
	offset, limit, err := pageBounds(q.Offset, q.Limit)
	if err != nil {
		return out, err
	}
	conn, err := s.db.DB()
	if err != nil {
		return out, err
	}
	tx := conn.Model(&model.NotifyEvent{})
	if q.Kind != "" {
		tx = tx.Where("kind = ?", q.Kind)
	}
	if err := tx.Count(&out.Total).Error; err != nil {
		return out, err
	}
	var rows []model.NotifyEvent
	if err := tx.Order("seq DESC").Offset(offset).Limit(limit).Find(&rows).Error; err != nil {
		return out, err
	}
	for _, r := range rows {
		out.Items = append(out.Items, eventOf(r))
	}
	return out, nil
}

// SendTest posts a test event to webhook id now, whether or not it is
// enabled or subscribed, and logs it as a delivery: one attempt, no
// retry, so the admin sees at once what the receiver answered.
func (s *Webhooks) SendTest(ctx context.Context, id int) (Delivery, error) {
	if err := s.node.RequireMaster(); err != nil {
		return Delivery{}, err
	}
	hook, err := s.get(id)
	if err != nil {
		return Delivery{}, err
	}
	conn, err := s.db.DB()
	if err != nil {
		return Delivery{}, err
	}
	now := s.now()
	ev := Event{ID: newID(), Kind: Test, Time: time.UnixMilli(now.UnixMilli()).UTC(), NodeID: s.node.Config().NodeID,
		Payload: json.RawMessage(fmt.Sprintf(`{"webhookId":%d,"message":"test event from the panel"}`, id))}
	if ev.NodeID == "" {
		ev.NodeID = "local"
	}
	var row model.NotifyDelivery
	err = conn.Transaction(func(tx *gorm.DB) error {
		evRow := model.NotifyEvent{EventID: ev.ID, Kind: string(ev.Kind), At: ev.Time.UnixMilli(), NodeID: ev.NodeID,
			Payload: string(ev.Payload), Queued: true}
		if err := tx.Create(&evRow).Error; err != nil {
			return err
		}
		row = model.NotifyDelivery{EventSeq: evRow.Seq, EventID: ev.ID, WebhookID: id, Status: string(StatusPending),
			Attempts: 1, NextAttemptAt: now.Add(time.Hour).UnixMilli(), CreatedAt: now.UnixMilli()}
		return tx.Create(&row).Error
	})
	if err != nil {
		return Delivery{}, err
	}
	body, _ := json.Marshal(ev)
	res := s.sender.Post(ctx, hook.URL, hook.Secret, ev.ID, Test, body)
	row.LastStatus, row.LastError, row.NextAttemptAt = res.Status, res.Err, 0
	row.Status = string(StatusFailed)
	if res.Delivered() {
		row.Status, row.DeliveredAt = string(StatusDelivered), s.now().UnixMilli()
	}
	err = conn.Model(&model.NotifyDelivery{}).Where("id = ?", row.Id).Updates(map[string]any{
		"status": row.Status, "last_status": row.LastStatus, "last_error": row.LastError,
		"next_attempt_at": 0, "delivered_at": row.DeliveredAt}).Error
	return Delivery{NotifyDelivery: row, Kind: string(Test)}, err
}
