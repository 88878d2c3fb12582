package settings_test

import (
	"strings"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/testdb"
	"github.com/mhsanaei/3x-ui/v2/errs"
	"github.com/mhsanaei/3x-ui/v2/errs/errstest"
	"github.com/mhsanaei/3x-ui/v2/settings"
)

const goodToken = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ"

func TestTelegramSettingsDefaultsAndChecks(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		s := settings.New(testdb.Handle(t, b), nil)
		all, err := s.GetAllSettings()
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]any{
			"tgBotEnable": false, "tgBotToken": "", "tgBotChatId": "", "tgRunTime": "@daily",
			"tgBotBackup": false, "tgBotLoginNotify": true, "tgCpu": 80, "tgMemory": 80,
			"tgLang": "en-US", "tgBotProxy": "", "tgBotAPIServer": "",
			"tgEnabledEvents": strings.Join(settings.EmailEventKinds(), ","), // every kind
		}
		for k, v := range want {
			if all[k] != v {
				t.Errorf("default %s = %#v, want %#v", k, all[k], v)
			}
		}
		bad := []struct {
			key   string
			value any
		}{
			{"tgBotToken", "123456789:short"},
			{"tgBotToken", "abc:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ"},
			{"tgBotToken", "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw!"},
			{"tgBotChatId", "12,abc"},
			{"tgBotChatId", "1.5"},
			{"tgBotAPIServer", "ftp://api.example.com"},
			{"tgBotAPIServer", "api.example.com"},
			{"tgBotProxy", "gopher://p:1"},
			{"tgRunTime", "every day"},
			{"tgRunTime", "61 * * * *"},
			{"tgCpu", 101},
			{"tgLang", "english"},
			{"tgBotEnable", "maybe"},
			{"tgEnabledEvents", "login.failed,outbound.down"}, // a v3 kind with no counterpart
			{"tgEnabledEvents", "test"},
		}
		for _, c := range bad {
			// With a good key beside it: a refused update stores nothing.
			values := map[string]any{"tgBotEnable": true, "tgCpu": 50}
			values[c.key] = c.value
			err := s.UpdateSettings(values)
			errstest.Want(t, err, errs.KindInvalid, c.key)
			if err != nil && !strings.Contains(err.Error(), c.key) {
				t.Errorf("%s=%v: error %q does not name the field", c.key, c.value, err)
			}
		}
		if cpu, _ := s.GetInt("tgCpu"); cpu != 80 {
			t.Fatal("a refused update stored tgCpu")
		}
		err = s.UpdateSettings(map[string]any{
			"tgBotEnable": true, "tgBotToken": " " + goodToken + " ", "tgBotChatId": " 42, -1001234 ,",
			"tgRunTime": "0 30 8 * * *", "tgBotAPIServer": "http://127.0.0.1:8081/", "tgBotProxy": "socks5://127.0.0.1:1080",
			"tgLang": "zh-CN", "tgCpu": 90, "tgEnabledEvents": " xray.crash, login.attempt,node.down,xray.crash",
		})
		if err != nil {
			t.Fatal(err)
		}
		// v3's kind names are stored as ours, once each.
		for k, v := range map[string]string{"tgBotToken": goodToken, "tgBotChatId": "42,-1001234", "tgBotAPIServer": "http://127.0.0.1:8081",
			"tgEnabledEvents": "xray.crashed,login.failed,node.stale"} {
			if got, _ := s.GetString(k); got != v {
				t.Errorf("%s stored %q, want %q", k, got, v)
			}
		}
		// The mask setting/all shows keeps the stored token; another
		// bot's mask is no token.
		if err := s.SetString("tgBotToken", settings.MaskTgToken(goodToken)); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.GetString("tgBotToken"); got != goodToken {
			t.Errorf("writing the mask stored %q", got)
		}
		errstest.Want(t, s.SetString("tgBotToken", settings.MaskTgToken("42:x")), errs.KindInvalid, "tgBotToken")
		for _, rt := range []string{"@daily", "@every 6h", "0 8 * * *", "@hourly"} {
			if err := s.SetString("tgRunTime", rt); err != nil {
				t.Errorf("tgRunTime %q refused: %v", rt, err)
			}
		}
	})
}
