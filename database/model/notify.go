package model

// NotifyEvent is one event of the notification stream (package notify).
// Any node inserts; only the master reads them out into deliveries.
type NotifyEvent struct {
	// Seq orders the stream: deliveries to one webhook go out in Seq order.
	Seq     int64  `json:"seq" gorm:"primaryKey;autoIncrement"`
	EventID string `json:"id" gorm:"column:event_id;size:32;not null;uniqueIndex"`
	Kind    string `json:"kind" gorm:"size:64;not null;index"`
	At      int64  `json:"at" gorm:"not null"` // unix milliseconds
	NodeID  string `json:"nodeId" gorm:"size:191;not null;default:''"`
	Payload string `json:"payload" gorm:"type:text"`
	// Queued is set once the master turned the event into deliveries; the
	// flag (not a Seq cursor) finds events whose transaction committed
	// after a later Seq's, which an auto-increment cursor would skip.
	Queued bool `json:"queued" gorm:"not null;default:false;index"`
}

// TableName keeps the table name.
func (NotifyEvent) TableName() string { return "notify_events" }

// NotifyWebhook is one webhook endpoint and the event kinds it wants.
type NotifyWebhook struct {
	Id     int    `json:"id" gorm:"primaryKey;autoIncrement"`
	URL    string `json:"url" gorm:"column:url;size:2048;not null"`
	Secret string `json:"-" gorm:"size:128;not null"`
	// Events is a comma-separated list of kinds; "*" means every kind.
	Events    string `json:"-" gorm:"size:1024;not null;default:'*'"`
	Enabled   bool   `json:"enabled" gorm:"not null;default:true"`
	CreatedAt int64  `json:"created" gorm:"not null"` // unix milliseconds
}

// TableName keeps the table name.
func (NotifyWebhook) TableName() string { return "notify_webhooks" }

// NotifyDelivery is one event owed to one webhook: the durable outbox.
type NotifyDelivery struct {
	Id        int64  `json:"id" gorm:"primaryKey;autoIncrement"`
	EventSeq  int64  `json:"eventSeq" gorm:"not null;index"`
	EventID   string `json:"eventId" gorm:"column:event_id;size:32;not null;uniqueIndex:idx_notify_delivery_once,priority:1"`
	WebhookID int    `json:"webhookId" gorm:"column:webhook_id;not null;uniqueIndex:idx_notify_delivery_once,priority:2;index:idx_notify_delivery_queue,priority:1"`
	// Status is pending, delivered or failed (notify.DeliveryStatus).
	Status   string `json:"status" gorm:"size:16;not null;index:idx_notify_delivery_queue,priority:2"`
	Attempts int    `json:"attempts" gorm:"not null;default:0"`
	// NextAttemptAt (unix ms) is when a pending delivery may be posted; a
	// claim moves it past the post's timeout, so a dispatcher that dies
	// mid-post leaves it to be sent again, never lost.
	NextAttemptAt int64  `json:"nextAttemptAt" gorm:"not null;default:0"`
	LastError     string `json:"lastError" gorm:"type:text"`
	LastStatus    int    `json:"lastStatus" gorm:"not null;default:0"`
	DeliveredAt   int64  `json:"deliveredAt" gorm:"not null;default:0"`
	CreatedAt     int64  `json:"createdAt" gorm:"not null"`
}

// TableName keeps the table name.
func (NotifyDelivery) TableName() string { return "notify_deliveries" }

// NotifyMark remembers that the master reported a condition (a client at
// 80 % of its quota, a worker lagging), so it is reported once per
// crossing for the whole cluster and across restarts and lease
// takeovers: the event is recorded only by the insert that created the
// mark, and the mark goes when the condition ends. Only the master writes.
type NotifyMark struct {
	Id      int64  `json:"id" gorm:"primaryKey;autoIncrement"`
	Scope   string `json:"scope" gorm:"size:16;not null;uniqueIndex:idx_notify_mark,priority:1"`
	Subject string `json:"subject" gorm:"size:191;not null;uniqueIndex:idx_notify_mark,priority:2"`
	Mark    string `json:"mark" gorm:"size:64;not null;uniqueIndex:idx_notify_mark,priority:3"`
	// Expires (unix ms, 0 = never) is when the mark may be dropped (an
	// expiry warning once its expiry passed).
	Expires int64 `json:"expires" gorm:"not null;default:0"`
	At      int64 `json:"at" gorm:"not null"` // unix milliseconds
}

// TableName keeps the notify_ prefix.
func (NotifyMark) TableName() string { return "notify_marks" }

// NotifyLoginIP is one address a panel user logged in from, so a login
// from a new one is reported once (login.succeeded). Any node writes
// (the one that served the login); notify keeps at most a bounded
// number of rows per user, dropping the least recently seen.
type NotifyLoginIP struct {
	Id       int64  `json:"id" gorm:"primaryKey;autoIncrement"`
	Username string `json:"username" gorm:"size:191;not null;uniqueIndex:idx_notify_login_ip,priority:1"`
	IP       string `json:"ip" gorm:"column:ip;size:64;not null;uniqueIndex:idx_notify_login_ip,priority:2"`
	LastSeen int64  `json:"lastSeen" gorm:"not null"` // unix milliseconds
}

// TableName keeps the notify_ prefix.
func (NotifyLoginIP) TableName() string { return "notify_login_ips" }
