package notify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mhsanaei/3x-ui/v2/errs"
	"github.com/mhsanaei/3x-ui/v2/settings"
	"gorm.io/gorm"
)

// EmailTarget is the webhook_id of the email channel's outbox rows: email
// is one more target of the same outbox, so it gets the webhooks' claim,
// retry and per-target order (docs/notifications.md, Email). Webhook ids
// start at 1, so it never names a webhook.
const EmailTarget = -1

// Email encryption modes, under 3x-ui v3's values of smtpEncryptionType.
const (
	EncryptNone     = "no"
	EncryptStartTLS = "starttls"
	EncryptTLS      = "tls"
)

// EmailConfig is the email channel's settings (smtp*, v3's names).
type EmailConfig struct {
	Enable     bool
	Host       string
	Port       int
	Encryption string // EncryptNone, EncryptStartTLS or EncryptTLS
	Username   string
	Password   string
	From       string
	FromName   string
	To         []string
	Events     []string // kinds mailed
}

// LoadEmailConfig reads the smtp* settings (defaults where unset).
func LoadEmailConfig(conn *gorm.DB) (EmailConfig, error) {
	v, err := settings.ReadStrings(conn, "smtpEnable", "smtpHost", "smtpPort", "smtpEncryptionType", "smtpUsername",
		"smtpPassword", "smtpFrom", "smtpFromName", "smtpTo", "smtpEnabledEvents")
	if err != nil {
		return EmailConfig{}, err
	}
	str := func(key string) string { return strings.TrimSpace(v[key]) }
	c := EmailConfig{Host: str("smtpHost"), Encryption: str("smtpEncryptionType"), Username: str("smtpUsername"),
		Password: v["smtpPassword"], // as stored: spaces may be part of it
		From:     str("smtpFrom"), FromName: str("smtpFromName")}
	c.Enable, _ = strconv.ParseBool(str("smtpEnable"))
	c.Port, _ = strconv.Atoi(str("smtpPort"))
	if enc, cerr := settings.CheckSetting("smtpEncryptionType", c.Encryption); cerr == nil {
		c.Encryption = enc
	}
	c.To, _ = settings.MailList(str("smtpTo"))
	c.Events = settings.EmailEvents(str("smtpEnabledEvents"))
	return c, nil
}

// Check names the first setting that keeps mail from being sent.
func (c EmailConfig) Check() error {
	switch {
	case c.Host == "":
		return errs.Invalid("smtpHost", "is required to send email")
	case c.Port < 1 || c.Port > 65535:
		return errs.Invalid("smtpPort", "%d is not a TCP port (1-65535)", c.Port)
	case c.From == "":
		return errs.Invalid("smtpFrom", "is required to send email")
	case len(c.To) == 0:
		return errs.Invalid("smtpTo", "names no recipient")
	}
	switch c.Encryption {
	case EncryptNone, EncryptStartTLS, EncryptTLS:
	default:
		return errs.Invalid("smtpEncryptionType", "%q must be no, starttls or tls", c.Encryption)
	}
	return nil
}

// active reports whether new events are mailed: enabled and complete.
func (c EmailConfig) active() bool { return c.Enable && c.Check() == nil }

// wants reports whether kind is mailed (never a webhook's test event).
func (c EmailConfig) wants(kind Kind) bool {
	return kind != Test && slices.Contains(c.Events, string(kind))
}

// messageID is derived from the event id alone (and the sender's domain),
// so a retry or a new master re-sending an event carries the same id and
// mail systems can drop the duplicate.
func messageID(eventID, from string) string {
	domain := "x-ui.invalid"
	if i := strings.LastIndexByte(from, '@'); i >= 0 && i < len(from)-1 {
		domain = from[i+1:]
	}
	return "<" + eventID + ".x-ui@" + domain + ">"
}

// buildMail is the whole message: headers and a plain-text body with the
// event's kind, node, time, id and payload.
func buildMail(c EmailConfig, ev Event) []byte {
	var b bytes.Buffer
	from := (&mail.Address{Name: c.FromName, Address: c.From}).String()
	node := ev.NodeID
	if node == "" {
		node = "local"
	}
	subject := fmt.Sprintf("[x-ui] %s on %s", ev.Kind, node)
	if ev.Kind == Test {
		subject = "[x-ui] test email from the panel"
	}
	header := [][2]string{
		{"From", from},
		{"To", strings.Join(c.To, ", ")},
		{"Subject", mime.QEncoding.Encode("utf-8", subject)},
		{"Date", ev.Time.UTC().Format(time.RFC1123Z)},
		{"Message-ID", messageID(ev.ID, c.From)},
		{"MIME-Version", "1.0"},
		{"Content-Type", "text/plain; charset=utf-8"},
		{"Content-Transfer-Encoding", "quoted-printable"},
		{"Auto-Submitted", "auto-generated"},
		{HeaderEventID, ev.ID},
		{HeaderKind, string(ev.Kind)},
	}
	for _, h := range header {
		fmt.Fprintf(&b, "%s: %s\r\n", h[0], h[1])
	}
	b.WriteString("\r\n")
	var text bytes.Buffer
	fmt.Fprintf(&text, "Event:    %s\nNode:     %s\nTime:     %s\nEvent id: %s\n\nPayload:\n",
		ev.Kind, node, ev.Time.UTC().Format(time.RFC3339), ev.ID)
	var pretty bytes.Buffer
	if json.Indent(&pretty, ev.Payload, "", "  ") != nil {
		pretty.Reset()
		pretty.Write(ev.Payload)
	}
	text.Write(pretty.Bytes())
	text.WriteString("\n")
	qp := quotedprintable.NewWriter(&b)
	// Quoted-printable keeps lines short and 7-bit; its line breaks are
	// CRLF as SMTP wants.
	_, _ = qp.Write(bytes.ReplaceAll(text.Bytes(), []byte("\n"), []byte("\r\n")))
	_ = qp.Close()
	return b.Bytes()
}
