// Package profile turns stored inbounds and clients into the neutral
// entries every subscription format renders: one entry per client, per
// inbound, per serving node.
package profile

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"os"
	"strings"
)

// Stream is the client-side view of an inbound's streamSettings: the
// transport and security a client must use to reach it.
type Stream struct {
	Network  string // tcp, ws, grpc, httpupgrade, xhttp (others passed through)
	Security string // none, tls, reality

	// Transport.
	Path        string // ws, httpupgrade, xhttp path; tcp http header path
	Host        string // ws/httpupgrade/xhttp host; tcp http header Host
	HeaderType  string // tcp: "http" or ""
	ServiceName string // grpc
	Authority   string // grpc
	MultiMode   bool   // grpc
	Mode        string // xhttp

	// TLS and REALITY.
	SNI           string
	ALPN          []string
	Fingerprint   string
	AllowInsecure bool
	// PinnedSHA256 is the hex sha256 of the server's leaf certificate,
	// given when the panel allows insecure TLS: current Xray refuses
	// allowInsecure and pins the certificate instead.
	PinnedSHA256 string
	PublicKey    string // reality
	ShortID      string // reality
	SpiderX      string // reality
}

type rawStream struct {
	Network     string `json:"network"`
	Security    string `json:"security"`
	TCPSettings struct {
		Header struct {
			Type    string `json:"type"`
			Request struct {
				Path    []string            `json:"path"`
				Headers map[string][]string `json:"headers"`
			} `json:"request"`
		} `json:"header"`
	} `json:"tcpSettings"`
	WSSettings struct {
		Path    string            `json:"path"`
		Host    string            `json:"host"`
		Headers map[string]string `json:"headers"`
	} `json:"wsSettings"`
	GRPCSettings struct {
		ServiceName string `json:"serviceName"`
		Authority   string `json:"authority"`
		MultiMode   bool   `json:"multiMode"`
	} `json:"grpcSettings"`
	HTTPUpgradeSettings struct {
		Path    string            `json:"path"`
		Host    string            `json:"host"`
		Headers map[string]string `json:"headers"`
	} `json:"httpupgradeSettings"`
	XHTTPSettings struct {
		Path string `json:"path"`
		Host string `json:"host"`
		Mode string `json:"mode"`
	} `json:"xhttpSettings"`
	TLSSettings struct {
		ServerName    string   `json:"serverName"`
		ALPN          []string `json:"alpn"`
		Fingerprint   string   `json:"fingerprint"`
		AllowInsecure bool     `json:"allowInsecure"`
		Certificates  []struct {
			CertificateFile string   `json:"certificateFile"`
			Certificate     []string `json:"certificate"`
		} `json:"certificates"`
		// 3x-ui keeps the client-side hints here; Xray ignores them.
		Settings struct {
			AllowInsecure bool   `json:"allowInsecure"`
			Fingerprint   string `json:"fingerprint"`
			ServerName    string `json:"serverName"`
			Pinned        string `json:"pinnedPeerCertSha256"`
		} `json:"settings"`
	} `json:"tlsSettings"`
	RealitySettings struct {
		ServerNames []string `json:"serverNames"`
		ShortIDs    []string `json:"shortIds"`
		Settings    struct {
			PublicKey   string `json:"publicKey"`
			Fingerprint string `json:"fingerprint"`
			ServerName  string `json:"serverName"`
			SpiderX     string `json:"spiderX"`
		} `json:"settings"`
	} `json:"realitySettings"`
}

// ParseStream reads streamSettings JSON; empty means tcp without security.
func ParseStream(raw string) (Stream, error) {
	var r rawStream
	if strings.TrimSpace(raw) != "" {
		if err := json.Unmarshal([]byte(raw), &r); err != nil {
			return Stream{}, err
		}
	}
	s := Stream{Network: strings.ToLower(r.Network), Security: strings.ToLower(r.Security)}
	if s.Network == "" || s.Network == "raw" {
		s.Network = "tcp"
	}
	if s.Security == "" {
		s.Security = "none"
	}
	switch s.Network {
	case "tcp":
		h := r.TCPSettings.Header
		if h.Type == "http" {
			s.HeaderType = "http"
			if len(h.Request.Path) > 0 {
				s.Path = h.Request.Path[0]
			}
			s.Host = firstHeader(h.Request.Headers, "Host")
		}
	case "ws":
		s.Path, s.Host = r.WSSettings.Path, r.WSSettings.Host
		if s.Host == "" {
			s.Host = r.WSSettings.Headers["Host"]
		}
	case "grpc":
		g := r.GRPCSettings
		s.ServiceName, s.Authority, s.MultiMode = g.ServiceName, g.Authority, g.MultiMode
	case "httpupgrade":
		s.Path, s.Host = r.HTTPUpgradeSettings.Path, r.HTTPUpgradeSettings.Host
		if s.Host == "" {
			s.Host = r.HTTPUpgradeSettings.Headers["Host"]
		}
	case "xhttp", "splithttp":
		s.Network = "xhttp"
		x := r.XHTTPSettings
		s.Path, s.Host, s.Mode = x.Path, x.Host, x.Mode
	}
	switch s.Security {
	case "tls":
		t := r.TLSSettings
		s.SNI = firstNonEmpty(t.Settings.ServerName, t.ServerName)
		s.ALPN = t.ALPN
		s.Fingerprint = firstNonEmpty(t.Settings.Fingerprint, t.Fingerprint)
		s.AllowInsecure = t.Settings.AllowInsecure || t.AllowInsecure
		s.PinnedSHA256 = t.Settings.Pinned
		if s.PinnedSHA256 == "" && s.AllowInsecure && len(t.Certificates) > 0 {
			c := t.Certificates[0]
			s.PinnedSHA256 = leafSHA256(c.CertificateFile, strings.Join(c.Certificate, "\n"))
		}
	case "reality":
		rs := r.RealitySettings
		s.SNI = rs.Settings.ServerName
		if s.SNI == "" && len(rs.ServerNames) > 0 {
			s.SNI = rs.ServerNames[0]
		}
		if len(rs.ShortIDs) > 0 {
			s.ShortID = rs.ShortIDs[0]
		}
		s.PublicKey = rs.Settings.PublicKey
		s.Fingerprint = firstNonEmpty(rs.Settings.Fingerprint, "chrome")
		s.SpiderX = rs.Settings.SpiderX
	default:
		s.Security = "none"
	}
	return s, nil
}

func firstHeader(h map[string][]string, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// leafSHA256 hashes the first certificate of a PEM file or inline PEM; ""
// when neither can be read.
func leafSHA256(file, inline string) string {
	data := []byte(inline)
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return ""
		}
		data = b
	}
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return ""
		}
		if block.Type == "CERTIFICATE" {
			sum := sha256.Sum256(block.Bytes)
			return hex.EncodeToString(sum[:])
		}
	}
}
