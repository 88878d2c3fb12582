package telegram_test

import (
	"strings"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/database/testdb"
	"github.com/mhsanaei/3x-ui/v2/inbound"
	"github.com/mhsanaei/3x-ui/v2/inbound/inboundtest"
	"github.com/mhsanaei/3x-ui/v2/xray"
)

// TestBotCustomNumbersLinksPickersAndUnbind covers the rest of v3.6's
// admin menu (SQLite and MariaDB): a typed custom quota, day count and
// IP limit (a bad number asked again), the links pickers (inbound, then
// client), the sorted traffic report, and unbinding a client's Telegram
// user, after which that chat is a stranger.
func TestBotCustomNumbersLinksPickersAndUnbind(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		db := testdb.Handle(t, b)
		ins := inbound.New(db, nil)
		bound := inboundtest.Client(model.VLESS, "a@x")
		bound["tgId"] = clientChat
		in, err := ins.AddInbound(inboundtest.Inbound(model.VLESS, freePorts(t, 1)[0], bound, inboundtest.Client(model.VLESS, "b@x")))
		if err != nil {
			t.Fatal(err)
		}
		h := startHarness(t, db, ins, "en-US")
		msg := h.ask(adminChat, "/usage a@x").MessageID

		// Custom quota: the preset keyboard's Custom button, a typed number.
		wantButtons(t, h.press(adminChat, msg, "limit_traffic a@x", "editMessageText"), "limit_traffic_in a@x")
		wantText(t, h.press(adminChat, msg, "limit_traffic_in a@x", "sendMessage"), "Send the number")
		wantText(t, h.ask(adminChat, "lots"), "not valid")
		wantText(t, h.ask(adminChat, "25"), "a@x")
		if c := h.client("a@x"); c.TotalGB != 25*gib {
			t.Errorf("typed quota 25: totalGB %d", c.TotalGB)
		}
		h.press(adminChat, msg, "reset_exp_in a@x", "sendMessage")
		h.ask(adminChat, "12")
		if c := h.client("a@x"); c.ExpiryTime != -12*dayMs {
			t.Errorf("typed 12 days: expiry %d", c.ExpiryTime)
		}
		h.press(adminChat, msg, "ip_limit_in a@x", "sendMessage")
		h.ask(adminChat, "4")
		if c := h.client("a@x"); c.LimitIP != 4 {
			t.Errorf("typed IP limit 4: %d", c.LimitIP)
		}
		// A command in between ends the question: the number is not taken.
		// (Updates are handled in order: the last /id is answered after "9".)
		h.press(adminChat, msg, "ip_limit_in a@x", "sendMessage")
		h.ask(adminChat, "/id")
		h.srv.Message(adminChat, "9")
		h.ask(adminChat, "/id")
		if c := h.client("a@x"); c.LimitIP != 4 {
			t.Errorf("a number typed after another command was taken: IP limit %d", c.LimitIP)
		}
		// A typed number's write is the admin chat's, once, as the button's.
		h.audited("typed numbers", "client.update limit_traffic_c", "client.update reset_exp_c", "client.update ip_limit_c")
		// In the add-client draft too.
		pick := h.press(adminChat, 1, "add_client", "sendMessage")
		draft := h.press(adminChat, pick.MessageID, "add_client_to "+itoa(in.Id), "sendMessage")
		wantButtons(t, h.press(adminChat, draft.MessageID, "add_client_ch_default_traffic", "editMessageText"), "add_client_limit_traffic_in")
		h.press(adminChat, draft.MessageID, "add_client_limit_traffic_in", "sendMessage")
		wantText(t, h.ask(adminChat, "7"), "7.00 GiB")

		// The links pickers: inbound, then client.
		for _, c := range []struct{ menu, next, action, method, want string }{
			{"admin_client_sub_links", "get_clients_for_sub", "client_sub_links", "sendMessage", "https://sub.example.com/sub/s-b@x"},
			{"admin_client_individual_links", "get_clients_for_individual", "client_individual_links", "sendMessage", "vless://link-of-b@x"},
			{"admin_client_qr_links", "get_clients_for_qr", "client_qr_links", "sendPhoto", "b@x"},
		} {
			p := h.press(adminChat, 1, c.menu, "sendMessage")
			wantButtons(t, p, c.next+" "+itoa(in.Id))
			list := h.press(adminChat, p.MessageID, c.next+" "+itoa(in.Id), "sendMessage")
			wantButtons(t, list, c.action+" a@x", c.action+" b@x")
			wantText(t, h.press(adminChat, list.MessageID, c.action+" b@x", c.method), c.want)
		}

		// The sorted report: most used first.
		conn := db.Current()
		for email, up := range map[string]int64{"a@x": 10, "b@x": 5 * gib} {
			if err := conn.Model(&xray.ClientTraffic{}).Where("email = ?", email).Update("up", up).Error; err != nil {
				t.Fatal(err)
			}
		}
		rep := h.press(adminChat, 1, "get_sorted_traffic_usage_report", "sendMessage")
		if i, j := strings.Index(rep.Text, "b@x"), strings.Index(rep.Text, "a@x"); i < 0 || j < 0 || i > j {
			t.Errorf("sorted report: %q", rep.Text)
		}

		// Unbind the Telegram user: the client chat is then a stranger.
		wantText(t, h.ask(clientChat, "/usage"), "a@x")
		tg := h.press(adminChat, msg, "tg_user a@x", "sendMessage")
		wantText(t, tg, "Telegram id <code>7</code>")
		wantButtons(t, h.press(adminChat, tg.MessageID, "tgid_remove a@x", "editMessageText"), "tgid_remove_c a@x", "tgid_cancel a@x")
		h.audited("draft, pickers and report")
		wantText(t, h.press(adminChat, tg.MessageID, "tgid_remove_c a@x", "editMessageText"), "bound to no Telegram user")
		h.audited("unbind", "client.update tgid_remove_c")
		wantText(t, h.ask(clientChat, "/usage"), "not allowed")
	})
}
