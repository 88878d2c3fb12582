package notify

import (
	"slices"

	"github.com/mhsanaei/3x-ui/v2/settings"
)

// KindTargets says where events of one kind can go: every kind can go to
// a webhook that subscribes to it; Email says whether smtpEnabledEvents
// may list it; Telegram is "always", "never" or the name of the one
// setting that switches it (tgBotLoginNotify), as the dispatcher decides.
type KindTargets struct {
	Kind     Kind   `json:"kind"`
	Email    bool   `json:"email"`
	Telegram string `json:"telegram"`
}

// KindList is the kinds route's answer, derived from the same rules the
// dispatcher applies so the UI cannot show a choice that does not exist.
func KindList() []KindTargets {
	on, off := TelegramConfig{LoginNotify: true}, TelegramConfig{}
	out := make([]KindTargets, 0, len(Kinds()))
	for _, k := range Kinds() {
		kt := KindTargets{Kind: k, Email: slices.Contains(settings.EmailEventKinds(), string(k)), Telegram: "never"}
		switch {
		case on.wants(k) && off.wants(k):
			kt.Telegram = "always"
		case on.wants(k):
			kt.Telegram = "tgBotLoginNotify"
		}
		out = append(out, kt)
	}
	return out
}
