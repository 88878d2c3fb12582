package telegram_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/database/testdb"
	"github.com/mhsanaei/3x-ui/v2/inbound"
	"github.com/mhsanaei/3x-ui/v2/inbound/inboundtest"
	"github.com/mhsanaei/3x-ui/v2/notify/telegram"
	"github.com/mhsanaei/3x-ui/v2/notify/telegram/botapitest"
	"github.com/mhsanaei/3x-ui/v2/ops"
	"github.com/mhsanaei/3x-ui/v2/settings"
	"github.com/mhsanaei/3x-ui/v2/xray/xraytest"
)

const token = "987654321:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ"

// TestBotReconnectsAndSendsScheduledBackups: the Bot API server refuses
// the first polls (the bot retries with backoff and then answers), and
// the tgRunTime schedule with tgBotBackup sends the report, the clients
// about to run out and the database to every admin chat, the database as
// a file that restores, and a client about to run out its own notice.
func TestBotReconnectsAndSendsScheduledBackups(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		db := testdb.Handle(t, b)
		st := settings.New(db, nil)
		ins := inbound.New(db, nil)
		low := inboundtest.Client(model.VLESS, "low@x")
		low["tgId"], low["totalGB"] = 8, 10<<30
		if _, err := ins.AddInbound(inboundtest.Inbound(model.VLESS, freePorts(t, 1)[0], inboundtest.Client(model.VLESS, "sched@x"), low)); err != nil {
			t.Fatal(err)
		}
		// low@x has used 95 % of its quota: the report names it to the
		// admins and tells its own chat.
		if err := db.Current().Model(&model.ClientTraffic{}).Where("email = ?", "low@x").Update("up", int64(95)*(1<<30)/10).Error; err != nil {
			t.Fatal(err)
		}
		srv := botapitest.Start(t, token)
		srv.FailPolls(3)
		if err := st.UpdateSettings(map[string]any{
			"tgBotEnable": true, "tgBotToken": token, "tgBotChatId": "5,6", "tgBotAPIServer": srv.URL,
			"tgRunTime": "@every 1s", "tgBotBackup": true,
		}); err != nil {
			t.Fatal(err)
		}
		bot := telegram.New(telegram.Deps{
			Settings: st, Inbounds: ins, Status: ops.NewStatus(nil, db, nil), Backups: ops.NewBackups(db, nil),
			MaxBackoff: 20 * time.Millisecond,
		})
		if err := bot.Notify(context.Background(), "before Run"); err != telegram.ErrOff {
			t.Fatalf("Notify before Run: %v, want ErrOff", err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- bot.Run(ctx) }()
		defer func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		}()

		srv.Message(5, "/usage sched@x")
		srv.WaitCall(t, 0, func(c botapitest.Call) bool {
			return c.Method == "sendMessage" && c.ChatID == 5 && strings.Contains(c.Text, "sched@x")
		})
		if srv.Polls() < 4 {
			t.Errorf("answered after %d polls; the first 3 failed", srv.Polls())
		}
		if err := bot.Notify(ctx, "alert <b>x</b>"); err != nil {
			t.Fatalf("Notify: %v", err)
		}
		for _, chat := range []int64{5, 6} {
			srv.WaitCall(t, 0, func(c botapitest.Call) bool {
				return c.Method == "sendMessage" && c.ChatID == chat && c.Text == "alert <b>x</b>"
			})
		}
		notice := srv.WaitCall(t, 0, func(c botapitest.Call) bool { return c.Method == "sendMessage" && c.ChatID == 8 })
		if !strings.Contains(notice.Text, "low@x") || strings.Contains(notice.Text, "sched@x") {
			t.Errorf("the bound client's notice: %q", notice.Text)
		}
		for _, chat := range []int64{5, 6} {
			srv.WaitCall(t, 0, func(c botapitest.Call) bool {
				return c.Method == "sendMessage" && c.ChatID == chat && strings.Contains(c.Text, "Scheduled report")
			})
			srv.WaitCall(t, 0, func(c botapitest.Call) bool {
				return c.Method == "sendMessage" && c.ChatID == chat && strings.Contains(c.Text, "About to run out (1)") && strings.Contains(c.Text, "low@x")
			})
			doc := srv.WaitCall(t, 0, func(c botapitest.Call) bool { return c.Method == "sendDocument" && c.ChatID == chat })
			restored := testdb.Handle(t, dbtest.New(t, b.Name))
			if err := ops.NewBackups(restored, nil).ImportBackup(bytes.NewReader(doc.File)); err != nil {
				t.Fatalf("scheduled backup to %d does not restore: %v", chat, err)
			}
			var n int64
			restored.Current().Model(&model.ClientTraffic{}).Where("email = ?", "sched@x").Count(&n)
			if n != 1 {
				t.Errorf("restored backup has %d rows of sched@x", n)
			}
		}
	})
}

// TestBotSplitsLongAnswersAndRereadsSettings: an answer over Telegram's
// length limit arrives as several messages, each under it and together
// complete; a settings write the bot was not told of (no fan-out here:
// as from the CLI) is picked up by the periodic recheck.
func TestBotSplitsLongAnswersAndRereadsSettings(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		db := testdb.Handle(t, b)
		st := settings.New(db, nil)
		ins := inbound.New(db, nil)
		const n = 30
		ports := freePorts(t, n)
		for i := range n {
			in := inboundtest.Inbound(model.VLESS, ports[i], inboundtest.Client(model.VLESS, fmt.Sprintf("c%d@x", i)))
			in.Remark = fmt.Sprintf("remark-%02d-%s", i, strings.Repeat("r", 200))
			if _, err := ins.AddInbound(in); err != nil {
				t.Fatal(err)
			}
		}
		srv := botapitest.Start(t, token)
		if err := st.UpdateSettings(map[string]any{
			"tgBotEnable": true, "tgBotToken": token, "tgBotChatId": "5", "tgBotAPIServer": srv.URL,
		}); err != nil {
			t.Fatal(err)
		}
		bot := telegram.New(telegram.Deps{
			Settings: st, Inbounds: ins, Status: ops.NewStatus(nil, db, nil), Backups: ops.NewBackups(db, nil),
			Recheck: 20 * time.Millisecond,
		})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- bot.Run(ctx) }()
		defer func() {
			cancel()
			<-done
		}()

		srv.Message(5, "/inbound")
		last := fmt.Sprintf("remark-%02d-", n-1)
		srv.WaitCall(t, 0, func(c botapitest.Call) bool { return c.ChatID == 5 && strings.Contains(c.Text, last) })
		var all strings.Builder
		parts := 0
		for _, c := range srv.Calls() {
			if c.Method != "sendMessage" || c.ChatID != 5 {
				continue
			}
			parts++
			if len(c.Text) > 4096 {
				t.Errorf("a message of %d bytes, over Telegram's limit", len(c.Text))
			}
			all.WriteString(c.Text)
		}
		if parts < 2 {
			t.Errorf("%d messages for a %d-inbound list; want it split", parts, n)
		}
		for i := range n {
			if !strings.Contains(all.String(), fmt.Sprintf("remark-%02d-", i)) {
				t.Errorf("inbound %d missing from the split answer", i)
			}
		}

		if err := st.SetString("tgLang", "zh-CN"); err != nil {
			t.Fatal(err)
		}
		for attempt := 0; ; attempt++ {
			skip := len(srv.Calls())
			srv.Message(5, "/id")
			c := srv.WaitCall(t, skip, func(c botapitest.Call) bool { return c.ChatID == 5 && strings.Contains(c.Text, "5") })
			if strings.Contains(c.Text, "你的 ID") {
				break
			}
			if attempt == 200 {
				t.Fatalf("the bot never picked up tgLang: %q", c.Text)
			}
		}
	})
}

// freePorts returns n distinct ports free on this host: each listener is
// held until all are taken, so the system cannot hand one out twice.
func freePorts(t *testing.T, n int) []int {
	ports := make([]int, n)
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	return ports
}

// TestBotThroughProxy: with tgBotProxy set, every Bot API call goes
// through that HTTP proxy (an HTTP forward proxy of the test's own).
func TestBotThroughProxy(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		db := testdb.Handle(t, b)
		st := settings.New(db, nil)
		srv := botapitest.Start(t, token)
		var proxied atomic.Int64
		proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !r.URL.IsAbs() {
				http.Error(w, "not a proxy request", http.StatusBadRequest)
				return
			}
			proxied.Add(1)
			out := r.Clone(r.Context())
			out.RequestURI = ""
			resp, err := http.DefaultTransport.RoundTrip(out)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			defer resp.Body.Close()
			for k, v := range resp.Header {
				w.Header()[k] = v
			}
			w.WriteHeader(resp.StatusCode)
			_, _ = io.Copy(w, resp.Body)
		}))
		defer proxy.Close()
		if err := st.UpdateSettings(map[string]any{
			"tgBotEnable": true, "tgBotToken": token, "tgBotChatId": "5", "tgBotAPIServer": srv.URL, "tgBotProxy": proxy.URL,
		}); err != nil {
			t.Fatal(err)
		}
		bot := telegram.New(telegram.Deps{Settings: st, Inbounds: inbound.New(db, nil), Status: ops.NewStatus(nil, db, nil), Backups: ops.NewBackups(db, nil)})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- bot.Run(ctx) }()
		defer func() {
			cancel()
			<-done
		}()
		srv.Message(5, "/id")
		srv.WaitCall(t, 0, func(c botapitest.Call) bool { return c.ChatID == 5 && strings.Contains(c.Text, "5") })
		if proxied.Load() < 2 { // at least getUpdates and sendMessage
			t.Fatalf("%d requests went through tgBotProxy", proxied.Load())
		}
	})
}

// TestBotThroughSOCKS5Proxy: with tgBotProxy a socks5:// URL, every Bot
// API call goes through that SOCKS5 proxy: a real Xray client (SOCKS5
// inbound, direct outbound) sending from 127.0.0.2, so the Bot API
// server sees its requests arrive from there and not from the bot.
func TestBotThroughSOCKS5Proxy(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		db := testdb.Handle(t, b)
		st := settings.New(db, nil)
		srv := botapitest.Start(t, token)
		socks, _ := xraytest.StartClient(t, json.RawMessage(`{"protocol":"freedom"}`), "127.0.0.2")
		if err := st.UpdateSettings(map[string]any{
			"tgBotEnable": true, "tgBotToken": token, "tgBotChatId": "5", "tgBotAPIServer": srv.URL,
			"tgBotProxy": "socks5://" + socks,
		}); err != nil {
			t.Fatal(err)
		}
		bot := telegram.New(telegram.Deps{Settings: st, Inbounds: inbound.New(db, nil), Status: ops.NewStatus(nil, db, nil), Backups: ops.NewBackups(db, nil)})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- bot.Run(ctx) }()
		defer func() {
			cancel()
			<-done
		}()
		srv.Message(5, "/id")
		c := srv.WaitCall(t, 0, func(c botapitest.Call) bool { return c.Method == "sendMessage" && c.ChatID == 5 })
		if host, _, _ := net.SplitHostPort(c.RemoteAddr); host != "127.0.0.2" {
			t.Fatalf("sendMessage came from %s, not through the SOCKS5 proxy", c.RemoteAddr)
		}
	})
}
