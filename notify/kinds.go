package notify

import (
	"slices"

	"github.com/mhsanaei/3x-ui/v2/settings"
)

// KindTargets says where events of one kind can go: every kind can go to
// a webhook that subscribes to it; Email and Telegram say whether
// smtpEnabledEvents and tgEnabledEvents may list it, and TelegramAlso
// names a second switch the kind needs on Telegram (tgBotLoginNotify).
type KindTargets struct {
	Kind         Kind   `json:"kind"`
	Email        bool   `json:"email"`
	Telegram     bool   `json:"telegram"`
	TelegramAlso string `json:"telegramAlso,omitempty"`
}

// KindList is the kinds route's answer, derived from the same rules the
// dispatcher applies so the UI cannot show a choice that does not exist.
func KindList() []KindTargets {
	out := make([]KindTargets, 0, len(Kinds()))
	for _, k := range Kinds() {
		listed := TelegramConfig{Events: []string{string(k)}}
		kt := KindTargets{Kind: k, Email: slices.Contains(settings.EmailEventKinds(), string(k))}
		switch {
		case listed.wants(k):
			kt.Telegram = true
		case (TelegramConfig{Events: listed.Events, LoginNotify: true}).wants(k):
			kt.Telegram, kt.TelegramAlso = true, "tgBotLoginNotify"
		}
		out = append(out, kt)
	}
	return out
}
