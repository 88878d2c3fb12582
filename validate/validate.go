// Package validate holds the checks a write must pass before it is stored
// that Xray's `run -test` cannot make (or makes too late): transports and
// security Xray knows, listen addresses, host ports, and the template's API
// inbound, log paths and geo files. Every error names the field, so the
// HTTP layer answers 400 and the web UI can mark the input.
package validate

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/mhsanaei/3x-ui/v2/xray/users"
)

// FieldError names the offending field.
type FieldError = users.FieldError

func fail(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Networks are the streamSettings.network values Xray's loader builds
// (h2/quic were removed from Xray; hysteria belongs to its own protocol).
var Networks = []string{"tcp", "raw", "ws", "websocket", "grpc", "httpupgrade", "xhttp", "splithttp", "kcp", "mkcp"}

// Securities are the streamSettings.security values Xray's loader builds.
var Securities = []string{"", "none", "tls", "reality"}

// realityNetworks: REALITY runs only over RAW, XHTTP and gRPC.
var realityNetworks = map[string]bool{"tcp": true, "raw": true, "xhttp": true, "splithttp": true, "grpc": true}

func has(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// Stream checks an inbound's streamSettings JSON ("" = defaults).
func Stream(stream string) *FieldError {
	if strings.TrimSpace(stream) == "" {
		return nil
	}
	var s struct {
		Network  *string `json:"network"`
		Security *string `json:"security"`
	}
	if err := json.Unmarshal([]byte(stream), &s); err != nil {
		return fail("streamSettings", "network and security must be strings: %v", err)
	}
	network := "tcp"
	if s.Network != nil {
		network = strings.ToLower(*s.Network)
		if !has(Networks, network) {
			return fail("streamSettings.network", "%q is not a transport Xray runs (use %s)", clip(*s.Network), strings.Join(Networks, ", "))
		}
	}
	if s.Security != nil {
		sec := strings.ToLower(*s.Security)
		if !has(Securities, sec) {
			return fail("streamSettings.security", "%q is not supported (use none, tls or reality)", clip(*s.Security))
		}
		if sec == "reality" && !realityNetworks[network] {
			return fail("streamSettings.security", "reality runs only over tcp/raw, xhttp or grpc, not %s", network)
		}
	}
	return nil
}

// SocketFolder is where unix-socket listens may live; "" (the default)
// refuses unix sockets. Set with XUI_SOCKET_FOLDER.
func SocketFolder() string { return os.Getenv("XUI_SOCKET_FOLDER") }

// Listen checks an inbound's listen address: empty, an IP address, or a
// unix socket path inside socketFolder (abstract "@name" sockets too, when
// a folder is configured).
func Listen(listen, socketFolder string) *FieldError {
	listen = strings.TrimSpace(listen)
	if listen == "" {
		return nil
	}
	if strings.HasPrefix(listen, "/") || strings.HasPrefix(listen, "@") {
		if socketFolder == "" {
			return fail("listen", "unix sockets are off (set XUI_SOCKET_FOLDER to allow them under one folder); use an IP address")
		}
		if strings.HasPrefix(listen, "@") {
			return nil
		}
		path := strings.SplitN(listen, ",", 2)[0] // "path,0666" sets the mode
		if !Inside(socketFolder, path) {
			return fail("listen", "a unix socket must be inside %s", socketFolder)
		}
		if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSocket == 0 {
			return fail("listen", "%s exists and is not a socket", path)
		}
		return nil
	}
	if net.ParseIP(strings.Trim(listen, "[]")) == nil {
		return fail("listen", "%q is not an IP address", clip(listen))
	}
	return nil
}

// Inside reports whether path, cleaned, lies strictly inside folder.
func Inside(folder, path string) bool {
	f, err1 := filepath.Abs(folder)
	p, err2 := filepath.Abs(path)
	if err1 != nil || err2 != nil {
		return false
	}
	rel, err := filepath.Rel(f, p)
	return err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// HostPortFree probes whether this host lets Xray bind listen:port (TCP,
// and UDP when udp): another process (a database, sshd) may hold it.
func HostPortFree(field, listen string, port int, udp bool) *FieldError {
	host := strings.Trim(strings.TrimSpace(listen), "[]")
	if strings.HasPrefix(host, "/") || strings.HasPrefix(host, "@") {
		return nil
	}
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fail(field, "%d is in use on this host (%v)", port, shortErr(err))
	}
	l.Close()
	if udp {
		pc, err := net.ListenPacket("udp", addr)
		if err != nil {
			return fail(field, "UDP %d is in use on this host (%v)", port, shortErr(err))
		}
		pc.Close()
	}
	return nil
}

func shortErr(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		return s[i+2:]
	}
	return s
}

// Text checks a free-text field: at most max bytes, no NUL bytes.
func Text(field, value string, max int) *FieldError {
	if len(value) > max {
		return fail(field, "at most %d bytes (got %d)", max, len(value))
	}
	if strings.IndexByte(value, 0) >= 0 {
		return fail(field, "must not contain NUL bytes")
	}
	return nil
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
