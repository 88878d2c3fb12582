package app

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/notify"
	"github.com/mhsanaei/3x-ui/v2/notify/smtptest"
	"github.com/mhsanaei/3x-ui/v2/settings"
)

const (
	appMailUser = "panel"
	appMailPass = "app-mail-password-9"
)

// The email settings and the "send test" route over HTTP, against a real
// SMTP server (STARTTLS and AUTH): bad values are 400s naming the field
// and change nothing; the password reads back masked and the mask saved
// back keeps it; the test route mails now, and an unreachable host, a
// closed port or a refused login are 400s naming smtpHost, smtpPort,
// smtpPassword; a failed login then arrives as exactly one email.
func TestEmailSettingsTestRouteAndFailedLoginMail(t *testing.T) {
	t.Parallel() // own database, App and SMTP server
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		srv := smtptest.Start(t, smtptest.Options{Mode: "starttls", User: appMailUser, Pass: appMailPass})
		env := newEnvWith(t, b, Options{Notify: notify.DispatcherOptions{Timeout: 5 * time.Second, EmailRoots: srv.Roots}})
		c := env.loggedIn()
		before := env.dbState(t)
		for _, bad := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"smtpHost": "smtp://mail.example.com:25"}, "smtpHost"},
			{map[string]any{"smtpPort": 70000}, "smtpPort"},
			{map[string]any{"smtpPort": 0}, "smtpPort"},
			{map[string]any{"smtpEncryptionType": "ssl"}, "smtpEncryptionType"},
			{map[string]any{"smtpFrom": "panel at example"}, "smtpFrom"},
			{map[string]any{"smtpTo": "a@example.com, nobody"}, "smtpTo"},
			{map[string]any{"smtpEnabledEvents": "login.failed,outbound.down"}, "smtpEnabledEvents"},
			{map[string]any{"smtpUsername": "a\r\nRCPT TO:<x@y>"}, "smtpUsername"},
			{map[string]any{"smtpEnable": true}, "smtpHost"},
			{map[string]any{"smtpEnable": true, "smtpHost": "127.0.0.1", "smtpFrom": "a@example.org"}, "smtpTo"},
		} {
			c.api("POST", "setting/update", bad.body).expectFail(http.StatusBadRequest, bad.field)
		}
		if env.dbState(t) != before {
			t.Fatal("refused email settings changed the database")
		}
		c.api("POST", "setting/update", map[string]any{"smtpEnable": true, "smtpHost": "127.0.0.1", "smtpPort": srv.Port,
			"smtpEncryptionType": "starttls", "smtpUsername": appMailUser, "smtpPassword": appMailPass,
			"smtpFrom": "panel@example.org", "smtpTo": "admin@example.net", "smtpEnabledEvents": "login.failed"}).expectOK()
		all := c.api("GET", "setting/all", nil).expectOK()
		if obj := all.obj(); obj["smtpPassword"] != settings.SecretMask || strings.Contains(string(all.Raw), appMailPass) {
			t.Fatalf("setting/all shows smtpPassword %v: want the mask and never the password", obj["smtpPassword"])
		}
		// A form saving every field sends the mask back: the password stays.
		c.api("POST", "setting/update", map[string]any{"smtpPassword": settings.SecretMask, "smtpFromName": "x-ui"}).expectOK()

		sent := c.api("POST", "notify/email/test", nil).expectOK().obj()
		got := srv.Messages(t)
		if len(got) != 1 || got[0].Header.Get("Message-ID") != sent["messageId"] || got[0].Auth != appMailUser || !got[0].TLS {
			t.Fatalf("test route answered %v, server has %d mails: want the one test mail, logged in over STARTTLS", sent, len(got))
		}
		closed := smtptest.Start(t, smtptest.Options{Mode: "no"})
		closed.Down()
		before = env.dbState(t)
		for _, bad := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"smtpHost": "no-such-host.invalid"}, "smtpHost"},
			{map[string]any{"smtpHost": "http://x"}, "smtpHost"},
			{map[string]any{"smtpPort": closed.Port}, "smtpPort"},
			{map[string]any{"smtpPort": 123456}, "smtpPort"},
			{map[string]any{"smtpPassword": "not-the-password"}, "smtpPassword"},
			{map[string]any{"smtpTo": ""}, "smtpTo"},
			{map[string]any{"webPort": 1}, "webPort"},
		} {
			c.api("POST", "notify/email/test", bad.body).expectFail(http.StatusBadRequest, bad.field)
		}
		if env.dbState(t) != before || len(srv.Messages(t)) != 1 {
			t.Fatal("a refused email test changed the database or sent mail")
		}

		stranger := env.client()
		stranger.remote = "198.51.100.7:5000"
		stranger.do("POST", "login", map[string]string{"username": "admin", "password": "Wrong-Guess-2"}).
			expectFail(http.StatusUnauthorized, "wrong username or password")
		for range 3 { // more passes send nothing more
			if err := env.app.notify.dispatcher.RunOnce(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		events := c.api("GET", "notify/events?kind=login.failed", nil).expectOK().obj()["items"].([]any)
		got = srv.Messages(t)
		if len(events) != 1 || len(got) != 2 {
			t.Fatalf("%d events, %d mails: want one failed login mailed once after the test mail", len(events), len(got))
		}
		id := events[0].(map[string]any)["id"].(string)
		if want := "<" + id + ".x-ui@example.org>"; got[1].Header.Get("Message-ID") != want || !strings.Contains(got[1].Body, "198.51.100.7") {
			t.Fatalf("mail Message-ID %q body %q: want %q and the address", got[1].Header.Get("Message-ID"), got[1].Body, want)
		}
		emailLog := c.api("GET", "notify/deliveries?webhookId=email", nil).expectOK().obj()
		if emailLog["total"].(float64) != 1 {
			t.Fatalf("email delivery log %v: want the one delivery", emailLog)
		}
	})
}
