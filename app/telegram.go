package app

import (
	"net"
	"strconv"
	"strings"

	"github.com/mhsanaei/3x-ui/v2/database/sharedwrite"
	"github.com/mhsanaei/3x-ui/v2/notify"
	"github.com/mhsanaei/3x-ui/v2/notify/telegram"
	"github.com/mhsanaei/3x-ui/v2/sub"
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
		SubLink: a.subscriptionLink, BackupSent: a.backupSentByBot,
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
