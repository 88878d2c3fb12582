// Package smtptest runs a real SMTP server on loopback for tests: Debian's
// aiosmtpd (python3-aiosmtpd, installed by scripts/test-env.sh) with a
// test-made certificate, STARTTLS or implicit TLS, and AUTH. OpenSMTPD,
// the first choice, cannot serve here: Debian 12's build fails every TLS
// handshake under OpenSSL 3 ("EVP lib"), and its fixed control socket and
// queue allow one instance per machine, not one per test.
package smtptest

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	_ "embed"
	"encoding/pem"
	"math/big"
	"net"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

//go:embed server.py
var script []byte

// Python is the interpreter that has aiosmtpd: Debian's, not one a
// version manager put first on PATH.
const Python = "/usr/bin/python3"

// Options choose the server's mode: "no" (plain), "starttls" or "tls"
// (implicit), and, with User set, required AUTH (PLAIN or LOGIN).
type Options struct {
	Mode       string
	User, Pass string
	Port       int  // 0: a free one
	LoginOnly  bool // offer AUTH LOGIN but not PLAIN
}

// Server is one running server; Stop and Start again keep its port.
type Server struct {
	Port  int
	Dir   string         // where accepted messages are stored
	Roots *x509.CertPool // trusts the server's certificate
	opts  Options
	cert  string
	key   string
	cmd   *exec.Cmd
}

// Message is one accepted mail.
type Message struct {
	Rcpt   []string // envelope recipients
	Auth   string   // the authenticated user, "" for none
	TLS    bool     // the session was encrypted
	Header mail.Header
	Body   string
}

// Start runs a server until the test ends.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	if _, err := os.Stat(Python); err != nil {
		t.Fatalf("smtptest needs %s with aiosmtpd: run scripts/test-env.sh (apt-get install python3-aiosmtpd)", Python)
	}
	dir := t.TempDir()
	s := &Server{Dir: filepath.Join(dir, "mail"), opts: o, cert: filepath.Join(dir, "cert.pem"), key: filepath.Join(dir, "key.pem")}
	if err := os.Mkdir(s.Dir, 0o700); err != nil {
		t.Fatal(err)
	}
	s.Roots = writeCert(t, s.cert, s.key)
	if err := os.WriteFile(filepath.Join(dir, "server.py"), script, 0o600); err != nil {
		t.Fatal(err)
	}
	s.Port = o.Port
	s.Up(t)
	t.Cleanup(s.Down)
	return s
}

// Up starts the server (again) on its port and waits until it listens.
func (s *Server) Up(t testing.TB) {
	t.Helper()
	cmd := exec.Command(Python, filepath.Join(filepath.Dir(s.cert), "server.py"), s.Dir, s.opts.Mode, s.cert, s.key,
		s.opts.User, s.opts.Pass, strconv.Itoa(s.Port))
	if s.opts.LoginOnly {
		cmd.Args = append(cmd.Args, "login-only")
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line := make(chan string, 1)
	go func() {
		l, _ := bufio.NewReader(out).ReadString('\n')
		line <- l
	}()
	select {
	case l := <-line:
		port, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(l, "PORT ")))
		if err != nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			t.Fatalf("smtp server did not start: %q %s", l, stderr.String())
		}
		s.Port = port
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("smtp server did not report its port within 30s: %s", stderr.String())
	}
	s.cmd = cmd
}

// Down stops the server; its port stays its own for Up.
func (s *Server) Down() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

// Messages are the accepted mails, oldest first.
func (s *Server) Messages(t testing.TB) []Message {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(s.Dir, "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	var out []Message
	for _, n := range names {
		raw, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		m, err := mail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		var body bytes.Buffer
		_, _ = body.ReadFrom(m.Body)
		out = append(out, Message{Rcpt: strings.Split(m.Header.Get("X-Test-Rcpt"), ","), Auth: m.Header.Get("X-Test-Auth"),
			TLS: m.Header.Get("X-Test-TLS") == "yes", Header: m.Header, Body: body.String()})
	}
	return out
}

// writeCert makes a self-signed certificate for 127.0.0.1 and localhost.
func writeCert(t testing.TB, certPath, keyPath string) *x509.CertPool {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "smtptest"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return pool
}
