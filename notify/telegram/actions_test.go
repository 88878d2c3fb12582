package telegram_test

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/database/testdb"
	"github.com/mhsanaei/3x-ui/v2/inbound"
	"github.com/mhsanaei/3x-ui/v2/inbound/inboundtest"
	"github.com/mhsanaei/3x-ui/v2/iplimit"
	"github.com/mhsanaei/3x-ui/v2/notify/telegram"
	"github.com/mhsanaei/3x-ui/v2/notify/telegram/botapitest"
	"github.com/mhsanaei/3x-ui/v2/ops"
	"github.com/mhsanaei/3x-ui/v2/settings"
	"github.com/mhsanaei/3x-ui/v2/xray"
)

const (
	adminChat    = int64(5)
	clientChat   = int64(7)
	strangerChat = int64(9)
	gib          = int64(1) << 30
	dayMs        = int64(24 * time.Hour / time.Millisecond)
)

// harness is a running bot over one database, answering adminChat as
// admin, on the test's Bot API server.
type harness struct {
	t   *testing.T
	db  *database.Handle
	ins *inbound.Store
	srv *botapitest.Server
	// auditSeen is the last audit row id audited checked or skipped.
	auditSeen int64
}

func startHarness(t *testing.T, db *database.Handle, ins *inbound.Store, lang string) *harness {
	t.Helper()
	st := settings.New(db, nil)
	srv := botapitest.Start(t, token)
	if err := st.UpdateSettings(map[string]any{
		"tgBotEnable": true, "tgBotToken": token, "tgBotChatId": "5", "tgBotAPIServer": srv.URL, "tgLang": lang,
	}); err != nil {
		t.Fatal(err)
	}
	bot := telegram.New(telegram.Deps{
		Settings: st, Inbounds: ins, Status: ops.NewStatus(nil, db, nil), Backups: ops.NewBackups(db, nil),
		IPLimit: iplimit.New(nil, st, db),
		SubLink: func(subID string) string { return "https://sub.example.com/sub/" + subID },
		Links:   func(email string) []string { return []string{"vless://link-of-" + email} },
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- bot.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	h := &harness{t: t, db: db, ins: ins, srv: srv}
	h.auditSkip()
	return h
}

// auditSkip passes over the audit rows of the test's own writes.
func (h *harness) auditSkip() {
	h.t.Helper()
	var ids []int64
	if err := h.db.Current().Model(&model.AuditLog{}).Order("id DESC").Limit(1).Pluck("id", &ids).Error; err != nil {
		h.t.Fatal(err)
	}
	if len(ids) > 0 {
		h.auditSeen = ids[0]
	}
}

// audited asserts the audit rows written since the last check: exactly
// one per want ("action route"), in order, each the admin chat's (the
// bot's writes pass audit.Bot(chat, callback action) to the store).
func (h *harness) audited(step string, want ...string) {
	h.t.Helper()
	var rows []model.AuditLog
	if err := h.db.Current().Where("id > ?", h.auditSeen).Order("id").Find(&rows).Error; err != nil {
		h.t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, r.Action+" "+r.Route)
		if r.ActorKind != "bot" || r.ActorID != "5" || r.ActorName != "bot:5" {
			h.t.Errorf("%s: audit row %d actor %q %q %q, want bot 5 bot:5", step, r.Id, r.ActorKind, r.ActorID, r.ActorName)
		}
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		h.t.Errorf("%s: audit rows\n%s\nwant\n%s", step, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(rows) > 0 {
		h.auditSeen = rows[len(rows)-1].Id
	}
}

// ask sends text from user and returns the bot's first message back.
func (h *harness) ask(user int64, text string) botapitest.Call {
	h.t.Helper()
	skip := len(h.srv.Calls())
	h.srv.Message(user, text)
	return h.srv.WaitCall(h.t, skip, func(c botapitest.Call) bool { return c.Method == "sendMessage" && c.ChatID == user })
}

// press presses data on message msg in user's chat and returns the
// first call of method the bot made for it, once the bot has answered
// the press (its last call for it: whatever it wrote is committed).
func (h *harness) press(user, msg int64, data, method string) botapitest.Call {
	h.t.Helper()
	skip := len(h.srv.Calls())
	id := h.srv.Press(user, msg, data)
	h.srv.WaitCall(h.t, skip, func(c botapitest.Call) bool { return c.Method == "answerCallbackQuery" && c.CallbackID == id })
	return h.srv.WaitCall(h.t, skip, func(c botapitest.Call) bool {
		return c.Method == method && (c.ChatID == user || c.CallbackID == id)
	})
}

// settle presses data and waits until the bot confirmed the press, so
// the write it made is committed.
func (h *harness) settle(user, msg int64, data string) {
	h.t.Helper()
	h.press(user, msg, data, "answerCallbackQuery")
}

func (h *harness) row(email string) *xray.ClientTraffic {
	h.t.Helper()
	row, err := h.ins.GetClientTrafficByEmail(email)
	if err != nil {
		h.t.Fatalf("%s: %v", email, err)
	}
	return row
}

func (h *harness) client(email string) *inbound.Client {
	h.t.Helper()
	_, c, err := h.ins.GetClientByEmail(email)
	if err != nil {
		h.t.Fatalf("%s: %v", email, err)
	}
	return c
}

func wantText(t *testing.T, c botapitest.Call, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(c.Text, s) {
			t.Errorf("%s to %d: %q lacks %q", c.Method, c.ChatID, c.Text, s)
		}
	}
}

func wantButtons(t *testing.T, c botapitest.Call, data ...string) {
	t.Helper()
	have := c.Buttons()
	for _, d := range data {
		if !slices.Contains(have, d) {
			t.Errorf("%s to %d: buttons %q lack %q", c.Method, c.ChatID, have, d)
		}
	}
}

// TestBotClientActions drives v3.6's per-client actions from an admin
// chat and checks each write in the database (SQLite and MariaDB): reset
// traffic, traffic quota, expiry add/clear, IP limit, IP log and clear,
// enable/disable, the client list per inbound, onlines, about to
// deplete, /clearall; a stranger's and a client's presses change nothing.
func TestBotClientActions(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		db := testdb.Handle(t, b)
		ins := inbound.New(db, nil)
		bound := inboundtest.Client(model.VLESS, "a@x")
		bound["tgId"] = clientChat
		in := inboundtest.Inbound(model.VLESS, freePorts(t, 1)[0], bound, inboundtest.Client(model.VLESS, "b@x"))
		in.Remark = "tg-actions"
		added, err := ins.AddInbound(in)
		if err != nil {
			t.Fatal(err)
		}
		h := startHarness(t, db, ins, "en-US")
		conn := db.Current()
		setUsage := func(email string, up, down int64) {
			t.Helper()
			if err := conn.Model(&xray.ClientTraffic{}).Where("email = ?", email).Updates(map[string]any{"up": up, "down": down}).Error; err != nil {
				t.Fatal(err)
			}
		}

		card := h.ask(adminChat, "/usage a@x")
		wantText(t, card, "a@x", "tg-actions", "Telegram id: 7")
		wantButtons(t, card, "client_refresh a@x", "reset_traffic a@x", "limit_traffic a@x", "reset_exp a@x",
			"ip_log a@x", "ip_limit a@x", "toggle_enable a@x", "client_sub_links a@x", "client_individual_links a@x", "client_qr_links a@x")
		msg := card.MessageID

		// Reset traffic: confirm, then zero in the database.
		setUsage("a@x", 100, 200)
		ask := h.press(adminChat, msg, "reset_traffic a@x", "editMessageText")
		wantText(t, ask, "Reset this client's traffic")
		wantButtons(t, ask, "reset_traffic_c a@x", "client_cancel a@x")
		if r := h.row("a@x"); r.Up != 100 {
			t.Fatalf("the question already reset the traffic: %+v", r)
		}
		wantText(t, h.press(adminChat, msg, "client_cancel a@x", "editMessageText"), "a@x")
		h.audited("reset question and cancel")
		h.settle(adminChat, msg, "reset_traffic_c a@x")
		h.audited("reset", "client.resetTraffic reset_traffic_c")
		if r := h.row("a@x"); r.Up != 0 || r.Down != 0 {
			t.Errorf("after reset_traffic_c: up %d down %d", r.Up, r.Down)
		}

		// Traffic quota: the presets, then the value in settings and row.
		wantButtons(t, h.press(adminChat, msg, "limit_traffic a@x", "editMessageText"), "limit_traffic_c a@x 0", "limit_traffic_c a@x 5", "limit_traffic_c a@x 200")
		h.settle(adminChat, msg, "limit_traffic_c a@x 5")
		h.audited("quota", "client.update limit_traffic_c")
		if c, r := h.client("a@x"), h.row("a@x"); c.TotalGB != 5*gib || r.Total != 5*gib {
			t.Errorf("after limit_traffic_c 5: client %d row %d", c.TotalGB, r.Total)
		}

		// Expiry: +7 days from no expiry is 7 days from first use; +30 on a
		// running expiry adds to it; 0 clears it.
		wantButtons(t, h.press(adminChat, msg, "reset_exp a@x", "editMessageText"), "reset_exp_c a@x 0", "reset_exp_c a@x 7", "reset_exp_c a@x 365")
		h.settle(adminChat, msg, "reset_exp_c a@x 7")
		h.audited("expiry 7", "client.update reset_exp_c")
		if c := h.client("a@x"); c.ExpiryTime != -7*dayMs {
			t.Errorf("after reset_exp_c 7 from none: expiry %d, want %d", c.ExpiryTime, -7*dayMs)
		}
		future := time.Now().Add(48 * time.Hour).UnixMilli()
		if err := ins.UpdateInboundClient(&model.Inbound{Id: added.Id, Settings: clientSettings(t, h, "a@x", map[string]any{"expiryTime": future})}, h.client("a@x").ID); err != nil {
			t.Fatal(err)
		}
		h.auditSkip()
		h.settle(adminChat, msg, "reset_exp_c a@x 30")
		if c, r := h.client("a@x"), h.row("a@x"); c.ExpiryTime != future+30*dayMs || r.ExpiryTime != c.ExpiryTime {
			t.Errorf("after reset_exp_c 30: client %d row %d, want %d", c.ExpiryTime, r.ExpiryTime, future+30*dayMs)
		}
		h.settle(adminChat, msg, "reset_exp_c a@x 0")
		h.audited("expiry 30 and 0", "client.update reset_exp_c", "client.update reset_exp_c")
		if c := h.client("a@x"); c.ExpiryTime != 0 {
			t.Errorf("after reset_exp_c 0: expiry %d", c.ExpiryTime)
		}

		// IP limit.
		wantButtons(t, h.press(adminChat, msg, "ip_limit a@x", "editMessageText"), "ip_limit_c a@x 0", "ip_limit_c a@x 3", "ip_limit_c a@x 10")
		h.settle(adminChat, msg, "ip_limit_c a@x 3")
		h.audited("ip limit", "client.update ip_limit_c")
		if c := h.client("a@x"); c.LimitIP != 3 {
			t.Errorf("after ip_limit_c 3: limitIp %d", c.LimitIP)
		}

		// IP log and clear.
		if err := iplimit.RecordClientIPs(db, "a@x", []iplimit.ClientIP{{IP: "203.0.113.7", FirstSeen: 1, LastSeen: 2}}); err != nil {
			t.Fatal(err)
		}
		ipMsg := h.press(adminChat, msg, "ip_log a@x", "sendMessage")
		wantText(t, ipMsg, "203.0.113.7")
		wantButtons(t, ipMsg, "ips_refresh a@x", "clear_ips a@x")
		wantButtons(t, h.press(adminChat, ipMsg.MessageID, "clear_ips a@x", "editMessageText"), "clear_ips_c a@x", "ips_cancel a@x")
		wantText(t, h.press(adminChat, ipMsg.MessageID, "clear_ips_c a@x", "editMessageText"), "No IPs recorded for a@x")
		if ips, err := iplimit.New(nil, nil, db).GetClientIPs("a@x"); err != nil || len(ips) != 0 {
			t.Errorf("after clear_ips_c: %v %v", ips, err)
		}
		h.audited("clear ips", "client.clearIps clear_ips_c")

		// Enable / disable.
		wantButtons(t, h.press(adminChat, msg, "toggle_enable a@x", "editMessageText"), "toggle_enable_c a@x", "client_cancel a@x")
		h.settle(adminChat, msg, "toggle_enable_c a@x")
		if c, r := h.client("a@x"), h.row("a@x"); c.Enable || r.Enable {
			t.Errorf("after toggle_enable_c: client %v row %v, want disabled", c.Enable, r.Enable)
		}
		wantButtons(t, h.press(adminChat, msg, "client_refresh a@x", "editMessageText"), "toggle_enable a@x")
		h.settle(adminChat, msg, "toggle_enable_c a@x")
		if c := h.client("a@x"); !c.Enable {
			t.Error("the second toggle_enable_c left the client disabled")
		}
		h.audited("toggles", "client.update toggle_enable_c", "client.update toggle_enable_c")

		// Links of any client for an admin.
		wantText(t, h.press(adminChat, msg, "client_sub_links b@x", "sendMessage"), "https://sub.example.com/sub/s-b@x")
		wantText(t, h.press(adminChat, msg, "client_individual_links b@x", "sendMessage"), "vless://link-of-b@x")
		if p := h.press(adminChat, msg, "client_qr_links b@x", "sendPhoto"); p.Text != "b@x" || len(p.File) == 0 {
			t.Errorf("QR: caption %q, %d bytes", p.Text, len(p.File))
		}

		// The client list: inbound, then a button per client.
		pick := h.press(adminChat, 1, "get_inbounds", "sendMessage")
		wantButtons(t, pick, "get_clients "+itoa(added.Id))
		list := h.press(adminChat, pick.MessageID, "get_clients "+itoa(added.Id), "sendMessage")
		wantButtons(t, list, "client_get_usage a@x", "client_get_usage b@x")
		wantText(t, h.press(adminChat, list.MessageID, "client_get_usage b@x", "sendMessage"), "b@x")

		// Onlines (no Xray here: none), with Refresh editing in place.
		on := h.press(adminChat, 1, "onlines", "sendMessage")
		wantText(t, on, "Online (0)")
		wantButtons(t, on, "onlines_refresh")
		wantText(t, h.press(adminChat, on.MessageID, "onlines_refresh", "editMessageText"), "Online (0)")
		wantButtons(t, h.press(adminChat, 1, "get_usage", "sendMessage"), "usage_refresh")
		wantText(t, h.press(adminChat, 1, "usage_refresh", "editMessageText"), "CPU:")

		// About to deplete: b@x with 5 % of its quota left.
		if err := conn.Model(&xray.ClientTraffic{}).Where("email = ?", "b@x").Updates(map[string]any{"total": 20 * gib, "up": 19 * gib}).Error; err != nil {
			t.Fatal(err)
		}
		dep := h.press(adminChat, 1, "deplete_soon", "sendMessage")
		wantText(t, dep, "About to run out (1)", "b@x")
		wantButtons(t, dep, "client_get_usage b@x")

		// Links, lists, onlines and the like write nothing.
		h.audited("reads")
		// A stranger's and the bound client's presses of admin actions
		// change nothing.
		setUsage("a@x", 300, 400)
		wantText(t, h.press(strangerChat, 1, "reset_traffic_c a@x", "sendMessage"), "not allowed")
		h.settle(clientChat, 1, "reset_traffic_c a@x")
		h.settle(clientChat, 1, "toggle_enable_c b@x")
		if r := h.row("a@x"); r.Up != 300 {
			t.Errorf("a stranger or client reset a@x: %+v", r)
		}
		if !h.row("b@x").Enable {
			t.Error("a client chat disabled b@x")
		}
		h.audited("refused presses")

		// /clearall: confirm, cancel, then every client's traffic is zero.
		clear := h.ask(adminChat, "/clearall")
		wantButtons(t, clear, "reset_all_traffics_c", "reset_all_traffics_cancel")
		wantText(t, h.press(adminChat, clear.MessageID, "reset_all_traffics_cancel", "editMessageText"), "Cancelled")
		if r := h.row("a@x"); r.Up != 300 {
			t.Fatalf("a cancelled /clearall reset: %+v", r)
		}
		wantButtons(t, h.press(adminChat, 1, "reset_all_traffics", "sendMessage"), "reset_all_traffics_c")
		wantText(t, h.press(adminChat, clear.MessageID, "reset_all_traffics_c", "editMessageText"), "Every client's traffic was reset")
		for _, e := range []string{"a@x", "b@x"} {
			if r := h.row(e); r.Up != 0 || r.Down != 0 {
				t.Errorf("after /clearall %s: up %d down %d", e, r.Up, r.Down)
			}
		}
		h.audited("clearall", "inbound.resetClientTraffics reset_all_traffics_c")
	})
}

// clientSettings is the settings body of updateClient for the stored
// client with email, with fields changed.
func clientSettings(t *testing.T, h *harness, email string, fields map[string]any) string {
	t.Helper()
	in, _, err := h.ins.GetClientByEmail(email)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Clients []map[string]any `json:"clients"`
	}
	if err := json.Unmarshal([]byte(in.Settings), &doc); err != nil {
		t.Fatal(err)
	}
	for _, c := range doc.Clients {
		if c["email"] == email {
			for k, v := range fields {
				c[k] = v
			}
			out, _ := json.Marshal(map[string]any{"clients": []any{c}})
			return string(out)
		}
	}
	t.Fatalf("no client %s", email)
	return ""
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestBotClientChatSeesOnlyItsOwn: a chat bound by tgId gets its own
// usage, subscription link, share links and QR codes, whatever email its
// command or button names, and never another client's; on start the bot
// removes a webhook and registers v3.6's eight commands.
func TestBotClientChatSeesOnlyItsOwn(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		db := testdb.Handle(t, b)
		ins := inbound.New(db, nil)
		bound := inboundtest.Client(model.VLESS, "a@x")
		bound["tgId"] = itoa(int(clientChat)) // v3 also stores it as a string
		if _, err := ins.AddInbound(inboundtest.Inbound(model.VLESS, freePorts(t, 1)[0], bound, inboundtest.Client(model.VLESS, "b@x"))); err != nil {
			t.Fatal(err)
		}
		h := startHarness(t, db, ins, "en-US")
		start := h.ask(clientChat, "/start")
		wantButtons(t, start, "client_traffic", "client_commands", "client_sub_links", "client_individual_links", "client_qr_links")
		wantText(t, h.ask(clientChat, "/usage b@x"), "a@x", "https://sub.example.com/sub/s-a@x")
		wantText(t, h.press(clientChat, 1, "client_traffic", "sendMessage"), "a@x")
		wantText(t, h.press(clientChat, 1, "client_sub_links", "sendMessage"), "https://sub.example.com/sub/s-a@x")
		wantText(t, h.press(clientChat, 1, "client_individual_links", "sendMessage"), "vless://link-of-a@x")
		skip := len(h.srv.Calls())
		h.srv.Press(clientChat, 1, "client_qr_links")
		// Two QR codes: the subscription URL's and the share link's.
		photos := func() (n int) {
			for _, c := range h.srv.Calls()[skip:] {
				if c.Method == "sendPhoto" {
					n++
					if c.Text != "a@x" {
						t.Errorf("QR caption %q", c.Text)
					}
				}
			}
			return n
		}
		h.srv.WaitCall(t, skip, func(botapitest.Call) bool { return photos() >= 2 })
		h.settle(clientChat, 1, "client_qr_links b@x")
		h.settle(clientChat, 1, "client_get_usage b@x")
		h.settle(clientChat, 1, "get_backup")
		wantText(t, h.ask(clientChat, "/clearall"), "Unknown command")
		for _, c := range h.srv.Calls() {
			if c.ChatID == clientChat && (strings.Contains(c.Text, "b@x") || c.Method == "sendDocument") {
				t.Errorf("the client chat got %s %q", c.Method, c.Text)
			}
		}

		var cmds []string
		for _, c := range h.srv.Calls() {
			if c.Method == "setMyCommands" {
				var list []struct {
					Command string `json:"command"`
				}
				_ = json.Unmarshal(c.Markup, &list)
				for _, l := range list {
					cmds = append(cmds, l.Command)
				}
			}
		}
		if strings.Join(cmds, ",") != "start,help,status,id,usage,inbound,restart,clearall" {
			t.Errorf("setMyCommands: %v", cmds)
		}
		if !slices.ContainsFunc(h.srv.Calls(), func(c botapitest.Call) bool { return c.Method == "deleteWebhook" }) {
			t.Error("no deleteWebhook before polling")
		}
	})
}
