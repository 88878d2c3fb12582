package app

import (
	"context"
	"time"

	"github.com/mhsanaei/3x-ui/v2/notify"
	"github.com/mhsanaei/3x-ui/v2/notify/telegram"
	"github.com/mhsanaei/3x-ui/v2/util/lifecycle"
)

// notifyParts are the notification parts: every node records events in
// the shared database; only the master delivers them (webhooks, email and Telegram,
// from one outbox) and watches the other nodes' heartbeats, once per
// event for the whole cluster.
type notifyParts struct {
	events     *notify.Recorder
	webhooks   *notify.Webhooks
	email      *notify.EmailTester // the "send test" button (master-only)
	telegram   *telegram.Tester    // the bot's "send test message" button (master-only)
	dispatcher *notify.Dispatcher  // nil on a worker
	nodeWatch  *notify.NodeWatch   // a shared master's only
	alerts     *notify.NodeAlerts  // every node: host thresholds, database outages
	flushWatch *notify.FlushWatch  // every node: a traffic flush that keeps failing
}

// buildNotify makes them from the node's role, read once at start.
func (a *App) buildNotify(opts notify.DispatcherOptions) {
	cfg := a.Node.Config()
	a.notify.webhooks = notify.NewWebhooks(a.DB, a.Node)
	a.notify.email = notify.NewEmailTester(a.DB, a.Node, opts.Timeout, opts.EmailRoots)
	a.notify.telegram = telegram.NewTester(a.DB, a.Node, opts.Timeout)
	defer func() { // every node's, once either branch below made the recorder
		a.notify.alerts = notify.NewNodeAlerts(a.DB, a.notify.events, 0)
		a.notify.flushWatch = notify.NewFlushWatch(a.DB, a.notify.events)
	}()
	if a.Node.IsWorker() {
		a.notify.events = notify.NewRecorder(a.DB, cfg.NodeID)
		return
	}
	if opts.Telegram == nil {
		// The bot is built after the notify parts; it is read only when
		// the dispatcher runs, after App is complete.
		opts.Telegram = notify.TelegramFunc(func(ctx context.Context, text string) error {
			if a.Telegram == nil {
				return telegram.ErrOff
			}
			return a.Telegram.Notify(ctx, text)
		})
	}
	a.notify.dispatcher = notify.NewDispatcher(a.DB, a.Node, opts)
	a.notify.events = notify.NewRecorderWaking(a.DB, cfg.NodeID, a.notify.dispatcher.Wake)
	if a.Node.Shared() {
		syncEvery := time.Duration(cfg.SyncIntervalSeconds) * time.Second
		a.notify.nodeWatch = notify.NewNodeWatch(a.DB, a.notify.events, syncEvery)
	}
}

// Events is the node's event recorder.
func (a *App) Events() *notify.Recorder { return a.notify.events }

// startNotify runs the master's delivery and node watch, and every
// node's alerts, in g.
func startNotify(g *lifecycle.Group, a *App) {
	g.Go("node alerts", a.notify.alerts.Run)
	if a.notify.dispatcher != nil {
		g.Go("notify dispatcher", a.notify.dispatcher.Run)
	}
	if a.notify.nodeWatch != nil {
		g.Go("node watch", a.notify.nodeWatch.Run)
	}
}
