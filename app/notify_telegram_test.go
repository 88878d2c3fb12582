package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/inbound/inboundtest"
	"github.com/mhsanaei/3x-ui/v2/notify"
	"github.com/mhsanaei/3x-ui/v2/notify/smtptest"
	"github.com/mhsanaei/3x-ui/v2/notify/telegram/botapitest"
	"github.com/mhsanaei/3x-ui/v2/xray"
)

// runBot runs env's bot until the test ends, enables it against srv with
// the admin chat tgAdmin, and waits (bounded) until it answers, so the
// alerts that follow find it running.
func runBot(t *testing.T, env *testEnv, c *client, srv *botapitest.Server) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- env.app.Telegram.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	c.api("POST", "setting/update", map[string]any{"tgBotEnable": true, "tgBotToken": tgToken,
		"tgBotChatId": itoa(int(tgAdmin)), "tgBotAPIServer": srv.URL}).expectOK()
	skip := len(srv.Calls())
	srv.Message(tgAdmin, "/id")
	srv.WaitCall(t, skip, func(c botapitest.Call) bool { return c.Method == "sendMessage" && c.ChatID == tgAdmin })
}

// tgAlerts are the alert messages the bot sent (an alert ends with the
// event id line; command answers never carry one).
func tgAlerts(srv *botapitest.Server) []botapitest.Call {
	var out []botapitest.Call
	for _, c := range srv.Calls() {
		// The test admins' own logins from a new address are alerts too
		// (login.succeeded, TestPanelRecordsNewLoginClientAndBackupEvents);
		// these tests count the others.
		if c.Method == "sendMessage" && strings.Contains(c.Text, "Event id:") && !strings.Contains(c.Text, "login.succeeded") {
			out = append(out, c)
		}
	}
	return out
}

// One failed login, one client depleted by the traffic rules and one
// Xray crash each reach all three targets exactly once: a Telegram message to the admin
// chat, an email and a signed webhook, delivered by the master's outbox;
// tgBotLoginNotify=false then silences the login alert on Telegram only.
func TestTelegramAlertsBesideEmailAndWebhook(t *testing.T) {
	t.Parallel() // own database, App, SMTP and Bot API servers
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		mail := smtptest.Start(t, smtptest.Options{Mode: "no"})
		bot := botapitest.Start(t, tgToken)
		recv := newHookReceiver(t, hookSecret)
		env := newEnvWith(t, b, Options{Notify: notify.DispatcherOptions{Timeout: 5 * time.Second}})
		c := env.loggedIn()
		runBot(t, env, c, bot)
		c.api("POST", "notify/webhooks/add", map[string]any{"url": recv.srv.URL, "secret": hookSecret,
			"events": []string{"login.failed", "client.depleted", "xray.crashed"}}).expectOK()
		c.api("POST", "setting/update", map[string]any{"smtpEnable": true, "smtpHost": "127.0.0.1", "smtpPort": mail.Port,
			"smtpEncryptionType": "no", "smtpFrom": "panel@example.org", "smtpTo": "admin@example.net",
			"smtpEnabledEvents": "login.failed,client.depleted,xray.crashed"}).expectOK()
		deliver := func() {
			t.Helper()
			for range 3 { // more passes send nothing more
				if err := env.app.notify.dispatcher.RunOnce(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
		}
		counts := func(wantTG, wantMail, wantHook int) []botapitest.Call {
			t.Helper()
			alerts, mails := tgAlerts(bot), mail.Messages(t)
			hooks, bad := recv.events()
			if len(alerts) != wantTG || len(mails) != wantMail || len(hooks) != wantHook || bad != 0 {
				t.Fatalf("%d Telegram alerts, %d mails, %d webhooks (%d bad): want %d, %d, %d",
					len(alerts), len(mails), len(hooks), bad, wantTG, wantMail, wantHook)
			}
			return alerts
		}

		stranger := env.client()
		stranger.remote = "198.51.100.21:5000"
		stranger.do("POST", "login", map[string]string{"username": "admin", "password": "Wrong-Guess-3"}).
			expectFail(401, "wrong username or password")
		deliver()
		alerts := counts(1, 1, 1)
		events := c.api("GET", "notify/events?kind=login.failed", nil).expectOK().obj()["items"].([]any)
		id := events[0].(map[string]any)["id"].(string)
		if a := alerts[0]; a.ChatID != tgAdmin || !strings.Contains(a.Text, "login.failed") ||
			!strings.Contains(a.Text, "198.51.100.21") || !strings.Contains(a.Text, id) || strings.Contains(a.Text, "Wrong-Guess") {
			t.Fatalf("alert to %d: %q: want the admin chat, the kind, the address and event id %s, never the password", a.ChatID, a.Text, id)
		}

		// The traffic rules disable an over-quota client: client.depleted.
		cl := inboundtest.Client(model.VLESS, "spent@x")
		cl["totalGB"] = 1 << 20
		if _, err := env.app.Inbounds.AddInbound(inboundtest.Inbound(model.VLESS, hostPort(28011), cl)); err != nil {
			t.Fatal(err)
		}
		if err := env.db.Current().Model(&xray.ClientTraffic{}).Where("email = ?", "spent@x").
			Updates(map[string]any{"up": 1 << 20, "down": 1}).Error; err != nil {
			t.Fatal(err)
		}
		if _, err := env.app.flush.ReconcileOnce(); err != nil {
			t.Fatal(err)
		}
		deliver()
		alerts = counts(2, 2, 2)
		if a := alerts[1]; a.ChatID != tgAdmin || !strings.Contains(a.Text, "client.depleted") || !strings.Contains(a.Text, "spent@x") {
			t.Fatalf("alert to %d: %q: want client.depleted for spent@x in the admin chat", a.ChatID, a.Text)
		}

		// An Xray crash, recorded through the app's recorder as the health
		// job records it (app/job: a killed Xray is tested there).
		env.app.Events().Emit(notify.XrayCrashed, map[string]any{"reason": "signal: killed", "restarts": 1,
			"restartedBy": "health check"})
		deliver()
		alerts = counts(3, 3, 3)
		if a := alerts[2]; a.ChatID != tgAdmin || !strings.Contains(a.Text, "xray.crashed") || !strings.Contains(a.Text, "signal: killed") {
			t.Fatalf("alert to %d: %q: want xray.crashed with its reason in the admin chat", a.ChatID, a.Text)
		}

		// tgBotLoginNotify=false: the next failed login is mailed and
		// posted, but not sent to Telegram.
		c.api("POST", "setting/update", map[string]any{"tgBotLoginNotify": false}).expectOK()
		stranger.do("POST", "login", map[string]string{"username": "admin", "password": "Wrong-Guess-4"}).
			expectFail(401, "wrong username or password")
		deliver()
		counts(3, 4, 4)
		tgLog := c.api("GET", "notify/deliveries?webhookId=telegram", nil).expectOK().obj()
		if tgLog["total"].(float64) != 4 { // and the admin's login from a new address
			t.Fatalf("telegram delivery log %v: want the three alerts and the admin's login.succeeded", tgLog)
		}
		for _, it := range tgLog["items"].([]any) {
			if row := it.(map[string]any); row["status"] != "delivered" || row["attempts"].(float64) != 1 {
				t.Fatalf("telegram delivery %v: want delivered at the first attempt", row)
			}
		}
	})
}

// A worker records its failed login but sends no Telegram message (it
// runs neither bot nor dispatcher); the master's bot sends the one alert.
func TestWorkerRecordsAndOnlyTheMasterSendsTelegram(t *testing.T) {
	t.Parallel()
	master, worker := masterAndWorker(t)
	if worker.app.Telegram != nil || worker.app.notify.dispatcher != nil {
		t.Fatal("a worker app built a bot or a dispatcher")
	}
	bot := botapitest.Start(t, tgToken)
	runBot(t, master, master.loggedIn(), bot)

	worker.client().do("POST", "login", map[string]string{"username": "admin", "password": "nope-nope"}).
		expectFail(401, "wrong")
	if got := tgAlerts(bot); len(got) != 0 {
		t.Fatalf("Telegram got %d alerts before the master ran", len(got))
	}
	for range 2 {
		if err := master.app.notify.dispatcher.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	got := tgAlerts(bot)
	if len(got) != 1 || got[0].ChatID != tgAdmin || !strings.Contains(got[0].Text, "login.failed") || !strings.Contains(got[0].Text, "w1") {
		t.Fatalf("Telegram alerts %+v: want the worker's login.failed once, sent by the master", got)
	}
}
