// Package links renders share links (vless://, vmess://, trojan://, ss://)
// and the plain or base64 body of a link subscription.
package links

import (
	"encoding/base64"
	"encoding/json"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/sub/profile"
)

// Render gives one link per entry, in order.
func Render(entries []profile.Entry) []string {
	out := make([]string, 0, len(entries))
	for _, e := range entries {
		if l := Link(e); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// Body joins links by newlines, base64-encoded when encrypt is on.
func Body(links []string, encrypt bool) []byte {
	body := strings.Join(links, "\n")
	if encrypt {
		return []byte(base64.StdEncoding.EncodeToString([]byte(body)))
	}
	return []byte(body)
}

// Link is one entry's share link ("" for an unknown protocol).
func Link(e profile.Entry) string {
	hostPort := net.JoinHostPort(e.Address, strconv.Itoa(e.Port))
	frag := "#" + url.PathEscape(e.Remark)
	switch e.Protocol {
	case model.VLESS:
		q := streamQuery(e.Stream)
		q.Set("encryption", "none")
		if e.Client.Flow != "" && e.Stream.Network == "tcp" && e.Stream.Security != "none" {
			q.Set("flow", e.Client.Flow)
		}
		return "vless://" + url.PathEscape(e.Client.ID) + "@" + hostPort + "?" + q.Encode() + frag
	case model.Trojan:
		q := streamQuery(e.Stream)
		return "trojan://" + url.PathEscape(e.Client.Password) + "@" + hostPort + "?" + q.Encode() + frag
	case model.Shadowsocks:
		user := base64.RawURLEncoding.EncodeToString([]byte(e.Method + ":" + e.SSPassword()))
		link := "ss://" + user + "@" + hostPort
		if e.Stream.Network != "tcp" || e.Stream.Security != "none" || e.Stream.HeaderType != "" {
			link += "?" + streamQuery(e.Stream).Encode()
		}
		return link + frag
	case model.VMESS:
		return vmessLink(e)
	}
	return ""
}

// streamQuery holds the transport and security parameters shared by the
// vless, trojan and ss links.
func streamQuery(s profile.Stream) url.Values {
	q := url.Values{}
	q.Set("type", s.Network)
	q.Set("security", s.Security)
	switch s.Network {
	case "tcp":
		if s.HeaderType == "http" {
			q.Set("headerType", "http")
			setIf(q, "path", s.Path)
			setIf(q, "host", s.Host)
		}
	case "ws", "httpupgrade":
		setIf(q, "path", s.Path)
		setIf(q, "host", s.Host)
	case "grpc":
		setIf(q, "serviceName", s.ServiceName)
		setIf(q, "authority", s.Authority)
		if s.MultiMode {
			q.Set("mode", "multi")
		} else {
			q.Set("mode", "gun")
		}
	case "xhttp":
		setIf(q, "path", s.Path)
		setIf(q, "host", s.Host)
		setIf(q, "mode", s.Mode)
	}
	switch s.Security {
	case "tls":
		setIf(q, "sni", s.SNI)
		setIf(q, "alpn", strings.Join(s.ALPN, ","))
		setIf(q, "fp", s.Fingerprint)
		if s.AllowInsecure {
			q.Set("allowInsecure", "1")
		}
		setIf(q, "pcs", s.PinnedSHA256)
	case "reality":
		setIf(q, "sni", s.SNI)
		setIf(q, "fp", s.Fingerprint)
		setIf(q, "pbk", s.PublicKey)
		setIf(q, "sid", s.ShortID)
		setIf(q, "spx", s.SpiderX)
	}
	return q
}

func setIf(q url.Values, k, v string) {
	if v != "" {
		q.Set(k, v)
	}
}

// vmessJSON is the v2rayN "v": "2" object, fields in the usual order.
type vmessJSON struct {
	V             string `json:"v"`
	PS            string `json:"ps"`
	Add           string `json:"add"`
	Port          string `json:"port"`
	ID            string `json:"id"`
	Aid           string `json:"aid"`
	Scy           string `json:"scy"`
	Net           string `json:"net"`
	Type          string `json:"type"`
	Host          string `json:"host"`
	Path          string `json:"path"`
	TLS           string `json:"tls"`
	SNI           string `json:"sni,omitempty"`
	ALPN          string `json:"alpn,omitempty"`
	FP            string `json:"fp,omitempty"`
	AllowInsecure bool   `json:"allowInsecure,omitempty"`
}

func vmessLink(e profile.Entry) string {
	s := e.Stream
	v := vmessJSON{
		V: "2", PS: e.Remark, Add: e.Address, Port: strconv.Itoa(e.Port), ID: e.Client.ID, Aid: "0",
		Scy: e.Client.Security, Net: s.Network, Type: "none", Host: s.Host, Path: s.Path,
	}
	if v.Scy == "" {
		v.Scy = "auto"
	}
	switch s.Network {
	case "tcp":
		if s.HeaderType == "http" {
			v.Type = "http"
		}
	case "grpc":
		v.Path, v.Host = s.ServiceName, s.Authority
		v.Type = "gun"
		if s.MultiMode {
			v.Type = "multi"
		}
	case "xhttp":
		v.Type = s.Mode
	}
	if s.Security == "tls" {
		v.TLS, v.SNI, v.ALPN, v.FP, v.AllowInsecure = "tls", s.SNI, strings.Join(s.ALPN, ","), s.Fingerprint, s.AllowInsecure
	}
	data, _ := json.Marshal(v)
	return "vmess://" + base64.StdEncoding.EncodeToString(data)
}
