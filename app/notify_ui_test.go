package app

import (
	"github.com/mhsanaei/3x-ui/v2/notify"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/inbound/inboundtest"
	"github.com/mhsanaei/3x-ui/v2/notify/telegram/botapitest"
	"github.com/mhsanaei/3x-ui/v2/settings"
)

// The notifications page's two small routes: kinds lists every kind with
// where it can go (as the dispatcher decides), and telegram/test sends a
// test message with the stored or the posted tg* settings, answering 400
// naming the setting to fix and storing nothing.
func TestNotifyKindsAndTelegramTestRoute(t *testing.T) {
	t.Parallel() // own database, App and Bot API server
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		env := newEnv(t, b)
		c := env.loggedIn()

		kinds := map[string]map[string]any{}
		for _, k := range c.api("GET", "notify/kinds", nil).expectOK().Msg.Obj.([]any) {
			m := k.(map[string]any)
			kinds[m["kind"].(string)] = m
		}
		for kind, want := range map[string][3]any{
			"login.failed":    {true, true, "tgBotLoginNotify"},
			"client.depleted": {true, true, nil},
			"xray.recovered":  {true, true, nil},
			"test":            {false, false, nil},
			// An admin's own client writes and backups are not Telegram
			// alerts; they can be mailed.
			"client.added":   {true, false, nil},
			"backup.done":    {true, false, nil},
			"host.disk_high": {true, true, nil},
		} {
			if got := kinds[kind]; got == nil || got["email"] != want[0] || got["telegram"] != want[1] || got["telegramAlso"] != want[2] {
				t.Errorf("kinds[%s] = %v, want email %v telegram %v also %v", kind, got, want[0], want[1], want[2])
			}
		}
		if len(kinds) != len(notify.Kinds()) {
			t.Errorf("kinds lists %d kinds, want every one of %d: %v", len(kinds), len(notify.Kinds()), kinds)
		}

		srv := botapitest.Start(t, tgToken)
		down := httptest.NewServer(http.NotFoundHandler())
		down.Close()
		before := env.dbState(t)
		for _, bad := range []struct {
			body  map[string]any
			field string
		}{
			{nil, "tgBotToken"}, // nothing configured yet
			{map[string]any{"tgBotToken": "12345:short", "tgBotChatId": "111"}, "tgBotToken"},
			{map[string]any{"tgBotToken": tgToken}, "tgBotChatId"},
			{map[string]any{"tgBotToken": tgToken, "tgBotChatId": "111,abc"}, "tgBotChatId"},
			{map[string]any{"tgBotToken": tgToken, "tgBotChatId": "111", "tgBotAPIServer": "ftp://x"}, "tgBotAPIServer"},
			{map[string]any{"tgBotToken": tgToken, "tgBotChatId": "111", "tgBotAPIServer": down.URL}, "tgBotAPIServer"},
			// A token of the right form that the server does not know: 401.
			{map[string]any{"tgBotToken": "987654321:" + strings.Repeat("x", 35), "tgBotChatId": "111", "tgBotAPIServer": srv.URL}, "tgBotToken"},
			{map[string]any{"tgBotToken": tgToken, "tgBotChatId": "111", "tgBotAPIServer": srv.URL, "smtpHost": "x"}, "smtpHost"},
		} {
			c.api("POST", "notify/telegram/test", bad.body).expectFail(http.StatusBadRequest, bad.field)
		}
		if len(srv.Calls()) != 0 {
			t.Fatalf("refused tests reached the Bot API: %+v", srv.Calls())
		}

		// The form's unsaved values: the message goes out, nothing is stored.
		res := c.api("POST", "notify/telegram/test", map[string]any{"tgBotToken": tgToken, "tgBotChatId": "111, 222",
			"tgBotAPIServer": srv.URL, "tgBotEnable": false}).expectOK().obj()
		if res["bot"] != "test_bot" || len(res["chats"].([]any)) != 2 {
			t.Fatalf("test answered %v: want the bot's name and both chats", res)
		}
		for _, chat := range []int64{111, 222} {
			srv.WaitCall(t, 0, func(call botapitest.Call) bool {
				return call.Method == "sendMessage" && call.ChatID == chat && strings.Contains(call.Text, "Test message")
			})
		}
		if env.dbState(t) != before {
			t.Fatal("a telegram test changed the database")
		}

		// Stored settings, the bot still off; the form posts the masked
		// token back and the stored one is used, in the stored language.
		c.api("POST", "setting/update", map[string]any{"tgBotToken": tgToken, "tgBotChatId": "333",
			"tgBotAPIServer": srv.URL, "tgLang": "zh-CN"}).expectOK()
		masked := c.api("GET", "setting/all", nil).expectOK().obj()["tgBotToken"]
		if masked != settings.MaskTgToken(tgToken) {
			t.Fatalf("setting/all shows the token as %v", masked)
		}
		skip := len(srv.Calls())
		c.api("POST", "notify/telegram/test", map[string]any{"tgBotToken": masked}).expectOK()
		srv.WaitCall(t, skip, func(call botapitest.Call) bool {
			return call.Method == "sendMessage" && call.ChatID == 333 && strings.Contains(call.Text, "测试消息")
		})
	})
}

// A client's tgId (the UI's Telegram ID field) goes through the client
// routes as 3x-ui stores it: a number set by an update, read back by
// clients/get, and removed by an update without it; the rest of the
// client is kept.
func TestClientTelegramIDRoundTrips(t *testing.T) {
	t.Parallel() // own database and App
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		env := newEnv(t, b)
		c := env.loggedIn()
		bob := inboundtest.Client(model.VLESS, "bob@x")
		in := inboundtest.Inbound(model.VLESS, freePort(t), bob)
		if _, err := env.app.Inbounds.AddInbound(in); err != nil {
			t.Fatal(err)
		}
		id := c.api("GET", "clients/get/bob@x", nil).expectOK().obj()["inbound"].(map[string]any)["id"]
		update := func(client map[string]any) {
			t.Helper()
			c.api("POST", "inbounds/updateClient/"+bob["id"].(string), map[string]any{"id": id,
				"settings": mustJSON(map[string]any{"clients": []any{client}})}).expectOK()
		}
		withTg := map[string]any{}
		for k, v := range bob {
			withTg[k] = v
		}
		withTg["tgId"] = int64(123456789)
		update(withTg)
		got := c.api("GET", "clients/get/bob@x", nil).expectOK().obj()["client"].(map[string]any)
		if got["tgId"] != float64(123456789) || got["subId"] != "s-bob@x" {
			t.Fatalf("client after setting tgId: %v", got)
		}
		update(bob)
		if got := c.api("GET", "clients/get/bob@x", nil).expectOK().obj()["client"].(map[string]any); got["tgId"] != float64(0) {
			t.Fatalf("client after clearing tgId: %v", got)
		}
	})
}
