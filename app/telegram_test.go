package app

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"strings"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/database/testdb"
	"github.com/mhsanaei/3x-ui/v2/inbound"
	"github.com/mhsanaei/3x-ui/v2/inbound/inboundtest"
	"github.com/mhsanaei/3x-ui/v2/notify/telegram/botapitest"
	"github.com/mhsanaei/3x-ui/v2/ops"
	"github.com/mhsanaei/3x-ui/v2/settings"
)

const (
	tgToken   = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ"
	tgAdmin   = int64(111)
	tgClient  = int64(777)
	tgStrange = int64(999)
)

// TestTelegramBot drives the app's bot through a Bot API server of the
// test's own, set as tgBotAPIServer through the settings API: admin
// commands and menu actions, a stranger refused, a client seeing only
// its own usage, a backup that restores, and bad settings refused.
func TestTelegramBot(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		env := newEnv(t, b)
		// Xray's API on a free port: another test or x-ui may hold 62789,
		// and /restart below starts the real Xray.
		tpl := strings.Replace(settings.DefaultXrayTemplate, "62789", fmt.Sprint(freePort(t)), 1)
		if err := env.app.Settings.SetXrayConfigTemplate(tpl); err != nil {
			t.Fatal(err)
		}
		admin := env.loggedIn()
		srv := botapitest.Start(t, tgToken)

		for _, bad := range []struct {
			key   string
			value any
		}{
			{"tgBotToken", "12345:short"},
			{"tgBotChatId", "111,abc"},
			{"tgBotAPIServer", "ftp://" + strings.TrimPrefix(srv.URL, "http://")},
			{"tgRunTime", "sometimes"},
		} {
			admin.api("POST", "setting/update", map[string]any{bad.key: bad.value}).expectFail(400, bad.key)
		}

		owned := inboundtest.Client(model.VLESS, "mine@x")
		owned["tgId"] = tgClient
		owned["totalGB"] = 10 << 30
		other := inboundtest.Client(model.VLESS, "other@x")
		in := inboundtest.Inbound(model.VLESS, hostPort(28001), owned, other)
		in.Remark = "tg-inbound"
		added, err := env.app.Inbounds.AddInbound(in)
		if err != nil {
			t.Fatal(err)
		}

		// The bot runs disabled first: enabling it through the settings API
		// starts it (the fan-out's reload), pointed at the test's server.
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- env.app.Telegram.Run(ctx) }()
		t.Cleanup(func() {
			cancel()
			<-done
			_ = env.app.Xray.StopXray()
		})
		admin.api("POST", "setting/update", map[string]any{
			"tgBotEnable": true, "tgBotToken": tgToken, "tgBotChatId": "111",
			"tgBotAPIServer": srv.URL,
		}).expectOK()

		ask := func(user int64, text string) botapitest.Call {
			t.Helper()
			skip := len(srv.Calls())
			srv.Message(user, text)
			return srv.WaitCall(t, skip, func(c botapitest.Call) bool { return c.Method == "sendMessage" && c.ChatID == user })
		}
		press := func(user int64, data, method string) botapitest.Call {
			t.Helper()
			skip := len(srv.Calls())
			id := srv.Press(user, 42, data)
			// The bot answers the press last: then all it did is done.
			srv.WaitCall(t, skip, func(c botapitest.Call) bool { return c.Method == "answerCallbackQuery" && c.CallbackID == id })
			return srv.WaitCall(t, skip, func(c botapitest.Call) bool {
				return c.Method == method && (c.ChatID == user || c.CallbackID == id)
			})
		}
		want := func(c botapitest.Call, subs ...string) {
			t.Helper()
			for _, s := range subs {
				if !strings.Contains(c.Text+string(c.Markup), s) {
					t.Errorf("%s to %d: %q lacks %q", c.Method, c.ChatID, c.Text+string(c.Markup), s)
				}
			}
		}

		// Admin commands.
		want(ask(tgAdmin, "/start"), "Hello", "get_backup", "deplete_soon", "onlines", "inbounds", "get_usage", "commands", `"restart"`)
		want(ask(tgAdmin, "/help"), "/status", "/usage", "/inbound", "/restart")
		want(ask(tgAdmin, "/status"), "Xray:", "CPU:", "Memory:", "Uptime:", "Online clients: 0")
		want(ask(tgAdmin, "/usage mine@x"), "mine@x", "Up:", "10.00 GiB", "Expires: never")
		want(ask(tgAdmin, "/usage nobody@x"), "No client with email nobody@x")
		want(ask(tgAdmin, "/inbound"), "tg-inbound", "clients: 2")
		want(ask(tgAdmin, "/id@test_bot"), "111")
		// In a group, a command for another bot gets no answer (updates
		// are handled in order, so the /id answer comes after it).
		before := len(srv.Calls())
		srv.Message(tgAdmin, "/status@other_bot")
		want(ask(tgAdmin, "/id"), "111")
		for _, c := range srv.Calls()[before:] {
			if strings.Contains(c.Text, "CPU:") {
				t.Errorf("the bot answered another bot's command: %q", c.Text)
			}
		}
		want(ask(tgAdmin, "/restart"), "Restart Xray?", "restart_c", "restart_cancel")
		want(press(tgAdmin, "restart_c", "editMessageText"), "Xray restarted")
		if !env.app.Xray.IsXrayRunning() {
			t.Error("confirmed /restart left Xray stopped")
		}
		// The restart is in the audit log as the admin chat's.
		var restarts []model.AuditLog
		env.db.Current().Where("action = ?", "xray.restart").Find(&restarts)
		if len(restarts) != 1 || restarts[0].ActorKind != "bot" || restarts[0].ActorName != "bot:"+itoa(int(tgAdmin)) {
			t.Errorf("audit rows of the bot's restart: %+v", restarts)
		}
		want(press(tgAdmin, "restart_cancel", "editMessageText"), "Cancelled")

		// Admin menu actions.
		want(press(tgAdmin, "get_usage", "sendMessage"), "Xray:", "CPU:")
		want(press(tgAdmin, "commands", "sendMessage"), "/status", "/restart")
		want(press(tgAdmin, "inbounds", "sendMessage"), "tg-inbound")
		want(press(tgAdmin, "onlines", "sendMessage"), "Online (")
		want(press(tgAdmin, "deplete_soon", "sendMessage"), "No client is about to run out")
		backup := press(tgAdmin, "get_backup", "sendDocument")
		if !strings.HasPrefix(backup.FileName, "x-ui-backup-") || len(backup.File) == 0 {
			t.Fatalf("backup document: %q, %d bytes", backup.FileName, len(backup.File))
		}
		restored := testdb.Handle(t, dbtest.New(t, b.Name))
		if err := ops.NewBackups(restored, nil).ImportBackup(bytes.NewReader(backup.File)); err != nil {
			t.Fatalf("the backup the bot sent does not restore: %v", err)
		}
		var emails []string
		if err := restored.Current().Model(&model.ClientTraffic{}).Order("email").Pluck("email", &emails).Error; err != nil {
			t.Fatal(err)
		}
		if strings.Join(emails, ",") != "mine@x,other@x" {
			t.Errorf("restored clients: %v", emails)
		}

		// A stranger gets a refusal and nothing else; /id is for anyone.
		want(ask(tgStrange, "/status"), "not allowed")
		want(press(tgStrange, "get_backup", "sendMessage"), "not allowed")
		want(ask(tgStrange, "/id"), "999")
		for _, c := range srv.Calls() {
			if c.ChatID == tgStrange && (c.Method == "sendDocument" || strings.Contains(c.Text, "Xray") || strings.Contains(c.Text, "@x")) {
				t.Errorf("a stranger got %s %q", c.Method, c.Text)
			}
		}

		// A client bound by tgId sees its own usage and link only.
		admin.api("POST", "setting/update", map[string]any{"subEnable": true, "subDomain": "sub.example.com", "subPort": 2096}).expectOK()
		for _, text := range []string{"/usage", "/usage other@x"} {
			c := ask(tgClient, text)
			want(c, "mine@x", "10.00 GiB", "Subscription: http://sub.example.com:2096/sub/s-mine@x")
			if strings.Contains(c.Text, "other@x") {
				t.Errorf("client chat saw another client: %q", c.Text)
			}
		}
		want(ask(tgClient, "/status"), "Unknown command")
		press(tgClient, "get_backup", "answerCallbackQuery") // an admin button: ignored
		// backup.done once, for the one backup sent (to the admin's chat).
		if got := env.eventsOf("backup.done"); len(got) != 1 || got[0]["via"] != "telegram" || got[0]["to"] != itoa(int(tgAdmin)) {
			t.Errorf("backup.done events %v: want one, sent by Telegram to %d", got, tgAdmin)
		}
		want(press(tgClient, "client_traffic", "sendMessage"), "mine@x")
		want(press(tgClient, "client_commands", "sendMessage"), "/usage")
		want(ask(tgClient, "/start"), "client_traffic", "client_qr", "client_commands")
		photo := press(tgClient, "client_qr", "sendPhoto")
		if photo.Text != "mine@x" {
			t.Errorf("QR caption %q, want the client's email", photo.Text)
		}
		if _, err := png.Decode(bytes.NewReader(photo.File)); err != nil {
			t.Errorf("the QR code is not a PNG: %v", err)
		}
		// Share links come from the subscription's own renderer, at
		// subDomain: the client's own only; an admin gets any client's.
		own := press(tgClient, "client_individual_links", "sendMessage")
		want(own, "vless://"+owned["id"].(string)+"@sub.example.com:"+fmt.Sprint(added.Port))
		want(press(tgAdmin, "client_individual_links other@x", "sendMessage"), "vless://"+other["id"].(string)+"@sub.example.com:"+fmt.Sprint(added.Port))
		for _, c := range srv.Calls() {
			if c.ChatID == tgClient && (c.Method == "sendDocument" || strings.Contains(c.Text, "other@x") || strings.Contains(c.Text, other["id"].(string))) {
				t.Errorf("a client chat got %s %q", c.Method, c.Text)
			}
		}

		// A write from the admin's client card goes through the app's
		// store (fan-out and all): the quota is in the database.
		want(ask(tgAdmin, "/usage other@x"), "limit_traffic other@x")
		press(tgAdmin, "limit_traffic_c other@x 20", "answerCallbackQuery")
		if row, err := env.app.Inbounds.GetClientTrafficByEmail("other@x"); err != nil || row.Total != 20<<30 {
			t.Errorf("after limit_traffic_c 20: %+v %v", row, err)
		}
		// The add-client conversation with the defaults adds a client.
		press(tgAdmin, "add_client", "sendMessage")
		want(press(tgAdmin, fmt.Sprintf("add_client_to %d", added.Id), "sendMessage"), "New client")
		want(press(tgAdmin, "add_client_submit_enable", "sendMessage"), "Inbound: tg-inbound")
		if n := len(mustClients(t, env, added.Id)); n != 3 {
			t.Errorf("after the bot's add: %d clients, want 3", n)
		}
		// Both writes are in the audit log as the admin chat's, once each.
		for _, route := range []string{"limit_traffic_c", "add_client_submit_enable"} {
			var rows []model.AuditLog
			env.db.Current().Where("route = ?", route).Find(&rows)
			if len(rows) != 1 || rows[0].ActorKind != "bot" || rows[0].ActorName != "bot:"+itoa(int(tgAdmin)) {
				t.Errorf("audit rows of the bot's %s: %+v", route, rows)
			}
		}

		// setting/all shows the token masked; posting the mask back (as the
		// settings form does) keeps the token: the bot still answers.
		all := admin.api("POST", "setting/all", nil).expectOK().obj()
		masked, _ := all["tgBotToken"].(string)
		if masked != "123456789:"+strings.Repeat("*", 35) {
			t.Fatalf("setting/all tgBotToken = %q, want it masked", masked)
		}
		// tgLang switches the bot to Simplified Chinese.
		admin.api("POST", "setting/update", map[string]any{"tgLang": "zh-CN", "tgBotToken": masked}).expectOK()
		// The switch is asynchronous (the fan-out only wakes the bot): a
		// message racing it may get the old language, so ask again.
		for attempt := 0; ; attempt++ {
			c := ask(tgAdmin, "/id")
			if strings.Contains(c.Text, "你的 ID") && strings.Contains(c.Text, "111") {
				break
			}
			if attempt == 200 {
				t.Fatalf("tgLang zh-CN never applied: %q", c.Text)
			}
		}
	})
}

// mustClients are the clients stored in inbound id's settings.
func mustClients(t *testing.T, env *testEnv, id int) []inbound.Client {
	t.Helper()
	in, err := env.app.Inbounds.GetInbound(id)
	if err != nil {
		t.Fatal(err)
	}
	clients, err := inbound.ParseInboundClients(in.Settings)
	if err != nil {
		t.Fatal(err)
	}
	return clients
}
