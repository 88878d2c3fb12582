// Package dbtls runs x-ui against a MariaDB server of its own that the test
// starts with certificates it generates, to prove each dbTLS mode.
package dbtls

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/xray/xraytest"

	"github.com/go-sql-driver/mysql"
)

// TestDBTLSModes: a user that REQUIREs SSL connects with dbTLS true when
// the CA is trusted, is refused with a message naming the certificate
// problem when it is not, connects with skip-verify, and is refused
// without TLS.
func TestDBTLSModes(t *testing.T) {
	if _, err := exec.LookPath("mariadbd"); err != nil {
		t.Fatal("mariadbd not installed (CI installs mariadb-server)")
	}
	dir := t.TempDir()
	ca, caKey := writeCA(t, filepath.Join(dir, "ca.pem"), "x-ui test CA")
	writeCA(t, filepath.Join(dir, "other-ca.pem"), "some other CA")
	writeServerCert(t, dir, ca, caKey)
	port := startMariaDB(t, dir)
	xui := buildXUI(t)

	run := func(tlsMode, caFile string) (string, error) {
		cmd := exec.Command(xui, "migrate")
		cmd.Env = append(os.Environ(), "XUI_DB_FOLDER="+t.TempDir(), "XUI_DB_TYPE=mariadb",
			"XUI_DB_HOST=127.0.0.1", "XUI_DB_PORT="+strconv.Itoa(port), "XUI_DB_USER=xui_tls",
			"XUI_DB_PASSWORD=tls-pass", "XUI_DB_NAME=xui_tls", "XUI_DB_TLS="+tlsMode, "SSL_CERT_FILE="+caFile)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := run("true", filepath.Join(dir, "ca.pem")); err != nil {
		t.Fatalf("dbTLS true with the server's CA trusted: %v\n%s", err, out)
	}
	out, err := run("true", filepath.Join(dir, "other-ca.pem"))
	if err == nil || !strings.Contains(out, "cannot connect to MariaDB at 127.0.0.1:"+strconv.Itoa(port)) ||
		!strings.Contains(out, "certificate") || !strings.Contains(out, "SSL_CERT_FILE") {
		t.Fatalf("dbTLS true with an untrusted CA: want a clear certificate refusal, got %v:\n%s", err, out)
	}
	t.Logf("wrong CA refused: %s", strings.TrimSpace(out))
	if out, err := run("skip-verify", filepath.Join(dir, "other-ca.pem")); err != nil {
		t.Fatalf("dbTLS skip-verify: %v\n%s", err, out)
	}
	if out, err := run("false", filepath.Join(dir, "ca.pem")); err == nil || !strings.Contains(out, "Access denied") {
		t.Fatalf("dbTLS false for a REQUIRE SSL account: want access denied, got %v:\n%s", err, out)
	}
}

func writePEM(t *testing.T, path, kind string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

func writeCA(t *testing.T, path, name string) (*x509.Certificate, *rsa.PrivateKey) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, path, "CERTIFICATE", der)
	cert, _ := x509.ParseCertificate(der)
	return cert, key
}

func writeServerCert(t *testing.T, dir string, ca *x509.Certificate, caKey *rsa.PrivateKey) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, filepath.Join(dir, "server.pem"), "CERTIFICATE", der)
	writePEM(t, filepath.Join(dir, "server-key.pem"), "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key))
}

// freePort is a free loopback TCP port.
func freePort(t *testing.T) int { return xraytest.FreePort(t) }

// startMariaDB initialises a data folder and runs mariadbd on a free
// loopback port with TLS; it creates the REQUIRE SSL account xui_tls.
func startMariaDB(t *testing.T, dir string) int {
	t.Helper()
	data, sock := filepath.Join(dir, "data"), filepath.Join(dir, "mysqld.sock")
	install := exec.Command("mariadb-install-db", "--no-defaults", "--datadir="+data, "--user=root",
		"--auth-root-authentication-method=socket", "--skip-test-db")
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("mariadb-install-db: %v\n%s", err, out)
	}
	port := freePort(t)
	cmd := exec.Command("mariadbd", "--no-defaults", "--datadir="+data, "--socket="+sock,
		"--port="+strconv.Itoa(port), "--bind-address=127.0.0.1", "--user=root", "--skip-name-resolve",
		"--pid-file="+filepath.Join(dir, "mysqld.pid"), "--log-error="+filepath.Join(dir, "error.log"),
		"--ssl-ca="+filepath.Join(dir, "ca.pem"), "--ssl-cert="+filepath.Join(dir, "server.pem"),
		"--ssl-key="+filepath.Join(dir, "server-key.pem"), "--innodb-buffer-pool-size=16M")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	cfg := mysql.NewConfig()
	cfg.User, cfg.Net, cfg.Addr = "root", "unix", sock
	var db *sql.DB
	deadline := time.Now().Add(60 * time.Second)
	for {
		var err error
		db, err = sql.Open("mysql", cfg.FormatDSN())
		if err == nil {
			if err = db.Ping(); err == nil {
				break
			}
			db.Close()
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("mariadbd did not come up: %v\n%s", err, log)
		}
		time.Sleep(200 * time.Millisecond)
	}
	defer db.Close()
	for _, q := range []string{
		"CREATE USER 'xui_tls'@'127.0.0.1' IDENTIFIED BY 'tls-pass' REQUIRE SSL",
		"GRANT ALL PRIVILEGES ON `xui_tls`.* TO 'xui_tls'@'127.0.0.1'",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return port
}

func buildXUI(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	bin := filepath.Join(t.TempDir(), "x-ui")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = filepath.Join(filepath.Dir(file), "..", "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}
