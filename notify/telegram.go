package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mhsanaei/3x-ui/v2/settings"
	"gorm.io/gorm"
)

// TelegramTarget is the webhook_id of the Telegram channel's outbox rows:
// like email (EmailTarget) it is one more target of the same outbox, with
// the webhooks' claim, retry and per-target order. Webhook ids start at 1.
const TelegramTarget = -2

// TelegramSender sends an HTML text to every admin chat of the panel's
// bot (telegram.Bot.Notify); it fails while the bot is off.
type TelegramSender interface {
	Notify(ctx context.Context, text string) error
}

// TelegramFunc adapts a function to TelegramSender.
type TelegramFunc func(ctx context.Context, text string) error

// Notify calls f.
func (f TelegramFunc) Notify(ctx context.Context, text string) error { return f(ctx, text) }

// TelegramConfig is what the outbox needs of the bot's settings (tg*).
type TelegramConfig struct {
	Enable      bool
	Configured  bool // a token and at least one admin chat id
	LoginNotify bool
	Events      []string // tgEnabledEvents, v3 names read as ours
	Lang        string
}

// LoadTelegramConfig reads the tg* settings the alerts depend on.
func LoadTelegramConfig(conn *gorm.DB) (TelegramConfig, error) {
	v, err := settings.ReadStrings(conn, "tgBotEnable", "tgBotToken", "tgBotChatId", "tgBotLoginNotify", "tgEnabledEvents", "tgLang")
	if err != nil {
		return TelegramConfig{}, err
	}
	c := TelegramConfig{Lang: strings.TrimSpace(v["tgLang"])}
	c.Enable, _ = strconv.ParseBool(strings.TrimSpace(v["tgBotEnable"]))
	c.LoginNotify, _ = strconv.ParseBool(strings.TrimSpace(v["tgBotLoginNotify"]))
	c.Events = settings.EmailEvents(v["tgEnabledEvents"])
	ids, err := settings.ParseTgChatIDs(v["tgBotChatId"])
	c.Configured = strings.TrimSpace(v["tgBotToken"]) != "" && err == nil && len(ids) > 0
	return c, nil
}

// active reports whether new events are queued for the bot.
func (c TelegramConfig) active() bool { return c.Enable && c.Configured }

// wants reports whether kind becomes a Telegram alert: one of the kinds
// an admin must act on (an admin's own client writes and backups are not
// alerts) that tgEnabledEvents (v3's filter; by default every kind)
// lists, the logins only while tgBotLoginNotify (v2's switch) is on too,
// so a stored v2 or v3 configuration keeps meaning what it meant.
func (c TelegramConfig) wants(kind Kind) bool {
	switch kind {
	case LoginFailed, LoginSucceeded:
		if !c.LoginNotify {
			return false
		}
	case ClientDepleted, ClientExpired, ClientQuota, ClientExpiring, XrayCrashed, XrayRecovered, NodeStale, NodeBack,
		NodeLagging, LeaseMoved, FlushFailing, DBUnreachable, HostCPUHigh, HostMemoryHigh, HostDiskHigh:
	default:
		return false
	}
	return kind != Test && slices.Contains(c.Events, string(kind))
}

// tgAlertTexts are the alert's words by tgLang (the bot's languages:
// en-US and zh-CN; any other answers in English like the bot does).
var tgAlertTexts = map[string]map[string]string{
	"en-US": {
		string(ClientDepleted): "⛔ Client traffic depleted", string(ClientExpired): "⌛ Client expired",
		string(LoginFailed): "🔐 Failed panel login", string(XrayCrashed): "💥 Xray crashed",
		string(XrayRecovered): "✅ Xray recovered", string(NodeStale): "⚠️ Node stopped reporting",
		string(NodeBack): "✅ Node is back", "node": "Node", "time": "Time", "id": "Event id",
		string(ClientQuota): "📊 Client near its traffic quota", string(ClientExpiring): "⏳ Client expires soon",
		string(LoginSucceeded): "🔑 Panel login from a new address", string(NodeLagging): "🐢 Node lags behind",
		string(LeaseMoved): "🔀 Master changed", string(FlushFailing): "⚠️ Traffic flush keeps failing",
		string(DBUnreachable): "🔌 Node lost the database", string(HostCPUHigh): "🔥 High CPU",
		string(HostMemoryHigh): "🔥 High memory use", string(HostDiskHigh): "💾 Disk almost full",
	},
	"zh-CN": {
		string(ClientDepleted): "⛔ 客户端流量已耗尽", string(ClientExpired): "⌛ 客户端已过期",
		string(LoginFailed): "🔐 面板登录失败", string(XrayCrashed): "💥 Xray 已崩溃",
		string(XrayRecovered): "✅ Xray 已恢复", string(NodeStale): "⚠️ 节点停止上报",
		string(NodeBack): "✅ 节点已恢复", "node": "节点", "time": "时间", "id": "事件 ID",
		string(ClientQuota): "📊 客户端流量即将用尽", string(ClientExpiring): "⏳ 客户端即将到期",
		string(LoginSucceeded): "🔑 新地址登录面板", string(NodeLagging): "🐢 节点同步落后",
		string(LeaseMoved): "🔀 主节点已切换", string(FlushFailing): "⚠️ 流量写入持续失败",
		string(DBUnreachable): "🔌 节点曾与数据库断开", string(HostCPUHigh): "🔥 CPU 占用过高",
		string(HostMemoryHigh): "🔥 内存占用过高", string(HostDiskHigh): "💾 磁盘空间不足",
	},
}

// An alert is one Telegram message, which may not exceed 4096 characters
// (a longer one is refused, and would be retried in vain): each payload
// value is cut to tgValueMax runes and fields stop once the text passes
// tgPayloadBudget bytes. Telegram counts characters after HTML parsing,
// so the escapes count once and bytes bound characters: at most the
// budget, one more field line and the short header and id lines.
const (
	tgValueMax      = 200
	tgPayloadBudget = 2000
)

// clipRunes cuts s to n runes, marking the cut.
func clipRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// TelegramText is an event as the bot's HTML message in lang: a title,
// the node, the time, each payload field on its own line and the event
// id (Telegram has no idempotency key: a message sent again after a
// master died mid-send carries the same id, so a reader can tell).
func TelegramText(lang string, ev Event) string {
	t, ok := tgAlertTexts[lang]
	if !ok {
		t = tgAlertTexts["en-US"]
	}
	title, ok := t[string(ev.Kind)]
	if !ok {
		title = "🔔 " + string(ev.Kind)
	}
	node := ev.NodeID
	if node == "" {
		node = "local"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<b>%s</b> (<code>%s</code>)\n%s: %s\n%s: %s\n", html.EscapeString(title), html.EscapeString(string(ev.Kind)),
		t["node"], html.EscapeString(node), t["time"], ev.Time.UTC().Format(time.RFC3339))
	var fields map[string]json.RawMessage
	if json.Unmarshal(ev.Payload, &fields) == nil {
		keys := make([]string, 0, len(fields))
		for k := range fields {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if b.Len() > tgPayloadBudget {
				b.WriteString("…\n") // the full payload is in the event list
				break
			}
			val := string(fields[k])
			var s string
			if json.Unmarshal(fields[k], &s) == nil {
				val = s // a string without its quotes
			}
			fmt.Fprintf(&b, "%s: <code>%s</code>\n", html.EscapeString(clipRunes(k, tgValueMax)), html.EscapeString(clipRunes(val, tgValueMax)))
		}
	} else if len(ev.Payload) > 0 {
		fmt.Fprintf(&b, "<code>%s</code>\n", html.EscapeString(clipRunes(string(ev.Payload), tgValueMax)))
	}
	fmt.Fprintf(&b, "%s: <code>%s</code>", t["id"], html.EscapeString(ev.ID))
	return b.String()
}
