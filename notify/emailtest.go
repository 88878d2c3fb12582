package notify

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/mhsanaei/3x-ui/v2/cluster"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/errs"
	"github.com/mhsanaei/3x-ui/v2/settings"
)

// EmailTester is the email "send test" button: one mail now, with the
// stored smtp* settings or those the form posts, whether or not email is
// enabled.
type EmailTester struct {
	db     *database.Handle
	node   *cluster.Node
	mailer *Mailer
	now    func() time.Time
}

// NewEmailTester sends through a mailer bounded by timeout and trusting
// roots (nil: the system's CAs), as the dispatcher's.
func NewEmailTester(db *database.Handle, node *cluster.Node, timeout time.Duration, roots *x509.CertPool) *EmailTester {
	return &EmailTester{db: db, node: node, mailer: NewMailer(timeout, roots), now: time.Now}
}

// EmailTestResult is what the test route answers on success.
type EmailTestResult struct {
	MessageID string   `json:"messageId"`
	To        []string `json:"to"`
	Server    string   `json:"server"`
}

// SendTest sends a test mail now. posted are smtp* settings to use
// instead of the stored ones (unsaved form values; the password's mask
// keeps the stored one); each is checked like a save. A failure is an
// error naming the setting to fix (400), nothing is stored either way.
func (e *EmailTester) SendTest(ctx context.Context, posted map[string]any) (EmailTestResult, error) {
	if err := e.node.RequireMaster(); err != nil {
		return EmailTestResult{}, err
	}
	conn, err := e.db.DB()
	if err != nil {
		return EmailTestResult{}, err
	}
	cfg, err := LoadEmailConfig(conn.WithContext(ctx))
	if err != nil {
		return EmailTestResult{}, err
	}
	if err := applyPosted(&cfg, posted); err != nil {
		return EmailTestResult{}, err
	}
	now := e.now()
	node := e.node.Config().NodeID
	if node == "" {
		node = "local"
	}
	ev := Event{ID: newID(), Kind: Test, Time: time.UnixMilli(now.UnixMilli()).UTC(), NodeID: node,
		Payload: json.RawMessage(`{"message":"test email from the panel"}`)}
	if _, err := e.mailer.Send(ctx, cfg, ev); err != nil {
		return EmailTestResult{}, err
	}
	return EmailTestResult{MessageID: messageID(ev.ID, cfg.From), To: cfg.To, Server: cfg.Host}, nil
}

// applyPosted checks and applies posted smtp* values over cfg.
func applyPosted(cfg *EmailConfig, posted map[string]any) error {
	for key, v := range posted {
		if !strings.HasPrefix(key, "smtp") {
			return errs.Invalid(key, "is not an email setting (smtp...)")
		}
		if s, ok := v.(string); ok && s == settings.SecretMask && settings.IsSecret(key) {
			continue
		}
		norm, err := settings.CheckSetting(key, v)
		if err != nil {
			return err
		}
		switch key {
		case "smtpHost":
			cfg.Host = norm
		case "smtpPort":
			cfg.Port, _ = strconv.Atoi(norm)
		case "smtpEncryptionType":
			cfg.Encryption = norm
		case "smtpUsername":
			cfg.Username = norm
		case "smtpPassword":
			cfg.Password = norm
		case "smtpFrom":
			cfg.From = norm
		case "smtpFromName":
			cfg.FromName = norm
		case "smtpTo":
			cfg.To, _ = settings.MailList(norm)
		}
		// smtpEnable and smtpEnabledEvents do not matter to a test mail.
	}
	return nil
}
