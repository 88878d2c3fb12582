package app

import (
	"github.com/mhsanaei/3x-ui/v2/database/sharedwrite"
	"github.com/mhsanaei/3x-ui/v2/notify/telegram"
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
