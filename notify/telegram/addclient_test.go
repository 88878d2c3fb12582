package telegram_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/cluster"
	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/database/testdb"
	"github.com/mhsanaei/3x-ui/v2/inbound"
	"github.com/mhsanaei/3x-ui/v2/inbound/inboundtest"
	"github.com/mhsanaei/3x-ui/v2/notify/telegram/botapitest"
)

// addClientDraft opens the add-client conversation on inbound id and
// returns the draft message.
func addClientDraft(t *testing.T, h *harness, id int) botapitest.Call {
	t.Helper()
	pick := h.press(adminChat, 1, "add_client", "sendMessage")
	wantButtons(t, pick, "add_client_to "+itoa(id))
	draft := h.press(adminChat, pick.MessageID, "add_client_to "+itoa(id), "sendMessage")
	wantButtons(t, draft, "add_client_ch_default_email", "add_client_ch_default_traffic", "add_client_ch_default_exp",
		"add_client_ch_default_ip_limit", "add_client_ch_default_tg_id", "add_client_ch_default_comment",
		"add_client_submit_enable", "add_client_submit_disable", "add_client_cancel")
	return draft
}

func countClients(t *testing.T, h *harness) int64 {
	t.Helper()
	var n int64
	if err := h.db.Current().Model(&model.ClientTraffic{}).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// TestBotAddClientConversation: an admin adds a client by buttons and
// typed answers (inbound, email, quota, expiry, IP limit, tgId,
// comment), in Chinese; the client is in the inbound's settings and
// client_traffics with those values and a generated key (SQLite and
// MariaDB). A taken email is refused by the API's own check, naming the
// field, and nothing changes; Cancel adds nothing.
func TestBotAddClientConversation(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		db := testdb.Handle(t, b)
		ins := inbound.New(db, nil)
		ports := freePorts(t, 2)
		tro, err := ins.AddInbound(inboundtest.Inbound(model.Trojan, ports[0], inboundtest.Client(model.Trojan, "old@x")))
		if err != nil {
			t.Fatal(err)
		}
		ss := inboundtest.Inbound(model.Shadowsocks, ports[1], inboundtest.Client(model.Shadowsocks, "ss@x"))
		ss.Settings = strings.Replace(ss.Settings, `"aes-256-gcm"`, `"2022-blake3-aes-256-gcm","password":"`+strings.Repeat("A", 43)+`="`, 1)
		ss.Settings = strings.Replace(ss.Settings, `"password":"pw-ss@x"`, `"password":"`+strings.Repeat("B", 43)+`="`, 1)
		ssIn, err := ins.AddInbound(ss)
		if err != nil {
			t.Fatal(err)
		}
		h := startHarness(t, db, ins, "zh-CN")

		draft := addClientDraft(t, h, tro.Id)
		wantText(t, draft, "新客户端", tro.Remark)
		msg := draft.MessageID
		wantText(t, h.press(adminChat, msg, "add_client_ch_default_email", "sendMessage"), "邮箱")
		wantText(t, h.ask(adminChat, "two words"), "输入无效")
		wantText(t, h.ask(adminChat, "new@x"), "new@x")
		wantButtons(t, h.press(adminChat, msg, "add_client_ch_default_traffic", "editMessageText"), "add_client_limit_traffic_c 5", "add_client_default_traffic_exp")
		wantText(t, h.press(adminChat, msg, "add_client_limit_traffic_c 5", "editMessageText"), "5.00 GiB")
		wantButtons(t, h.press(adminChat, msg, "add_client_ch_default_exp", "editMessageText"), "add_client_reset_exp_c 30")
		wantText(t, h.press(adminChat, msg, "add_client_reset_exp_c 30", "editMessageText"), "首次使用后 30 天")
		wantButtons(t, h.press(adminChat, msg, "add_client_ch_default_ip_limit", "editMessageText"), "add_client_ip_limit_c 2", "add_client_default_ip_limit")
		h.press(adminChat, msg, "add_client_ip_limit_c 2", "editMessageText")
		h.press(adminChat, msg, "add_client_ch_default_tg_id", "sendMessage")
		wantText(t, h.ask(adminChat, "x12"), "输入无效")
		wantText(t, h.ask(adminChat, "777"), "777")
		h.press(adminChat, msg, "add_client_ch_default_comment", "sendMessage")
		wantText(t, h.ask(adminChat, "from the bot"), "from the bot")
		card := h.press(adminChat, msg, "add_client_submit_disable", "sendMessage")
		wantText(t, card, "new@x")

		in, c, err := ins.GetClientByEmail("new@x")
		if err != nil {
			t.Fatal(err)
		}
		if in.Id != tro.Id || c.TotalGB != 5*gib || c.ExpiryTime != -30*dayMs || c.LimitIP != 2 || c.Enable ||
			c.Comment != "from the bot" || c.Password == "" || len(c.SubID) != 16 || tgIDOf(c.TgID) != "777" {
			t.Errorf("added client: inbound %d %+v", in.Id, c)
		}
		if r := h.row("new@x"); r.Total != 5*gib || r.Enable || r.InboundId != tro.Id {
			t.Errorf("client_traffics row: %+v", r)
		}
		h.audited("add", "client.add add_client_submit_disable")

		// A taken email: the API's check refuses it naming the field.
		n := countClients(t, h)
		msg = addClientDraft(t, h, tro.Id).MessageID
		h.press(adminChat, msg, "add_client_ch_default_email", "sendMessage")
		h.ask(adminChat, "old@x")
		refused := h.press(adminChat, msg, "add_client_submit_enable", "sendMessage")
		wantText(t, refused, "未添加客户端", "email")
		if got := countClients(t, h); got != n {
			t.Errorf("a refused add changed the clients: %d -> %d", n, got)
		}

		// Cancel adds nothing.
		msg = addClientDraft(t, h, tro.Id).MessageID
		wantText(t, h.press(adminChat, msg, "add_client_cancel", "editMessageText"), "已取消")
		if got := countClients(t, h); got != n {
			t.Errorf("a cancelled add changed the clients: %d -> %d", n, got)
		}
		h.audited("refused and cancelled adds")

		// A Shadowsocks 2022 inbound gets a key of its cipher's size.
		msg = addClientDraft(t, h, ssIn.Id).MessageID
		h.press(adminChat, msg, "add_client_submit_enable", "sendMessage")
		if got := countClients(t, h); got != n+1 {
			t.Fatalf("the Shadowsocks add: %d clients, want %d", got, n+1)
		}
	})
}

// tgIDOf reads a stored tgId (number or string) as text.
func tgIDOf(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return strings.TrimSpace(string(raw))
}

// TestBotAddClientRefusedOnWorker: the bot's writes go through the
// inbound store, which refuses them on a worker: over a worker's store
// the add is answered with the refusal and the database is unchanged
// (MariaDB: the only shared database).
func TestBotAddClientRefusedOnWorker(t *testing.T) {
	t.Parallel()
	db := testdb.Handle(t, dbtest.New(t, dbtest.MariaDB))
	master := inbound.New(db, cluster.NewNode(config.NodeConfig{Role: config.NodeRoleMaster}, true, db))
	in, err := master.AddInbound(inboundtest.Inbound(model.VLESS, freePorts(t, 1)[0], inboundtest.Client(model.VLESS, "w@x")))
	if err != nil {
		t.Fatal(err)
	}
	worker := inbound.New(db, cluster.NewNode(config.NodeConfig{Role: config.NodeRoleWorker, NodeID: "w1"}, true, db))
	h := startHarness(t, db, worker, "en-US")
	n := countClients(t, h)
	msg := addClientDraft(t, h, in.Id).MessageID
	refused := h.press(adminChat, msg, "add_client_submit_enable", "sendMessage")
	wantText(t, refused, "was not added", "this node is a worker")
	card := h.ask(adminChat, "/usage w@x")
	h.settle(adminChat, card.MessageID, "limit_traffic_c w@x 5")
	if got := countClients(t, h); got != n {
		t.Errorf("a worker's bot added a client: %d -> %d", n, got)
	}
	if r := h.row("w@x"); r.Total != 0 {
		t.Errorf("a worker's bot changed the quota: %+v", r)
	}
}
