package app

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/mhsanaei/3x-ui/v2/audit"
	"github.com/mhsanaei/3x-ui/v2/cluster"

	"github.com/mhsanaei/3x-ui/v2/auth"
	"github.com/mhsanaei/3x-ui/v2/cluster/nodepush"
	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/database/sharedwrite"
	"github.com/mhsanaei/3x-ui/v2/inbound"
	"github.com/mhsanaei/3x-ui/v2/iplimit"
	"github.com/mhsanaei/3x-ui/v2/logging"
	"github.com/mhsanaei/3x-ui/v2/notify"
	"github.com/mhsanaei/3x-ui/v2/notify/telegram"
	"github.com/mhsanaei/3x-ui/v2/ops"
	"github.com/mhsanaei/3x-ui/v2/settings"
	"github.com/mhsanaei/3x-ui/v2/web"
	"github.com/mhsanaei/3x-ui/v2/web/controller"
	"github.com/mhsanaei/3x-ui/v2/web/middleware"
	"github.com/mhsanaei/3x-ui/v2/web/service"
	"github.com/mhsanaei/3x-ui/v2/web/session"
	"github.com/mhsanaei/3x-ui/v2/xray"
	"github.com/mhsanaei/3x-ui/v2/xrayrun"
)

// Login rate limit: this many failures per address and username (or per
// trusted device) per window; see middleware.LoginLimiter.Reserve.
const (
	loginMaxFailures = 5
	loginWindow      = 15 * time.Minute
)

// Other secret checks behind a session (old password, two-factor codes):
// this many wrong ones per session per window.
const (
	secretMaxFailures = 5
	secretWindow      = 15 * time.Minute
)

// App is the panel's wired services and security parts; Handler serves
// them. Tests build an App directly and drive Handler with httptest.
type App struct {
	Cfg config.PanelConfig
	// DB is the panel's database and Node its role, both fixed at start
	// and handed to every service below.
	DB       *database.Handle
	Node     *cluster.Node
	Settings *settings.Store
	Users    *auth.Users
	Inbounds *inbound.Store
	Xray     *xrayrun.Runner
	IPLimit  *iplimit.Limiter
	Status   *ops.Status
	Backup   *ops.Backups
	Tokens   *auth.Tokens
	TwoFA    *auth.TwoFactor
	Audit    *audit.Log // the audit log's pages, pruning and action rows
	Template *xrayrun.XrayTemplateChecker
	Limiter  *middleware.LoginLimiter
	Secrets  *middleware.LoginLimiter
	// passwords caps concurrent bcrypt checks of this panel (login, old
	// password): a flood cannot take every CPU.
	passwords *middleware.PasswordSlots
	// Telegram is the bot (notify/telegram), nil on a worker; Start runs it.
	Telegram *telegram.Bot

	ui       fs.FS
	panelLog *logging.Ring
	bodyRate middleware.BodyRate

	push     pushSlot // the worker's wake-up route (push.go)
	fanout   *sharedwrite.Fanout
	journal  *service.TrafficPendingStore // drained counters until flushed
	sync     *service.NodeSyncService     // a worker's snapshot; every node's heartbeat
	flush    *service.TrafficFlushService // journal -> database through the ledger
	pusher   *nodepush.Pusher             // a shared master's push to workers; nil elsewhere
	notify   notifyParts                  // events, webhooks, the master's delivery
	metrics  metricsParts                 // Prometheus metrics (metrics.go)
	subs     subsSlot                     // the subscription server, once Start made it
	mu       sync.Mutex
	sessions *session.Manager
	restart  func()
}

// Options are the paths and flags that do not come from x-ui.json.
type Options struct {
	XrayBinary     string // default: <bin folder>/xray-<os>-<arch>
	XrayConfigPath string // default: <bin folder>/config.json
	Secure         bool   // panel served over TLS: cookies get Secure
	UI             fs.FS  // the built web UI; nil serves the fallback pages
	// DetachXray lets Xray outlive the panel (the real server sets it;
	// tests that build an App keep Xray tied to the test process).
	DetachXray bool
	// PanelLog holds the panel's recent log lines (nil: the Logs page's
	// panel tab stays empty).
	PanelLog *logging.Ring
	// BodyRate bounds slow request bodies; zero means
	// middleware.DefaultBodyRate (tests shorten the grace).
	BodyRate middleware.BodyRate
	// DB is the database every service uses (required: main hands over
	// the one it opened).
	DB *database.Handle
	// Node is this node's role, fixed at start (required).
	Node *cluster.Node
	// Panel is this node's panel section as stored in x-ui.json: the
	// settings page shows it, a settings save updates it, port checks
	// compare with it and a panel restart serves it. nil: a section
	// holding cfg, for an App whose x-ui.json says what it runs with.
	Panel *config.PanelSection
	// TrafficJournal is the file drained counters wait in until flushed;
	// default: config.GetTrafficPendingPath().
	TrafficJournal string
	// ChangeSteps run after the built-in steps of the change fan-out, in
	// this order, after every committed shared write (what an integration
	// adds; tests observe the fan-out with one).
	ChangeSteps []sharedwrite.Step
	// Notify is the webhook retry policy (zero: the documented defaults;
	// tests shorten it).
	Notify notify.DispatcherOptions
	// MetricsCache keeps the last metrics settings read ("" keeps none;
	// Server.Start puts it in the database folder).
	MetricsCache string
}

// XrayBinaryPath is the Xray binary in XUI_BIN_FOLDER (3x-ui's naming).
func XrayBinaryPath() string {
	return filepath.Join(config.GetBinFolderPath(), fmt.Sprintf("xray-%s-%s", runtime.GOOS, runtime.GOARCH))
}

// New wires the services. It generates and stores the node's session
// secret on first start. The database must be open.
func New(cfg config.PanelConfig, opts Options) (*App, error) {
	if opts.XrayBinary == "" {
		opts.XrayBinary = XrayBinaryPath()
	}
	if opts.XrayConfigPath == "" {
		opts.XrayConfigPath = filepath.Join(config.GetBinFolderPath(), "config.json")
	}
	db, node := opts.DB, opts.Node
	if db == nil || node == nil {
		return nil, errors.New("new app: Options.DB and Options.Node are required (the database main opened and this node's role)")
	}
	panel := opts.Panel
	if panel == nil {
		panel = config.NewPanelSection(cfg)
	}
	secret, err := ensureSecret(cfg.Secret)
	if err != nil {
		return nil, err
	}
	cfg.Secret = secret
	// A secret made here is in x-ui.json now: a panel restart keeps it.
	_ = panel.Update(func(cur config.PanelConfig) (config.PanelConfig, error) {
		if cur.Secret == "" {
			cur.Secret = secret
		}
		return cur, nil
	})
	revocations := auth.NewSessionRevocations(db, node)
	sessions, err := newSessions(cfg, opts.Secure, revocations)
	if err != nil {
		return nil, err
	}
	a := &App{
		Cfg:       cfg,
		DB:        db,
		Node:      node,
		Users:     auth.NewUsers(db, node),
		Tokens:    auth.NewTokens(db, node),
		TwoFA:     auth.NewTwoFactor(db, node),
		Audit:     audit.NewLog(db, node),
		Limiter:   middleware.NewLoginLimiter(loginMaxFailures, loginWindow),
		Secrets:   middleware.NewLoginLimiter(secretMaxFailures, secretWindow),
		passwords: middleware.NewPasswordSlots(middleware.DefaultPasswordSlots),
		sessions:  sessions,
		ui:        opts.UI,
		panelLog:  opts.PanelLog,
		bodyRate:  opts.BodyRate,
	}
	if a.bodyRate == (middleware.BodyRate{}) {
		a.bodyRate = middleware.DefaultBodyRate
	}
	a.buildMetrics(opts.MetricsCache)
	proc := xray.NewProcess(xray.ProcessOptions{
		BinaryPath: opts.XrayBinary, ConfigPath: opts.XrayConfigPath, Supervise: true, Detach: opts.DetachXray,
	})
	if node.Shared() && node.IsMaster() {
		syncEvery := time.Duration(node.Config().SyncIntervalSeconds) * time.Second
		a.pusher = nodepush.NewPusherObserved(leaseTTL(syncEvery), a.metrics.m.ObservePush)
	}
	// One fan-out for every shared write, built before the stores that
	// announce to it; its Xray step reaches a.Xray, made right after them.
	a.fanout = a.newFanout(opts.ChangeSteps)
	a.buildNotify(opts.Notify)
	a.Settings = settings.NewNotifying(db, node, a.fanout, panel)
	a.Inbounds = inbound.NewNotifying(db, node, a.fanout, panel)
	a.Inbounds.SetClientEvents(a.notify.events.ClientsWritten)
	a.Backup = ops.NewBackupsNotifying(db, node, a.fanout)
	a.buildNodeParts(proc, opts.TrafficJournal)
	a.Status = ops.NewStatus(a.Xray, db, node)
	a.Inbounds.Precheck = &inbound.XrayPrecheck{Binary: opts.XrayBinary, Running: a.Xray.RunningConfig}
	a.Backup.Precheck = a.Inbounds.Precheck
	a.Template = &xrayrun.XrayTemplateChecker{Binary: opts.XrayBinary, Inbounds: a.Inbounds, DB: db,
		PanelPort: cfg.Port, LogFolder: config.GetLogFolder(), Running: a.Xray.RunningConfig}
	a.buildTelegram()
	return a, nil
}

// buildNodeParts makes Xray and the parts it is wired to, each handed
// its dependencies once: drained counters go to the journal, which the
// flush writes through the ledger; a worker's Xray config, email lookup
// and IP limits come from its snapshot (the sync), a master's from the
// database, and a master's reconciliation goes through the fan-out. The
// sync reaches a.Xray (made last) only when it runs.
func (a *App) buildNodeParts(proc *xray.Process, journalPath string) {
	nodeCfg := a.Node.Config()
	worker := nodeCfg.Role == config.NodeRoleWorker
	if journalPath == "" {
		journalPath = config.GetTrafficPendingPath()
	}
	a.journal = service.NewTrafficPendingStore(journalPath)
	a.sync = service.NewNodeSyncServiceWith(service.NodeSyncDeps{
		DB: a.DB, Node: nodeCfg, CachePath: config.GetSharedCachePath(),
		Settings: a.Settings, Inbounds: a.Inbounds,
		Apply:    func(s *service.SharedAccountsSnapshot) error { return a.Xray.ApplySharedSnapshot(s) },
		Verify:   func(s *service.SharedAccountsSnapshot) error { return a.Xray.VerifySnapshot(s) },
		Describe: a.describeNode,
		Observed: a.metrics.m.ObserveSync,
	})
	flushDeps := service.FlushDeps{OnReconciled: a.reconciled, ClientsDisabled: a.notify.events.ClientsDisabled,
		RulesPass: a.notify.events.ClientWarnings, Flushed: a.notify.flushWatch.Flushed, Observed: a.metrics.m.ObserveFlush}
	xrayDeps := xrayrun.XrayDeps{}
	var limits func() (map[string]int, error)
	if worker {
		flushDeps = service.FlushDeps{ResolveInbound: a.sync.InboundForEmail, Flushed: a.notify.flushWatch.Flushed, Observed: a.metrics.m.ObserveFlush}
		xrayDeps.ConfigSource = a.sync.CurrentConfig
		limits = a.sync.CurrentLimits
	}
	a.flush = service.NewTrafficFlushServiceOn(a.DB, a.journal, a.Node, flushDeps)
	xrayDeps.Sink = a.trafficSink
	a.Xray = xrayrun.NewRunnerWith(a.Settings, a.Inbounds, proc, xrayDeps)
	a.IPLimit = iplimit.NewFrom(a.Xray, a.Settings, a.DB, limits)
}

// reconciled runs after the master's flush disabled or renewed clients:
// a change like any write, through the same fan-out (push, Xray apply);
// the fan-out logs a failure.
func (a *App) reconciled() { _ = a.fanout.Changed(sharedwrite.Change{}) }

// describeNode fills this node's runtime facts into its status row.
func (a *App) describeNode(state *model.NodeState) {
	state.XrayState, _ = a.Xray.GetXrayState()
	state.ConfigHash = a.Xray.ConfigHash()
	pending, _, dropped := a.journal.Stats()
	state.PendingDeltas, state.DroppedDeltas = int64(pending), dropped
	if o := a.Xray.LastApply(); !o.Applied && state.LastError == "" {
		state.LastError = "xray apply: " + o.Reason
	}
	state.PendingBytes = a.journal.PendingBytes()
	state.PanelVersion, state.XrayVersion = config.GetVersion(), a.Xray.GetXrayVersion()
	if nodeCfg := a.Node.Config(); nodeCfg.Role == config.NodeRoleWorker {
		state.PushURL = pushURL(nodeCfg, a.Cfg)
	}
}

// newFanout is what every committed shared write triggers, in this order:
// the push that wakes live workers (a shared master only; it runs in the
// background, so workers start their sync while the master applies), the
// node's own Xray apply, whose result is the write's outcome, then the
// subscription server re-reading its settings (settings writes only),
// then the extra steps.
func (a *App) newFanout(extra []sharedwrite.Step) *sharedwrite.Fanout {
	var push func(sharedwrite.Change) error
	if a.pusher != nil {
		push = func(sharedwrite.Change) error {
			a.pusher.Kick()
			return nil
		}
	}
	steps := []sharedwrite.Step{
		{Name: "push to workers", Run: push},
		{Name: "xray apply", Outcome: true, Run: a.applyChange},
		{Name: "subscription settings", Run: a.subs.changed},
		{Name: "telegram bot settings", Run: a.telegramChanged},
		{Name: "metrics settings", Run: a.metricsChanged},
	}
	return sharedwrite.NewFanout(a.timedSteps(append(steps, extra...))...)
}

// applyChange applies a committed change to this node's Xray: client by
// client for a client-only write, the whole config otherwise.
func (a *App) applyChange(ch sharedwrite.Change) error {
	if ch.Clients != nil {
		return a.Xray.ApplyClientChanges(ch.Clients)
	}
	return a.Xray.ApplyFromDatabase()
}

// ensureSecret returns the configured secret, or creates and stores one.
func ensureSecret(secret string) (string, error) {
	if secret != "" {
		return secret, nil
	}
	secret = session.NewSecret()
	if err := config.WriteSettingToJSON("secret", secret); err != nil {
		return "", fmt.Errorf("store the new session secret in %s: %w", config.GetSettingPath(), err)
	}
	return secret, nil
}

func newSessions(cfg config.PanelConfig, secure bool, revocations *auth.SessionRevocations) (*session.Manager, error) {
	maxAge := cfg.SessionMaxAge
	if maxAge <= 0 {
		return nil, fmt.Errorf("sessionMaxAge: must be a positive number of minutes, got %d", maxAge)
	}
	m, err := session.NewManager(cfg.Secret, time.Duration(maxAge)*time.Minute, config.NormalizeBasePath(cfg.BasePath), secure)
	if err != nil {
		return nil, fmt.Errorf("panelSecurity: %w", err)
	}
	m.Store = revocations
	return m, nil
}

// Sessions is the current session manager (replaced by Reconfigure).
func (a *App) Sessions() *session.Manager {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.sessions
}

// Reconfigure applies new panel settings before the next Handler call.
func (a *App) Reconfigure(cfg config.PanelConfig, secure bool) error {
	secret, err := ensureSecret(cfg.Secret)
	if err != nil {
		return err
	}
	cfg.Secret = secret
	sessions, err := newSessions(cfg, secure, auth.NewSessionRevocations(a.DB, a.Node))
	if err != nil {
		return err
	}
	a.mu.Lock()
	a.Cfg, a.sessions = cfg, sessions
	a.mu.Unlock()
	return nil
}

// checkSessionUser confirms the user behind a session still exists with
// the same username and password.
func (a *App) checkSessionUser(userID int, cred string) bool {
	conn := a.DB.Current()
	if conn == nil {
		return false
	}
	var user model.User
	if err := conn.Select("id", "username", "password", "session_epoch").First(&user, userID).Error; err != nil {
		return false
	}
	return controller.SessionCred(&user) == cred
}

// Handler is the panel's HTTP handler for the current settings.
func (a *App) Handler() http.Handler {
	a.mu.Lock()
	cfg, sessions := a.Cfg, a.sessions
	a.mu.Unlock()
	return web.Handler(web.Routes{
		Panel:    cfg,
		BodyRate: a.bodyRate,
		Push:     &a.push,
		Metrics:  a.metrics.srv.PanelHandler(a.metrics.m.Exposition()),
		Observe:  a.metrics.m.ObserveHTTP,
		Deps: controller.Deps{
			Sessions:  sessions,
			Limiter:   a.Limiter,
			Secrets:   a.Secrets,
			Passwords: a.passwords,
			Auth:      &middleware.Authenticator{Sessions: sessions, Tokens: a.Tokens, CheckUser: a.checkSessionUser, Users: a.Users, SessionCred: controller.SessionCred},
			Users:     a.Users,
			Settings:  a.Settings,
			Inbounds:  a.Inbounds,
			Xray:      a.Xray,
			IPLimit:   a.IPLimit,
			Status:    a.Status,
			Backup:    a.Backup,
			Tokens:    a.Tokens,
			TwoFA:     a.TwoFA,
			Node:      a.Node,
			Template:  a.Template,
			Events:    a.notify.events,
			Webhooks:  a.notify.webhooks,
			Email:     a.notify.email,
			Telegram:  a.notify.telegram,
			Audit:     a.Audit,
			SubLinks:  a.subLinks,
			UI:        a.ui,
			PanelLog:  a.panelLog,
			RestartPanel: func() {
				if a.restart != nil {
					a.restart()
				}
			},
		},
	})
}
