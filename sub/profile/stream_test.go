package profile

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/xray"
)

// A tiny self-signed certificate, only hashed here.
const testCertPEM = `-----BEGIN CERTIFICATE-----
MIIBbjCCARSgAwIBAgIBATAKBggqhkjOPQQDAjAaMRgwFgYDVQQDEw90bHMuZXhh
bXBsZS5jb20wHhcNMjYwMTAxMDAwMDAwWhcNMzYwMTAxMDAwMDAwWjAaMRgwFgYD
VQQDEw90bHMuZXhhbXBsZS5jb20wWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQ=
-----END CERTIFICATE-----`

func TestParseStreamVariants(t *testing.T) {
	cases := map[string]Stream{
		``:                  {Network: "tcp", Security: "none"},
		`{"network":"raw"}`: {Network: "tcp", Security: "none"},
		`{"network":"splithttp","xhttpSettings":{"path":"/p","mode":"packet-up"}}`:   {Network: "xhttp", Security: "none", Path: "/p", Mode: "packet-up"},
		`{"network":"ws","wsSettings":{"path":"/w","headers":{"Host":"h.example"}}}`: {Network: "ws", Security: "none", Path: "/w", Host: "h.example"},
		`{"network":"grpc","security":"tls","grpcSettings":{"serviceName":"s","multiMode":true},"tlsSettings":{"serverName":"a","allowInsecure":true}}`: {
			Network: "grpc", Security: "tls", ServiceName: "s", MultiMode: true, SNI: "a", AllowInsecure: true},
		`{"network":"tcp","security":"bogus"}`: {Network: "tcp", Security: "none"},
	}
	for raw, want := range cases {
		got, err := ParseStream(raw)
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		if got.Network != want.Network || got.Security != want.Security || got.Path != want.Path || got.Host != want.Host ||
			got.Mode != want.Mode || got.ServiceName != want.ServiceName || got.MultiMode != want.MultiMode || got.SNI != want.SNI || got.AllowInsecure != want.AllowInsecure {
			t.Errorf("%s:\n got %+v\nwant %+v", raw, got, want)
		}
	}
	if _, err := ParseStream(`{not json`); err == nil {
		t.Error("bad JSON accepted")
	}
}

func TestPinnedFromInlineCertificate(t *testing.T) {
	block, _ := pem.Decode([]byte(testCertPEM))
	sum := sha256.Sum256(block.Bytes)
	lines := strings.Split(testCertPEM, "\n")
	raw := `{"security":"tls","tlsSettings":{"certificates":[{"certificate":` + jsonList(lines) + `}],"settings":{"allowInsecure":true}}}`
	s, err := ParseStream(raw)
	if err != nil || s.PinnedSHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("pinned %q, err %v", s.PinnedSHA256, err)
	}
	s, _ = ParseStream(`{"security":"tls","tlsSettings":{"certificates":[{"certificateFile":"/no/such/file"}],"settings":{"allowInsecure":true}}}`)
	if s.PinnedSHA256 != "" {
		t.Fatalf("unreadable file pinned %q", s.PinnedSHA256)
	}
}

func jsonList(lines []string) string {
	return `["` + strings.Join(lines, `","`) + `"]`
}

func TestSSPasswordAndRemarks(t *testing.T) {
	e := Entry{Method: "2022-blake3-aes-128-gcm", ServerKey: "S", Client: Client{Password: "U"}}
	if e.SSPassword() != "S:U" {
		t.Fatal(e.SSPassword())
	}
	e.Method = "aes-256-gcm"
	if e.SSPassword() != "U" {
		t.Fatal(e.SSPassword())
	}
	c := Client{Email: "a@b"}
	if got := remark("_ei", "In", "n1", c, xray.ClientTraffic{}, time.Time{}); got != "a@b_In @n1" {
		t.Fatalf("remark %q", got)
	}
	if got := remark("-e", "In", "n1", c, xray.ClientTraffic{}, time.Time{}); got != "a@b-@n1" {
		t.Fatalf("remark without i %q", got)
	}
}
