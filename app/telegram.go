package app

import (
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/mhsanaei/3x-ui/v2/database/sharedwrite"
	"github.com/mhsanaei/3x-ui/v2/notify"
	"github.com/mhsanaei/3x-ui/v2/notify/telegram"
	"github.com/mhsanaei/3x-ui/v2/sub"
	"github.com/mhsanaei/3x-ui/v2/sub/links"
	"github.com/mhsanaei/3x-ui/v2/sub/profile"
)

// buildTelegram makes the Telegram bot on a master only: one bot answers
// for the whole cluster (workers share the master's settings table and
// would otherwise poll the same token and fight over its updates).
func (a *App) buildTelegram() {
	if a.Node.IsWorker() {
		return
	}
	a.Telegram = telegram.New(telegram.Deps{
		Settings: a.Settings, Inbounds: a.Inbounds, Status: a.Status, Backups: a.Backup, Xray: a.Xray,
		IPLimit: a.IPLimit, SubLink: a.subscriptionLink, Links: a.clientLinks,
		Audit: a.Audit, BackupSent: a.backupSentByBot,
	})
}

// telegramChanged restarts the bot's session with fresh settings after a
// settings write (a fan-out step).
func (a *App) telegramChanged(ch sharedwrite.Change) error {
	if a.Telegram != nil && ch.Settings {
		a.Telegram.Reload()
	}
	return nil
}

// clientLinks are the share links (vless://, vmess://, trojan://, ss://)
// of the client with email, as its subscription serves them: one per
// live node, or one at the subscription's public name (subDomain, else
// the panel's domain) on a single node; none for a client without a
// subId, disabled, or when no public name is known.
func (a *App) clientLinks(email string) []string {
	_, c, err := a.Inbounds.GetClientByEmail(email)
	if err != nil || c.SubID == "" {
		return nil
	}
	return a.subLinks(c.SubID, email, "")
}

// subLinks are the share links of subscription subID (only email's when
// email is set) as the subscription serves them; reqHost is the address
// the caller reached the panel at, used when no public name is set (the
// clients/subLinks API, as 3x-ui v3 does).
func (a *App) subLinks(subID, email, reqHost string) []string {
	all, err := a.Settings.GetAllSettings()
	if err != nil {
		return nil
	}
	set := sub.SettingsFrom(all)
	host := set.Domain
	if host == "" {
		host = a.Cfg.WebDomain
	}
	if host == "" {
		host = reqHost
	}
	inbounds, err := sub.DBInbounds(a.DB)
	if err != nil {
		slog.Warn("subscription links", "err", err)
		return nil
	}
	every := time.Duration(a.Node.Config().SyncIntervalSeconds) * time.Second
	nodes, err := sub.DBLiveNodes(a.DB, every, time.Now(), false)
	if err != nil {
		nodes = nil // a single node's links at host
	}
	if len(nodes) == 0 && host == "" {
		return nil
	}
	p := profile.Collect(inbounds, nodes, subID, profile.Options{Host: host, RemarkModel: set.RemarkModel, Now: time.Now()})
	if p == nil {
		return nil
	}
	var out []string
	for _, e := range p.Entries {
		if email == "" || strings.EqualFold(e.Client.Email, email) {
			out = append(out, links.Link(e))
		}
	}
	return out
}

// subscriptionLink is a client's subscription URL as a client app should
// fetch it: subURI when set, else the subscription server at subDomain
// (or the panel's domain), "" when the server is off or has no public
// name (a bot message cannot use the address a browser came from).
func (a *App) subscriptionLink(subID string) string {
	all, err := a.Settings.GetAllSettings()
	if err != nil {
		return ""
	}
	set := sub.SettingsFrom(all)
	if !set.Enable || subID == "" {
		return ""
	}
	if set.URI != "" {
		return strings.TrimRight(set.URI, "/") + "/" + subID
	}
	host := set.Domain
	if host == "" {
		host = a.Cfg.WebDomain
	}
	if host == "" {
		return ""
	}
	scheme := "http"
	if set.CertFile != "" && set.KeyFile != "" {
		scheme = "https"
	}
	return scheme + "://" + net.JoinHostPort(host, strconv.Itoa(set.Port)) + set.Path + subID
}

// backupSentByBot records backup.done for a backup the bot sent.
func (a *App) backupSentByBot(file, path, chat string) {
	a.notify.events.BackupDone(notify.BackupViaTelegram, file, path, chat)
}
