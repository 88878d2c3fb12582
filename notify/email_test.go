package notify_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/cluster"
	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/testdb"
	"github.com/mhsanaei/3x-ui/v2/errs"
	"github.com/mhsanaei/3x-ui/v2/notify"
	"github.com/mhsanaei/3x-ui/v2/notify/smtptest"
	"github.com/mhsanaei/3x-ui/v2/settings"
)

const (
	mailUser = "alerts"
	mailPass = "mail-test-password-7"
)

// setEmail stores the smtp* settings pointing at srv (mode and login as
// the server was started with).
func (r rig) setEmail(t *testing.T, srv *smtptest.Server, mode string, extra map[string]any) {
	t.Helper()
	values := map[string]any{"smtpEnable": true, "smtpHost": "127.0.0.1", "smtpPort": srv.Port, "smtpEncryptionType": mode,
		"smtpUsername": mailUser, "smtpPassword": mailPass, "smtpFrom": "panel@example.org", "smtpFromName": "x-ui panel",
		"smtpTo": "admin@example.net, ops@example.com", "smtpEnabledEvents": "login.failed,xray.crashed"}
	for k, v := range extra {
		values[k] = v
	}
	if err := settings.New(r.h, r.master).UpdateSettings(values); err != nil {
		t.Fatal(err)
	}
}

func emailOpts(srv *smtptest.Server) notify.DispatcherOptions {
	o := fast
	o.EmailRoots = srv.Roots
	return o
}

// waitMail polls srv for n messages, at most a minute.
func waitMail(t *testing.T, srv *smtptest.Server, n int, tick func()) []smtptest.Message {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		if tick != nil {
			tick()
		}
		got := srv.Messages(t)
		if len(got) >= n || time.Now().After(deadline) {
			return got
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A recorded event the email filter takes becomes exactly one mail to the
// whole list over STARTTLS with AUTH, whose Message-ID is derived from
// the event id; an event it does not take and a worker send none.
func TestRecordedEventBecomesExactlyOneEmail(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		t.Parallel()
		r := newRig(t, b)
		srv := smtptest.Start(t, smtptest.Options{Mode: "starttls", User: mailUser, Pass: mailPass})
		r.setEmail(t, srv, "starttls", nil)
		ev, err := r.rec.Record(context.Background(), nil, notify.New(notify.XrayCrashed, map[string]any{"reason": "exit status 1"}))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.rec.Record(context.Background(), nil, notify.New(notify.XrayRecovered, nil)); err != nil {
			t.Fatal(err) // not in smtpEnabledEvents
		}
		worker := cluster.NewNode(config.NodeConfig{Role: config.NodeRoleWorker, NodeID: "w1"}, true, r.h)
		if err := notify.NewDispatcher(r.h, worker, emailOpts(srv)).RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		if rows := deliveries(t, r.h); len(rows) != 0 || len(srv.Messages(t)) != 0 {
			t.Fatalf("a worker's dispatcher queued %+v or mailed", rows)
		}
		d := notify.NewDispatcher(r.h, r.master, emailOpts(srv))
		got := waitMail(t, srv, 1, func() {
			if err := d.RunOnce(context.Background()); err != nil {
				t.Fatal(err)
			}
		})
		// More passes send nothing more: the delivery is settled.
		for range 3 {
			if err := d.RunOnce(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		got = srv.Messages(t)
		if len(got) != 1 {
			t.Fatalf("server got %d mails, want exactly 1", len(got))
		}
		m := got[0]
		if want := "<" + ev.ID + ".x-ui@example.org>"; m.Header.Get("Message-ID") != want {
			t.Fatalf("Message-ID %q, want %q", m.Header.Get("Message-ID"), want)
		}
		if !m.TLS || m.Auth != mailUser || !slices.Equal(m.Rcpt, []string{"admin@example.net", "ops@example.com"}) {
			t.Fatalf("mail tls=%v auth=%q rcpt=%v: want STARTTLS, the login and both recipients", m.TLS, m.Auth, m.Rcpt)
		}
		for _, want := range []string{"xray.crashed", "m1", ev.ID, "exit status 1", ev.Time.UTC().Format(time.RFC3339)} {
			if !strings.Contains(m.Body, want) {
				t.Fatalf("body %q lacks %q", m.Body, want)
			}
		}
		if !strings.Contains(m.Header.Get("Subject"), "xray.crashed") {
			t.Fatalf("subject %q", m.Header.Get("Subject"))
		}
		rows := deliveries(t, r.h)
		if len(rows) != 1 || rows[0].WebhookID != notify.EmailTarget || rows[0].Status != string(notify.StatusDelivered) {
			t.Fatalf("deliveries %+v: want one delivered email row", rows)
		}
	})
}

// An SMTP server that is down gets the mail once it is up again, from the
// same outbox retries as a webhook; implicit TLS this time.
func TestEmailServerDownThenUpGetsTheMail(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		t.Parallel()
		r := newRig(t, b)
		srv := smtptest.Start(t, smtptest.Options{Mode: "tls", User: mailUser, Pass: mailPass})
		r.setEmail(t, srv, "tls", nil)
		srv.Down()
		ids := r.record(t, 0, 2)
		d := notify.NewDispatcher(r.h, r.master, emailOpts(srv))
		deadline := time.Now().Add(time.Minute)
		for {
			if err := d.RunOnce(context.Background()); err != nil {
				t.Fatal(err)
			}
			rows := deliveries(t, r.h)
			if len(rows) == 2 && rows[0].Attempts >= 2 {
				if rows[0].Status != string(notify.StatusPending) || !strings.Contains(rows[0].LastError, "smtpPort") {
					t.Fatalf("while down: %+v, want pending with the refused port named", rows[0])
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no retried email delivery: %+v", rows)
			}
			time.Sleep(10 * time.Millisecond)
		}
		srv.Up(t)
		got := waitMail(t, srv, 2, func() {
			if err := d.RunOnce(context.Background()); err != nil {
				t.Fatal(err)
			}
		})
		if len(got) != 2 {
			t.Fatalf("got %d mails after the server came back, want 2", len(got))
		}
		for i, id := range ids {
			if want := "<" + id + ".x-ui@example.org>"; got[i].Header.Get("Message-ID") != want || !got[i].TLS {
				t.Fatalf("mail %d: Message-ID %q tls=%v, want %q in order over TLS", i, got[i].Header.Get("Message-ID"), got[i].TLS, want)
			}
		}
	})
}

// Send answers an error naming the setting to fix.
func TestMailerNamesTheFieldOnFailure(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t, smtptest.Options{Mode: "starttls", User: mailUser, Pass: mailPass})
	good := notify.EmailConfig{Enable: true, Host: "127.0.0.1", Port: srv.Port, Encryption: notify.EncryptStartTLS,
		Username: mailUser, Password: mailPass, From: "panel@example.org", To: []string{"admin@example.net"}}
	m := notify.NewMailer(5*time.Second, srv.Roots)
	ev := notify.New(notify.Test, nil)
	ev.ID, ev.Time = "0123456789abcdef0123456789abcdef", time.Now()
	if _, err := m.Send(context.Background(), good, ev); err != nil {
		t.Fatal(err)
	}
	down := smtptest.Start(t, smtptest.Options{Mode: "no"})
	down.Down()
	for _, c := range []struct {
		edit  func(*notify.EmailConfig)
		field string
	}{
		{func(c *notify.EmailConfig) { c.Password = "wrong" }, "smtpPassword"},
		{func(c *notify.EmailConfig) { c.Host = "no-such-host.invalid" }, "smtpHost"},
		{func(c *notify.EmailConfig) { c.Port = down.Port }, "smtpPort"},
		{func(c *notify.EmailConfig) { c.Host = "" }, "smtpHost"},
		{func(c *notify.EmailConfig) { c.To = nil }, "smtpTo"},
		{func(c *notify.EmailConfig) { c.Encryption = notify.EncryptTLS }, "smtpEncryptionType"},
		// The server requires STARTTLS: plain is refused, login or not.
		{func(c *notify.EmailConfig) { c.Encryption = notify.EncryptNone }, "smtpEncryptionType"},
		{func(c *notify.EmailConfig) { c.Encryption, c.Username = notify.EncryptNone, "" }, "smtpEncryptionType"},
	} {
		cfg := good
		c.edit(&cfg)
		_, err := m.Send(context.Background(), cfg, ev)
		var e *errs.Error
		if !errors.As(err, &e) || e.Field != c.field {
			t.Errorf("%+v: error %v, want one naming %s", cfg, err, c.field)
		}
	}
	if n := len(srv.Messages(t)); n != 1 {
		t.Fatalf("server got %d mails, want only the good one", n)
	}
}

// A server that offers AUTH LOGIN and not PLAIN gets LOGIN, and a wrong
// password there names smtpPassword too.
func TestMailerLogsInWithAuthLogin(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t, smtptest.Options{Mode: "tls", User: mailUser, Pass: mailPass, LoginOnly: true})
	cfg := notify.EmailConfig{Enable: true, Host: "localhost", Port: srv.Port, Encryption: notify.EncryptTLS,
		Username: mailUser, Password: mailPass, From: "panel@example.org", To: []string{"admin@example.net"}}
	m := notify.NewMailer(5*time.Second, srv.Roots)
	ev := notify.New(notify.Test, nil)
	ev.ID, ev.Time = "fedcba9876543210fedcba9876543210", time.Now()
	if _, err := m.Send(context.Background(), cfg, ev); err != nil {
		t.Fatal(err)
	}
	cfg.Password = "wrong"
	var e *errs.Error
	if _, err := m.Send(context.Background(), cfg, ev); !errors.As(err, &e) || e.Field != "smtpPassword" {
		t.Fatalf("wrong password: %v, want an error naming smtpPassword", err)
	}
	if got := srv.Messages(t); len(got) != 1 || got[0].Auth != mailUser || !got[0].TLS {
		t.Fatalf("server got %+v: want one mail, logged in over TLS", got)
	}
}

// settings' list of mailable kinds is notify's, without the test kind.
func TestEmailKindsMatchNotify(t *testing.T) {
	var want []string
	for _, k := range notify.Kinds() {
		if k != notify.Test {
			want = append(want, string(k))
		}
	}
	if fmt.Sprint(settings.EmailEventKinds()) != fmt.Sprint(want) {
		t.Fatalf("settings.EmailEventKinds() %v, notify.Kinds() %v", settings.EmailEventKinds(), want)
	}
}

// A master that died after the server took the mail but before storing
// it leaves the row pending under a claim; once the claim runs out the
// next master mails the event again with the same Message-ID, which is
// what lets mail systems drop the copy.
func TestEmailResentAfterADeadMasterKeepsItsMessageID(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		t.Parallel()
		r := newRig(t, b)
		srv := smtptest.Start(t, smtptest.Options{Mode: "starttls", User: mailUser, Pass: mailPass})
		r.setEmail(t, srv, "starttls", nil)
		ids := r.record(t, 0, 1)
		if err := notify.NewDispatcher(r.h, r.master, emailOpts(srv)).RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := srv.Messages(t); len(got) != 1 {
			t.Fatalf("first master: %d mails, want 1", len(got))
		}
		// What a master killed between the 250 and storing it leaves: the
		// row pending, claimed until shortly.
		claimed := time.Now().Add(50 * time.Millisecond).UnixMilli()
		testdb.ExecOn(t, r.h, "UPDATE notify_deliveries SET status = ?, delivered_at = 0, next_attempt_at = ? WHERE event_id = ?",
			string(notify.StatusPending), claimed, ids[0])
		next := notify.NewDispatcher(r.h, r.master, emailOpts(srv))
		got := waitMail(t, srv, 2, func() {
			if err := next.RunOnce(context.Background()); err != nil {
				t.Fatal(err)
			}
		})
		want := "<" + ids[0] + ".x-ui@example.org>"
		if len(got) != 2 || got[0].Header.Get("Message-ID") != want || got[1].Header.Get("Message-ID") != want {
			t.Fatalf("got %d mails, want the event twice with Message-ID %s", len(got), want)
		}
	})
}
