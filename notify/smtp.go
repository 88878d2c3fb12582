package notify

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"net/textproto"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mhsanaei/3x-ui/v2/errs"
)

// Mailer sends one email per call over SMTP: implicit TLS or STARTTLS,
// AUTH PLAIN or LOGIN when a username is set, the whole session bounded
// by one deadline.
type Mailer struct {
	timeout time.Duration
	roots   *x509.CertPool // nil: the system's
}

// NewMailer bounds each session (connect to QUIT) by timeout
// (DefaultTimeout when not positive); roots, when not nil, replaces the
// system's trusted CAs (tests use a certificate of their own).
func NewMailer(timeout time.Duration, roots *x509.CertPool) *Mailer {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &Mailer{timeout: timeout, roots: roots}
}

// Send mails ev to c.To. It answers the SMTP reply code (0 when none came)
// and an error naming the setting to look at (errs.Invalid with the field
// smtpHost, smtpPort, smtpEncryptionType, smtpUsername, smtpPassword,
// smtpFrom or smtpTo) when the server could not be reached or refused.
func (m *Mailer) Send(ctx context.Context, c EmailConfig, ev Event) (int, error) {
	if err := c.Check(); err != nil {
		return 0, err
	}
	addr := net.JoinHostPort(c.Host, strconv.Itoa(c.Port))
	deadline := time.Now().Add(m.timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if c.Username != "" && c.Encryption == EncryptNone && !isLoopback(c.Host) {
		return 0, errs.Invalid("smtpEncryptionType", "is no: the password would cross the network in clear; use starttls or tls")
	}
	conn, err := (&net.Dialer{Deadline: deadline}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return 0, dialError(c, err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(deadline)
	tlsConf := &tls.Config{ServerName: c.Host, RootCAs: m.roots, MinVersion: tls.VersionTLS12}
	if c.Encryption == EncryptTLS {
		tc := tls.Client(conn, tlsConf)
		if err := tc.HandshakeContext(ctx); err != nil {
			return 0, errs.Invalid("smtpEncryptionType", "TLS with %s failed: %v (tls is for a port like 465; for 587 use starttls)", addr, err)
		}
		conn = tc
	}
	cl, err := smtp.NewClient(conn, c.Host)
	if err != nil {
		if c.Encryption != EncryptTLS && isTimeout(err) {
			return 0, errs.Invalid("smtpEncryptionType", "%s sent no SMTP greeting: %v (a port like 465 wants tls)", addr, err)
		}
		return code(err), errs.Invalid("smtpPort", "%s does not answer as an SMTP server: %v", addr, err)
	}
	defer cl.Close()
	if err := cl.Hello(helloName()); err != nil {
		return code(err), errs.Invalid("smtpHost", "%s refused the greeting: %v", addr, err)
	}
	if c.Encryption == EncryptStartTLS {
		if ok, _ := cl.Extension("STARTTLS"); !ok {
			return 0, errs.Invalid("smtpEncryptionType", "%s does not offer STARTTLS; use tls or no", addr)
		}
		if err := cl.StartTLS(tlsConf); err != nil {
			return code(err), errs.Invalid("smtpEncryptionType", "STARTTLS with %s failed: %v", addr, err)
		}
	}
	if c.Username != "" {
		ok, mechs := cl.Extension("AUTH")
		if tls, _ := cl.Extension("STARTTLS"); !ok && tls && c.Encryption == EncryptNone {
			return 0, errs.Invalid("smtpEncryptionType", "is no, but %s offers a login only after STARTTLS; use starttls", addr)
		}
		if !ok {
			return 0, errs.Invalid("smtpUsername", "is set but %s offers no login (AUTH); clear it, or use starttls/tls", addr)
		}
		var auth smtp.Auth
		switch list := strings.Fields(strings.ToUpper(mechs)); {
		case slices.Contains(list, "PLAIN"):
			auth = smtp.PlainAuth("", c.Username, c.Password, c.Host)
		case slices.Contains(list, "LOGIN"):
			auth = &loginAuth{user: c.Username, pass: c.Password}
		default:
			return 0, errs.Invalid("smtpUsername", "%s offers neither AUTH PLAIN nor LOGIN (it offers %s)", addr, mechs)
		}
		if err := cl.Auth(auth); err != nil {
			if n := code(err); n == 530 || n == 538 { // encryption required first
				return n, errs.Invalid("smtpEncryptionType", "%s wants encryption before the login: %v", addr, err)
			}
			return code(err), errs.Invalid("smtpPassword", "%s refused the login of %q: %v", addr, c.Username, err)
		}
	}
	if err := cl.Mail(c.From); err != nil {
		if code(err) == 530 { // "must issue STARTTLS first" or "authentication required"
			field := "smtpEncryptionType"
			if c.Encryption != EncryptNone {
				field = "smtpUsername"
			}
			return 530, errs.Invalid(field, "%s wants encryption or a login before sending: %v", addr, err)
		}
		return code(err), errs.Invalid("smtpFrom", "%s refused the sender %s: %v", addr, c.From, err)
	}
	for _, to := range c.To {
		if err := cl.Rcpt(to); err != nil {
			return code(err), errs.Invalid("smtpTo", "%s refused the recipient %s: %v", addr, to, err)
		}
	}
	// A refused message is most often the sender's domain policy (SPF,
	// DMARC, a relay that only sends for its own domain): smtpFrom.
	w, err := cl.Data()
	if err != nil {
		return code(err), errs.Invalid("smtpFrom", "%s refused the message: %v", addr, err)
	}
	if _, err := w.Write(buildMail(c, ev)); err != nil {
		return 0, errs.Invalid("smtpHost", "%s dropped the connection during the message: %v", addr, err)
	}
	if err := w.Close(); err != nil {
		return code(err), errs.Invalid("smtpFrom", "%s refused the message: %v", addr, err)
	}
	// The message is accepted once DATA's answer came; a failed QUIT
	// does not undo that.
	_ = cl.Quit()
	return 250, nil
}

// dialError names what a failed connect points at: a name that does not
// resolve or a host that does not answer is smtpHost, a host that
// refuses the port is smtpPort.
func dialError(c EmailConfig, err error) error {
	addr := net.JoinHostPort(c.Host, strconv.Itoa(c.Port))
	var dns *net.DNSError
	switch {
	case errors.As(err, &dns):
		return errs.Invalid("smtpHost", "%q does not resolve: %v", c.Host, err)
	case errors.Is(err, syscall.ECONNREFUSED):
		return errs.Invalid("smtpPort", "nothing accepts connections on port %d of %s: %v", c.Port, c.Host, err)
	case isTimeout(err):
		return errs.Invalid("smtpHost", "%s did not answer in time: %v", addr, err)
	}
	return errs.Invalid("smtpHost", "cannot connect to %s: %v", addr, err)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// code is the SMTP reply code in err, 0 when there is none.
func code(err error) int {
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code
	}
	return 0
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// helloName is the name given in EHLO: the machine's, when it is a
// plausible host name (some servers refuse "localhost").
func helloName() string {
	h, err := os.Hostname()
	if err != nil || h == "" || strings.ContainsAny(h, " \r\n") {
		return "localhost"
	}
	return h
}

// loginAuth is AUTH LOGIN, for servers that offer it but not PLAIN. Like
// net/smtp's PLAIN it refuses to send the password unencrypted except
// to the machine itself.
type loginAuth struct{ user, pass string }

func (a *loginAuth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	if !server.TLS && !isLoopback(server.Name) {
		return "", nil, errors.New("unencrypted connection")
	}
	return "LOGIN", nil, nil
}

func (a *loginAuth) Next(fromServer []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	switch p := strings.ToLower(strings.TrimSpace(string(fromServer))); {
	case strings.HasPrefix(p, "user"):
		return []byte(a.user), nil
	case strings.HasPrefix(p, "pass"):
		return []byte(a.pass), nil
	}
	return nil, fmt.Errorf("unexpected AUTH LOGIN challenge %q", fromServer)
}
