package notify_test

import (
	"context"
	"fmt"
	"html"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/notify"
	"github.com/mhsanaei/3x-ui/v2/notify/telegram"
	"github.com/mhsanaei/3x-ui/v2/notify/telegram/botapitest"
	"github.com/mhsanaei/3x-ui/v2/settings"
)

const tgToken = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ"

// alerts are the bot's messages that carry an event id.
func alerts(srv *botapitest.Server) []botapitest.Call {
	var out []botapitest.Call
	for _, c := range srv.Calls() {
		if c.Method == "sendMessage" && strings.Contains(c.Text, "ID: <code>") {
			out = append(out, c)
		}
	}
	return out
}

// The Telegram target queues the kinds in tgEnabledEvents (login.failed
// only with tgBotLoginNotify too), nothing while the bot is disabled; a bot that is
// still off keeps its rows pending and retried, then gets each event
// once, in order, in the bot's language with the event id, through the
// real bot and a Bot API server on loopback.
func TestTelegramTargetQueuesFiltersAndRetries(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		r := newRig(t, b)
		srv := botapitest.Start(t, tgToken)
		store := settings.New(r.h, r.master)
		bot := telegram.New(telegram.Deps{Settings: store, PollTimeout: time.Second})
		opts := fast
		opts.Telegram = bot
		set := func(v map[string]any) {
			t.Helper()
			if err := store.UpdateSettings(v); err != nil {
				t.Fatal(err)
			}
		}
		emit := func(kind notify.Kind, payload any) string {
			t.Helper()
			ev, err := r.rec.Record(context.Background(), nil, notify.New(kind, payload))
			if err != nil {
				t.Fatal(err)
			}
			return ev.ID
		}
		d := notify.NewDispatcher(r.h, r.master, opts)
		// Disabled bot: nothing is queued for Telegram.
		emit(notify.XrayCrashed, map[string]string{"reason": "before"})
		if err := d.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		if n := len(deliveries(t, r.h)); n != 0 {
			t.Fatalf("%d deliveries while the bot is disabled: want none", n)
		}
		set(map[string]any{"tgBotEnable": true, "tgBotToken": tgToken,
			"tgBotChatId": "111", "tgBotAPIServer": srv.URL, "tgLang": "zh-CN", "tgBotLoginNotify": false,
			"tgEnabledEvents": "xray.crash,client.depleted,login.attempt"}) // v3's names for two of them
		emit(notify.LoginFailed, map[string]string{"ip": "198.51.100.1"}) // listed, but tgBotLoginNotify off
		emit(notify.NodeStale, map[string]string{"role": "worker"})       // not in tgEnabledEvents
		crash := emit(notify.XrayCrashed, map[string]string{"reason": "exit <2> & core"})
		depleted := emit(notify.ClientDepleted, map[string]string{"email": "a@x"})
		stop := run(d)
		defer stop()
		// The bot is not running yet (ErrOff): the rows are tried, stay
		// pending and are retried.
		deadline := time.Now().Add(30 * time.Second)
		for retried := false; !retried; {
			if time.Now().After(deadline) {
				t.Fatal("the Telegram rows were not retried within 30s")
			}
			time.Sleep(20 * time.Millisecond)
			rows := deliveries(t, r.h)
			retried = len(rows) == 2 && rows[0].Attempts >= 2 && rows[0].Status == string(notify.StatusPending)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- bot.Run(ctx) }()
		defer func() { cancel(); <-done }()
		for len(alerts(srv)) < 2 {
			if time.Now().After(deadline) {
				t.Fatalf("Bot API got %d alerts within 30s: want two", len(alerts(srv)))
			}
			time.Sleep(20 * time.Millisecond)
		}
		stop()
		var got []string
		for _, c := range alerts(srv) {
			if c.ChatID != 111 {
				t.Fatalf("alert sent to chat %d: want the admin chat 111", c.ChatID)
			}
			got = append(got, c.Text)
		}
		if len(got) != 2 || !strings.Contains(got[0], crash) || !strings.Contains(got[1], depleted) {
			t.Fatalf("bot sent %q: want the crash then the depleted client, once each", got)
		}
		if !strings.Contains(got[0], "Xray 已崩溃") || !strings.Contains(got[0], "exit &lt;2&gt; &amp; core") ||
			!strings.Contains(got[0], "节点: m1") || !strings.Contains(got[1], "a@x") {
			t.Fatalf("alert %q: want the zh-CN title, the escaped reason and the node", got[0])
		}
		for _, row := range deliveries(t, r.h) {
			if row.WebhookID != notify.TelegramTarget || row.Status != string(notify.StatusDelivered) {
				t.Fatalf("delivery %+v: want a delivered Telegram row", row)
			}
		}
	})
}

// An event with the largest payload still makes one message Telegram
// accepts (4096 characters after HTML parsing), ending with its event id.
func TestTelegramTextFitsOneMessage(t *testing.T) {
	fields := map[string]string{}
	for i := range 60 {
		fields[fmt.Sprintf("field%02d", i)] = strings.Repeat("<\"&", 40)
	}
	ev := notify.New(notify.XrayCrashed, fields)
	ev.ID = "0123456789abcdef0123456789abcdef"
	text := notify.TelegramText("en-US", ev)
	if n := utf8.RuneCountInString(html.UnescapeString(text)); n > 4096 || !strings.HasSuffix(text, ev.ID+"</code>") ||
		!strings.Contains(text, "field00: <code>&lt;&#34;&amp;") {
		t.Fatalf("alert of %d characters: %q: want at most 4096, the first field escaped and the event id last", n, text)
	}
}
