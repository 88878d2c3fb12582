package telegram

import "fmt"

// texts are the bot's words by tgLang; a language without its own table
// answers in English (v3's other languages are stored but not spoken).
var texts = map[string]map[string]string{
	"en-US": {
		"refused":        "⛔ You are not allowed to use this bot. Your id: <code>%d</code>",
		"testMessage":    "✅ Test message from the x-ui panel: alerts reach this chat.",
		"unknown":        "❗ Unknown command. Send /help.",
		"start":          "👋 Hello %s!",
		"welcomeAdmin":   "🤖 This bot manages the x-ui panel on <b>%s</b>.",
		"choose":         "Choose an action:",
		"helpAdmin":      "Commands:\n/status – server status\n/usage &lt;email&gt; – a client's usage\n/inbound – inbounds\n/restart – restart Xray\n/id – your chat id",
		"helpClient":     "Commands:\n/usage – your usage and expiry\n/id – your chat id",
		"id":             "🆔 Your id: <code>%d</code>",
		"status":         "🖥 <b>Status</b>\nXray: %s %s\nCPU: %.1f%%\nMemory: %s / %s\nUptime: %s\nOnline clients: %d",
		"usagePrompt":    "Send /usage &lt;email&gt;.",
		"notFound":       "❗ No client with email %s.",
		"usage":          "📧 <b>%s</b>\nEnabled: %s\n🔼 Up: %s\n🔽 Down: %s\n📊 Total: %s / %s\n📅 Expires: %s",
		"subLink":        "🔗 Subscription: %s",
		"noClient":       "❗ No client is bound to your Telegram id.",
		"inbound":        "📍 <b>%s</b> (%s, port %d)\n🔼 %s 🔽 %s, clients: %d",
		"noInbounds":     "No inbounds.",
		"restartAsk":     "⚠️ Restart Xray?",
		"restartDone":    "✅ Xray restarted.",
		"restartFailed":  "❌ Restart failed: %s",
		"cancelled":      "Cancelled.",
		"deplete":        "⏳ <b>%s</b>: %s left, expires %s",
		"depleteNone":    "No client is about to run out.",
		"onlines":        "🟢 Online (%d): %s",
		"backupCaption":  "🗄 Database backup %s",
		"backupFailed":   "❌ Backup failed: %s",
		"report":         "📊 Scheduled report",
		"unlimited":      "∞",
		"never":          "never",
		"yes":            "yes",
		"no":             "no",
		"btnUsage":       "📊 Server usage",
		"btnCommands":    "📖 Commands",
		"btnInbounds":    "📍 Inbounds",
		"btnDeplete":     "⏳ About to deplete",
		"btnBackup":      "🗄 Backup",
		"btnOnlines":     "🟢 Online",
		"btnRestart":     "🔄 Restart Xray",
		"btnConfirm":     "✅ Confirm",
		"btnCancel":      "❌ Cancel",
		"btnMyUsage":     "📊 My usage",
		"btnQR":          "🔳 QR code",
		"noLink":         "No subscription link is available.",
		"xrayRunning":    "running",
		"xrayNotRunning": "not running",
	},
	"zh-CN": {
		"refused":        "⛔ 你无权使用此机器人。你的 ID：<code>%d</code>",
		"testMessage":    "✅ 来自 x-ui 面板的测试消息：告警会发到此聊天。",
		"unknown":        "❗ 未知命令。发送 /help。",
		"start":          "👋 你好 %s！",
		"welcomeAdmin":   "🤖 此机器人管理 <b>%s</b> 上的 x-ui 面板。",
		"choose":         "请选择操作：",
		"helpAdmin":      "命令：\n/status – 服务器状态\n/usage &lt;邮箱&gt; – 客户端用量\n/inbound – 入站列表\n/restart – 重启 Xray\n/id – 你的聊天 ID",
		"helpClient":     "命令：\n/usage – 你的用量和到期时间\n/id – 你的聊天 ID",
		"id":             "🆔 你的 ID：<code>%d</code>",
		"status":         "🖥 <b>状态</b>\nXray：%s %s\nCPU：%.1f%%\n内存：%s / %s\n运行时间：%s\n在线客户端：%d",
		"usagePrompt":    "请发送 /usage &lt;邮箱&gt;。",
		"notFound":       "❗ 没有邮箱为 %s 的客户端。",
		"usage":          "📧 <b>%s</b>\n已启用：%s\n🔼 上传：%s\n🔽 下载：%s\n📊 总计：%s / %s\n📅 到期：%s",
		"subLink":        "🔗 订阅：%s",
		"noClient":       "❗ 没有客户端绑定到你的 Telegram ID。",
		"inbound":        "📍 <b>%s</b>（%s，端口 %d）\n🔼 %s 🔽 %s，客户端：%d",
		"noInbounds":     "没有入站。",
		"restartAsk":     "⚠️ 确定重启 Xray？",
		"restartDone":    "✅ Xray 已重启。",
		"restartFailed":  "❌ 重启失败：%s",
		"cancelled":      "已取消。",
		"deplete":        "⏳ <b>%s</b>：剩余 %s，到期 %s",
		"depleteNone":    "没有即将耗尽的客户端。",
		"onlines":        "🟢 在线（%d）：%s",
		"backupCaption":  "🗄 数据库备份 %s",
		"backupFailed":   "❌ 备份失败：%s",
		"report":         "📊 定时报告",
		"unlimited":      "无限",
		"never":          "永不",
		"yes":            "是",
		"no":             "否",
		"btnUsage":       "📊 服务器用量",
		"btnCommands":    "📖 命令",
		"btnInbounds":    "📍 入站",
		"btnDeplete":     "⏳ 即将耗尽",
		"btnBackup":      "🗄 备份",
		"btnOnlines":     "🟢 在线",
		"btnRestart":     "🔄 重启 Xray",
		"btnConfirm":     "✅ 确认",
		"btnCancel":      "❌ 取消",
		"btnMyUsage":     "📊 我的用量",
		"btnQR":          "🔳 二维码",
		"noLink":         "没有可用的订阅链接。",
		"xrayRunning":    "运行中",
		"xrayNotRunning": "未运行",
	},
}

// tr formats the text key in lang (English when lang has no table).
func tr(lang, key string, args ...any) string {
	t, ok := texts[lang]
	if !ok {
		t = texts["en-US"]
	}
	s, ok := t[key]
	if !ok {
		s = texts["en-US"][key]
	}
	if len(args) == 0 {
		return s
	}
	return fmt.Sprintf(s, args...)
}
