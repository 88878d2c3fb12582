package telegram

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/mhsanaei/3x-ui/v2/audit"
	"github.com/mhsanaei/3x-ui/v2/inbound"
	"github.com/mhsanaei/3x-ui/v2/iplimit"
	"github.com/mhsanaei/3x-ui/v2/ops"
	"github.com/mhsanaei/3x-ui/v2/settings"
	"github.com/robfig/cron/v3"
)

// Xray is the part of xrayrun.Runner the bot drives.
type Xray interface {
	RestartXray(force bool) error
	GetOnlineClients() []string
}

// Deps are the parts the bot reads and drives, handed over by the app.
type Deps struct {
	Settings *settings.Store
	Inbounds *inbound.Store
	Status   *ops.Status
	Backups  *ops.Backups
	Xray     Xray // nil: /restart and online lists say Xray is not running
	// IPLimit reads and clears a client's recorded IPs (nil: the IP log
	// buttons say there is none).
	IPLimit *iplimit.Limiter
	// Links are a client's share links (vless://, vmess://, ...) by
	// email; nil sends none.
	Links func(email string) []string
	// Audit records what admins do through the bot (nil: nothing).
	Audit *audit.Log
	// SubLink is a client's subscription URL by subId ("" when the
	// subscription server is off); nil shows none.
	SubLink func(subID string) string
	// BackupSent, when set, is told of each backup sent to an admin chat
	// (the app records backup.done): the file name, where it was made and
	// the chat id.
	BackupSent func(file, path, chat string)
	// HTTP is the client for the Bot API (nil: one honouring tgBotProxy).
	HTTP *http.Client
	// PollTimeout is getUpdates' long-poll wait (default 30 s).
	PollTimeout time.Duration
	// MaxBackoff caps the wait between failed polls (default 1 min).
	MaxBackoff time.Duration
	// Recheck is how often Run rereads the settings unasked (default 1 min).
	Recheck time.Duration
}

// config is the bot's settings as read at the start of one session.
type config struct {
	enabled     bool
	token       string
	server      string
	proxy       string
	admins      map[int64]bool
	lang        string
	backup      bool
	schedule    cron.Schedule
	rawSchedule string
}

// Bot is the panel's Telegram bot. Run it under the app's loop group on
// the master only, so one bot answers for the cluster.
type Bot struct {
	d      Deps
	reload chan struct{}

	host string

	mu      sync.Mutex
	offset  int64    // the next update id, kept across sessions of one token
	token   string   // the token offset belongs to
	current *session // the running session; nil while the bot is off
	// drafts are the add-client conversations by chat, kept across
	// sessions so a settings write does not drop one half-way.
	drafts map[int64]*draft
	// awaiting is the typed answer each admin chat owes (input.go).
	awaiting map[int64]string
	// long is callback data over the Bot API's 64 bytes by its short key.
	long map[string]string
}

// ErrOff is Notify's answer while the bot is disabled or not configured.
var ErrOff = errors.New("telegram bot is off")

// Notify sends text (HTML) to every admin chat of the running bot: the
// way alerts reach Telegram. It returns the first failure, after trying
// every chat.
func (b *Bot) Notify(ctx context.Context, text string) error {
	b.mu.Lock()
	s := b.current
	b.mu.Unlock()
	if s == nil {
		return ErrOff
	}
	var first error
	for id := range s.cfg.admins {
		if _, err := s.api.sendMessage(ctx, id, text, nil); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// New is a bot over d; it does nothing until Run.
func New(d Deps) *Bot {
	if d.PollTimeout <= 0 {
		d.PollTimeout = 30 * time.Second
	}
	if d.MaxBackoff <= 0 {
		d.MaxBackoff = time.Minute
	}
	if d.Recheck <= 0 {
		d.Recheck = time.Minute
	}
	host, _ := os.Hostname()
	return &Bot{d: d, reload: make(chan struct{}, 1), host: host, drafts: map[int64]*draft{}, long: map[string]string{}, awaiting: map[int64]string{}}
}

// Reload makes Run reread the settings now (a settings write calls it);
// it never blocks.
func (b *Bot) Reload() {
	select {
	case b.reload <- struct{}{}:
	default:
	}
}

func (b *Bot) loadConfig() (*config, error) {
	s := b.d.Settings
	all, err := s.GetAllSettings()
	if err != nil {
		return nil, err
	}
	c := &config{
		enabled: all["tgBotEnable"] == true,
		backup:  all["tgBotBackup"] == true,
		admins:  map[int64]bool{},
	}
	c.token, _ = all["tgBotToken"].(string)
	c.server, _ = all["tgBotAPIServer"].(string)
	c.proxy, _ = all["tgBotProxy"].(string)
	c.lang, _ = all["tgLang"].(string)
	c.rawSchedule, _ = all["tgRunTime"].(string)
	chats, _ := all["tgBotChatId"].(string)
	ids, err := settings.ParseTgChatIDs(chats)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		c.admins[id] = true
	}
	if c.rawSchedule != "" {
		if c.schedule, err = settings.ParseTgRunTime(c.rawSchedule); err != nil {
			return nil, fmt.Errorf("tgRunTime: %w", err)
		}
	}
	return c, nil
}

// Run serves the bot until ctx ends: while tgBotEnable is on it
// long-polls, retrying with backoff after errors. It rereads the settings
// on each Reload (a settings write here) and every Recheck (a write it was
// not told of: the CLI, a restored backup), and starts a new session
// when they changed.
func (b *Bot) Run(ctx context.Context) error {
	var running string // the running configuration's key; "" before the first load
	stop := func() {}
	defer func() { stop() }()
	tick := time.NewTicker(b.d.Recheck)
	defer tick.Stop()
	for {
		cfg, err := b.loadConfig()
		if err != nil {
			slog.Warn("telegram bot: settings", "err", err)
		} else if cfg.key() != running {
			stop()
			stop, running = func() {}, cfg.key()
			if cfg.enabled && cfg.token != "" {
				stop = b.start(ctx, cfg)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-b.reload:
		case <-tick.C:
		}
	}
}

// start runs a session with cfg; the returned func ends it and waits.
func (b *Bot) start(ctx context.Context, cfg *config) func() {
	sessionCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		b.session(sessionCtx, ctx, cfg)
	}()
	return func() {
		cancel()
		<-done
	}
}

// key tells two configurations apart.
func (c *config) key() string {
	ids := make([]int64, 0, len(c.admins))
	for id := range c.admins {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return fmt.Sprint(c.enabled, c.token, c.server, c.proxy, c.lang, c.backup, c.rawSchedule, ids)
}

// session is one bot configuration's lifetime: poll, answer, and run the
// scheduled report until ctx ends. An update taken is answered under
// runCtx (Run's): a settings restart waits for the answer rather than
// dropping it, and only the panel's shutdown cuts it short.
func (b *Bot) session(ctx, runCtx context.Context, cfg *config) {
	api, err := newAPI(cfg.server, cfg.token, cfg.proxy, b.d.HTTP)
	if err != nil {
		slog.Warn("telegram bot", "err", err)
		<-ctx.Done()
		return
	}
	s := &session{bot: b, api: api, cfg: cfg}
	// getMe names the bot in the log; a failure is only logged, since the
	// poll below retries the same server with backoff.
	if me, err := api.getMe(ctx); err != nil {
		slog.Warn("telegram bot: getMe", "err", err)
	} else {
		s.username = me.Username
		slog.Info("telegram bot: connected", "bot", me.Username)
	}
	api.prepare(ctx, cfg.lang)
	// The schedule ends with the session, which waits for it: nothing of
	// the bot outlives Run.
	var wg sync.WaitGroup
	defer wg.Wait()
	if cfg.schedule != nil {
		wg.Go(func() { s.scheduled(ctx) })
	}
	b.mu.Lock()
	if b.token != cfg.token {
		b.token, b.offset = cfg.token, 0
	}
	offset := b.offset
	b.current = s
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		b.current = nil
		b.mu.Unlock()
	}()
	// The poll is the bot's own loop over the library's getUpdates rather
	// than telego's UpdatesViaLongPolling: that one retries at a fixed
	// interval and confirms updates into a buffer before they are handled,
	// so a session restarted mid-batch would lose them.
	first := min(time.Second, b.d.MaxBackoff)
	backoff := first
	for ctx.Err() == nil {
		ups, err := api.getUpdates(ctx, offset, int(b.d.PollTimeout/time.Second))
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			wait := backoff
			if ra := retryAfter(err); ra > 0 {
				wait = time.Duration(ra) * time.Second
			}
			slog.Warn("telegram bot: poll failed, retrying", "err", err, "in", wait)
			if !sleep(ctx, wait) {
				return
			}
			backoff = min(backoff*2, b.d.MaxBackoff)
			continue
		}
		backoff = first
		for _, u := range ups {
			if ctx.Err() != nil {
				return // the rest go to the next session
			}
			offset = max(offset, int64(u.UpdateID)+1)
			// Kept before handling: a session restarted mid-batch neither
			// answers this update twice nor loses the rest (Telegram
			// redelivers unconfirmed ones).
			b.mu.Lock()
			b.offset = offset
			b.mu.Unlock()
			s.handle(runCtx, &u)
		}
	}
}

// sleep waits d or until ctx ends; false when ctx ended.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// scheduled sends the tgRunTime report (report) at each time it names.
func (s *session) scheduled(ctx context.Context) {
	for {
		next := s.cfg.schedule.Next(time.Now())
		if next.IsZero() || !sleep(ctx, time.Until(next)) {
			return
		}
		s.report(ctx)
	}
}

// report sends the scheduled report now, as v3.6 does: to every admin
// chat the server status and the clients about to run out (and the
// backup when tgBotBackup is on); to each chat bound by tgId its own
// clients that ran out or are about to.
func (s *session) report(ctx context.Context) {
	for id := range s.cfg.admins {
		s.send(ctx, id, tr(s.cfg.lang, "report")+"\n\n"+s.statusText(), nil)
		s.sendDeplete(ctx, id)
		if s.cfg.backup {
			s.sendBackup(ctx, id)
		}
	}
	s.notifyBound(ctx)
}
