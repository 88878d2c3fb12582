package notify

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mhsanaei/3x-ui/v2/cluster"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// DeliveryStatus is where one outbox row stands.
type DeliveryStatus string

// A pending delivery is retried until it is delivered (a 2xx came back)
// or its retry window closed (failed).
const (
	StatusPending   DeliveryStatus = "pending"
	StatusDelivered DeliveryStatus = "delivered"
	StatusFailed    DeliveryStatus = "failed"
)

// Retry policy defaults (docs/notifications.md): the wait doubles from
// 5 s up to 10 min, for 24 h after the event was queued.
// The outbox is looked at every 10 s and at once when this node records
// an event outside a transaction (Wake): an idle master costs the shared
// database a few statements per poll whether or not anything is set up.
const (
	DefaultPoll       = 10 * time.Second
	DefaultBackoff    = 5 * time.Second
	DefaultMaxBackoff = 10 * time.Minute
	DefaultRetryFor   = 24 * time.Hour
	DefaultKeep       = 30 * 24 * time.Hour
	// pruneEvery spaces the log clean-ups: they are not urgent.
	pruneEvery = time.Hour
	// queueBatch bounds the events queued and posts made per webhook in
	// one pass, so a backlog is worked off in steps that each commit.
	queueBatch = 100
)

// DispatcherOptions are the knobs of the retry policy; zero values take
// the defaults (tests shorten them).
type DispatcherOptions struct {
	Poll       time.Duration // how often the outbox is looked at
	Backoff    time.Duration // wait after the first failed attempt
	MaxBackoff time.Duration // cap of the doubling wait
	RetryFor   time.Duration // a delivery older than this fails for good
	Timeout    time.Duration // one post's bound (DefaultTimeout)
	// Keep is how long finished deliveries and their events stay in the
	// log (DefaultKeep); pending ones stay until they finish.
	Keep time.Duration
	// EmailRoots, when not nil, are the CAs an SMTP server's certificate
	// must chain to instead of the system's (tests).
	EmailRoots *x509.CertPool
	// Telegram sends the Telegram target's alerts (the app's bot); nil
	// leaves that target's rows pending.
	Telegram TelegramSender
}

// Dispatcher is the master's delivery loop: it queues new events as one
// delivery per interested webhook and posts each webhook's deliveries in
// event order. Only a master runs it; any number of nodes record.
type Dispatcher struct {
	db     *database.Handle
	node   *cluster.Node
	opts   DispatcherOptions
	sender *Sender
	mailer *Mailer
	now    func() time.Time
	pruned atomic.Int64 // unix ms of the last clean-up
	wake   chan struct{}
}

// NewDispatcher delivers from db when node is the master.
func NewDispatcher(db *database.Handle, node *cluster.Node, opts DispatcherOptions) *Dispatcher {
	if opts.Poll <= 0 {
		opts.Poll = DefaultPoll
	}
	if opts.Backoff <= 0 {
		opts.Backoff = DefaultBackoff
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = DefaultMaxBackoff
	}
	if opts.RetryFor <= 0 {
		opts.RetryFor = DefaultRetryFor
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Keep <= 0 {
		opts.Keep = DefaultKeep
	}
	return &Dispatcher{db: db, node: node, opts: opts, sender: NewSender(opts.Timeout),
		mailer: NewMailer(opts.Timeout, opts.EmailRoots), now: time.Now, wake: make(chan struct{}, 1)}
}

// Wake makes a running dispatcher look at the outbox now rather than at
// its next poll; it never blocks.
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends. On a worker it only waits: the master
// delivers for the whole cluster, once per event.
func (d *Dispatcher) Run(ctx context.Context) error {
	if d.node.IsWorker() {
		<-ctx.Done()
		return nil
	}
	t := time.NewTicker(d.opts.Poll)
	defer t.Stop()
	for {
		if err := d.RunOnce(ctx); err != nil && ctx.Err() == nil {
			log.Printf("notify: %v", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-d.wake:
		}
	}
}

// RunOnce queues new events and posts every delivery that is due.
// A worker's does nothing.
func (d *Dispatcher) RunOnce(ctx context.Context) error {
	if d.node.IsWorker() {
		return nil
	}
	conn, err := d.db.Reconnect()
	if err != nil {
		return err
	}
	for {
		n, err := d.queue(ctx, conn)
		if err != nil {
			return fmt.Errorf("queue events: %w", err)
		}
		if n < queueBatch {
			break
		}
	}
	if err := d.prune(ctx, conn); err != nil {
		return fmt.Errorf("prune the delivery log: %w", err)
	}
	targets, err := d.targets(ctx, conn)
	if err != nil {
		return err
	}
	// One goroutine per target: a receiver that hangs until the timeout
	// holds only its own queue.
	errs := make([]error, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := d.drain(ctx, conn, t); err != nil {
				errs[i] = fmt.Errorf("%s: %w", t.name, err)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// queue turns up to queueBatch unqueued events into deliveries, in one
// transaction with marking them queued: an event is queued exactly once
// even if a second dispatcher (a lease takeover) runs at the same time,
// as the unique (event, webhook) key refuses a second row.
func (d *Dispatcher) queue(ctx context.Context, conn *gorm.DB) (int, error) {
	var n int
	err := conn.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var events []model.NotifyEvent
		if err := tx.Where("queued = ?", false).Order("seq").Limit(queueBatch).Find(&events).Error; err != nil {
			return err
		}
		n = len(events)
		if n == 0 {
			return nil
		}
		var hooks []model.NotifyWebhook
		if err := tx.Where("enabled = ?", true).Find(&hooks).Error; err != nil {
			return err
		}
		email, err := LoadEmailConfig(tx)
		if err != nil {
			return err
		}
		tg, err := LoadTelegramConfig(tx)
		if err != nil {
			return err
		}
		now := d.now().UnixMilli()
		var rows []model.NotifyDelivery
		seqs := make([]int64, 0, n)
		for _, ev := range events {
			seqs = append(seqs, ev.Seq)
			if Kind(ev.Kind) == Test {
				continue // a test goes only where its button was pressed
			}
			for _, h := range hooks {
				if wants(h.Events, Kind(ev.Kind)) {
					rows = append(rows, model.NotifyDelivery{EventSeq: ev.Seq, EventID: ev.EventID, WebhookID: h.Id,
						Status: string(StatusPending), CreatedAt: now})
				}
			}
			// One email per event, to the whole recipient list.
			if email.active() && email.wants(Kind(ev.Kind)) {
				rows = append(rows, model.NotifyDelivery{EventSeq: ev.Seq, EventID: ev.EventID, WebhookID: EmailTarget,
					Status: string(StatusPending), CreatedAt: now})
			}
			// One message per event, to every admin chat of the bot.
			if tg.active() && tg.wants(Kind(ev.Kind)) {
				rows = append(rows, model.NotifyDelivery{EventSeq: ev.Seq, EventID: ev.EventID, WebhookID: TelegramTarget,
					Status: string(StatusPending), CreatedAt: now})
			}
		}
		if len(rows) > 0 {
			if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&rows).Error; err != nil {
				return err
			}
		}
		return tx.Model(&model.NotifyEvent{}).Where("seq IN ?", seqs).Update("queued", true).Error
	})
	return n, err
}

// drain posts the webhook's due deliveries in event order and stops at
// the first one that is not delivered: a later event never overtakes an
// earlier one to the same receiver.
func (d *Dispatcher) drain(ctx context.Context, conn *gorm.DB, t target) error {
	for range queueBatch {
		if ctx.Err() != nil {
			return nil
		}
		var head model.NotifyDelivery
		err := conn.WithContext(ctx).Where("webhook_id = ? AND status = ?", t.id, StatusPending).
			Order("event_seq, id").Limit(1).Find(&head).Error
		if err != nil || head.Id == 0 || head.NextAttemptAt > d.now().UnixMilli() {
			return err
		}
		delivered, err := d.attempt(ctx, conn, t, head)
		if err != nil || !delivered {
			return err
		}
	}
	return nil
}

// attempt claims one delivery, posts it and stores the outcome. The claim
// is a conditional update in its own transaction: of two dispatchers only
// one wins it, and it moves next_attempt_at past the post's timeout, so
// a dispatcher that dies mid-post leaves the row to be sent again (with
// the same event id) rather than lost.
func (d *Dispatcher) attempt(ctx context.Context, conn *gorm.DB, t target, row model.NotifyDelivery) (bool, error) {
	now := d.now()
	claimUntil := now.Add(2 * d.opts.Timeout).UnixMilli()
	var ev model.NotifyEvent
	claimed := false
	err := conn.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&model.NotifyDelivery{}).
			Where("id = ? AND status = ? AND next_attempt_at = ?", row.Id, StatusPending, row.NextAttemptAt).
			Updates(map[string]any{"attempts": gorm.Expr("attempts + 1"), "next_attempt_at": claimUntil})
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		claimed = true
		return tx.Where("seq = ?", row.EventSeq).First(&ev).Error
	})
	if err != nil || !claimed {
		return false, err
	}
	// A send once started is finished (its timeout bounds it) and its
	// outcome stored, even when the loop is being stopped: a graceful
	// stop then never sends an acknowledged event again.
	res := t.send(context.WithoutCancel(ctx), eventOf(ev))
	return res.Delivered(), d.settle(conn, row, row.Attempts+1, res)
}

// settle stores a post's outcome on its claimed row: delivered, or the
// next attempt after the backoff, or failed once the retry window closed.
func (d *Dispatcher) settle(conn *gorm.DB, row model.NotifyDelivery, attempts int, res Result) error {
	now := d.now()
	set := map[string]any{"last_status": res.Status, "last_error": res.Err}
	switch {
	case res.Delivered():
		set["status"], set["delivered_at"], set["next_attempt_at"] = StatusDelivered, now.UnixMilli(), 0
	case now.Sub(time.UnixMilli(row.CreatedAt)) >= d.opts.RetryFor:
		set["status"], set["next_attempt_at"] = StatusFailed, 0
	default:
		set["next_attempt_at"] = now.Add(d.backoff(attempts)).UnixMilli()
	}
	// A fresh context: the outcome of a post that was made must be stored
	// even when the loop is being stopped.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return conn.WithContext(ctx).Model(&model.NotifyDelivery{}).
		Where("id = ? AND status = ?", row.Id, StatusPending).Updates(set).Error
}

// backoff is the wait after the n-th failed attempt: Backoff doubled per
// attempt, at most MaxBackoff.
func (d *Dispatcher) backoff(n int) time.Duration {
	wait := d.opts.Backoff
	for i := 1; i < n && wait < d.opts.MaxBackoff; i++ {
		wait *= 2
	}
	return min(wait, d.opts.MaxBackoff)
}

// prune drops, at most once per pruneEvery, finished deliveries older
// than Keep and the queued events older than Keep that no pending
// delivery still needs, so the tables do not grow without bound.
func (d *Dispatcher) prune(ctx context.Context, conn *gorm.DB) error {
	now := d.now()
	if last := d.pruned.Load(); last != 0 && now.Sub(time.UnixMilli(last)) < pruneEvery {
		return nil
	}
	cutoff := now.Add(-d.opts.Keep).UnixMilli()
	tx := conn.WithContext(ctx)
	if err := tx.Where("status <> ? AND created_at < ?", StatusPending, cutoff).Delete(&model.NotifyDelivery{}).Error; err != nil {
		return err
	}
	pending := tx.Model(&model.NotifyDelivery{}).Select("event_seq").Where("status = ?", StatusPending)
	err := tx.Where("queued = ? AND at < ? AND seq NOT IN (?)", true, cutoff, pending).Delete(&model.NotifyEvent{}).Error
	if err == nil {
		d.pruned.Store(now.UnixMilli())
	}
	return err
}

// target is one ordered queue of the outbox: a webhook, the email
// channel (EmailTarget) or the Telegram bot (TelegramTarget).
type target struct {
	id   int
	name string
	send func(ctx context.Context, ev Event) Result
}

// targets are the queues to work this pass: every enabled webhook, email
// when it is enabled and complete, and Telegram when the bot is enabled
// and configured. A disabled one keeps its pending rows for when it is
// enabled again.
func (d *Dispatcher) targets(ctx context.Context, conn *gorm.DB) ([]target, error) {
	var hooks []model.NotifyWebhook
	if err := conn.WithContext(ctx).Where("enabled = ?", true).Order("id").Find(&hooks).Error; err != nil {
		return nil, err
	}
	out := make([]target, 0, len(hooks)+2)
	for _, h := range hooks {
		out = append(out, target{id: h.Id, name: fmt.Sprintf("webhook %d", h.Id), send: func(ctx context.Context, ev Event) Result {
			body, err := json.Marshal(ev)
			if err != nil {
				return Result{Err: "encode: " + err.Error()}
			}
			return d.sender.Post(ctx, h.URL, h.Secret, ev.ID, ev.Kind, body)
		}})
	}
	email, err := LoadEmailConfig(conn.WithContext(ctx))
	if err != nil {
		return nil, err
	}
	if email.active() {
		out = append(out, target{id: EmailTarget, name: "email", send: func(ctx context.Context, ev Event) Result {
			status, err := d.mailer.Send(ctx, email, ev)
			if err != nil {
				return Result{Status: status, Err: clip(err.Error())}
			}
			return Result{Status: status}
		}})
	}
	tg, err := LoadTelegramConfig(conn.WithContext(ctx))
	if err != nil {
		return nil, err
	}
	if tg.active() && d.opts.Telegram != nil {
		out = append(out, target{id: TelegramTarget, name: "telegram", send: func(ctx context.Context, ev Event) Result {
			// The bot's own API calls have their timeouts; this bounds the
			// whole send to every admin chat like a webhook post.
			ctx, cancel := context.WithTimeout(ctx, d.opts.Timeout)
			defer cancel()
			// A bot still starting (ErrOff) is a failed attempt, retried
			// with the backoff like any other.
			if err := d.opts.Telegram.Notify(ctx, TelegramText(tg.Lang, ev)); err != nil {
				return Result{Err: clip(err.Error())}
			}
			return Result{Status: 200}
		}})
	}
	return out, nil
}
