package sub

import (
	"encoding/json"
	"errors"
	"log"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/sub/clash"
	"github.com/mhsanaei/3x-ui/v2/sub/links"
	"github.com/mhsanaei/3x-ui/v2/sub/profile"
	"github.com/mhsanaei/3x-ui/v2/sub/singbox"
	"github.com/mhsanaei/3x-ui/v2/sub/xrayjson"
)

// Source gives the subscription server what it renders. A master reads the
// database; a worker reads its cached snapshot, so it keeps serving while
// the database is away.
type Source interface {
	// Inbounds are every inbound with its ClientStats.
	Inbounds() ([]*model.Inbound, error)
	// Nodes are the live nodes with a public address; none on a single node.
	Nodes() ([]profile.Node, error)
}

// Formats.
const (
	FormatLinks   = "links"
	FormatJSON    = "json"
	FormatClash   = "clash"
	FormatSingbox = "singbox"
	FormatInfo    = "info"
	formatPage    = "page"
)

// subIDPattern admits what the panel generates and what 3x-ui imports;
// anything else is answered like an unknown subId.
var subIDPattern = regexp.MustCompile(`^[A-Za-z0-9_\-]{1,128}$`)

// Handler serves one settings generation.
type Handler struct {
	set     Settings
	src     Source
	limiter *RateLimiter
	now     func() time.Time
	clashUA *regexp.Regexp
	sboxUA  *regexp.Regexp
	jsonUA  *regexp.Regexp
}

// NewHandler builds the handler; a bad User-Agent pattern falls back to the
// default so a hand-edited row cannot stop the server.
func NewHandler(set Settings, src Source, limiter *RateLimiter) *Handler {
	return &Handler{
		set: set, src: src, limiter: limiter, now: time.Now,
		clashUA: compileOr(set.ClashUserAgents, DefaultClashUserAgents),
		sboxUA:  compileOr(set.SingboxUserAgents, DefaultSingboxUserAgents),
		jsonUA:  compileOr(set.JSONUserAgents, DefaultJSONUserAgents),
	}
}

func compileOr(p, def string) *regexp.Regexp {
	if re, err := regexp.Compile(p); err == nil && p != "" {
		return re
	}
	return regexp.MustCompile(def)
}

func plain(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(msg + "\n"))
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	setPageSecurityHeaders(w.Header())
	if refuseBody(w, r) {
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		plain(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	if h.limiter != nil && !h.limiter.Allow(clientIP(r)) {
		w.Header().Set("Retry-After", "60")
		plain(w, http.StatusTooManyRequests, "too many requests")
		return
	}
	pathFormat, subID, ok := h.route(r.URL.Path)
	if !ok {
		plain(w, http.StatusNotFound, "not found")
		return
	}
	format, ok := h.pickFormat(r, pathFormat)
	if !ok {
		plain(w, http.StatusBadRequest, "unknown format (use links, json, clash, singbox or info)")
		return
	}
	inbounds, found, err := h.inboundsFor(subID)
	if err != nil {
		logThrottled("read inbounds: %v", err)
		plain(w, http.StatusServiceUnavailable, "subscription temporarily unavailable")
		return
	}
	if !found {
		plain(w, http.StatusNotFound, "not found")
		return
	}
	nodes, err := h.src.Nodes()
	if err != nil {
		logThrottled("read nodes: %v", err)
		nodes = nil
	}
	sub := profile.Collect(inbounds, nodes, subID, profile.Options{
		Host: h.host(r), RemarkModel: h.set.RemarkModel, Now: h.now(),
	})
	if sub == nil {
		plain(w, http.StatusNotFound, "not found")
		return
	}
	h.writeHeaders(w, r, sub)
	body, ctype, err := h.render(format, sub, r)
	if err != nil {
		log.Printf("subscription %s: render %s: %v", subID, format, err)
		plain(w, http.StatusInternalServerError, "cannot render this subscription")
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if format != formatPage && format != FormatInfo {
		w.Header().Set("Content-Disposition", contentDisposition(h.title(sub), format))
	}
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(body)
}

// inboundsFor gives what Collect needs for subID: through the source's
// index when it has one (an unknown subId costs a map miss), else every
// inbound.
func (h *Handler) inboundsFor(subID string) ([]*model.Inbound, bool, error) {
	if ix, ok := h.src.(SubIDLookup); ok {
		return ix.Lookup(subID)
	}
	list, err := h.src.Inbounds()
	return list, err == nil, err
}

// route maps a request path to its path format and subId. Only the
// configured prefixes followed by one clean path segment match.
func (h *Handler) route(path string) (string, string, bool) {
	type prefix struct {
		path, format string
		on           bool
	}
	for _, p := range []prefix{
		{h.set.Path, FormatLinks, true},
		{h.set.JSONPath, FormatJSON, h.set.JSONEnable},
		{h.set.ClashPath, FormatClash, h.set.ClashEnable},
		{h.set.SingboxPath, FormatSingbox, h.set.SingboxEnable},
	} {
		if !p.on || p.path == "" || !strings.HasPrefix(path, p.path) {
			continue
		}
		id := path[len(p.path):]
		if !subIDPattern.MatchString(id) {
			return "", "", false
		}
		return p.format, id, true
	}
	return "", "", false
}

// pickFormat: an explicit ?format wins; on the links path an app's
// User-Agent (auto-detect) or a browser's Accept picks the rest.
func (h *Handler) pickFormat(r *http.Request, pathFormat string) (string, bool) {
	if f := r.URL.Query().Get("format"); f != "" || r.URL.Query().Has("format") {
		switch f {
		case FormatLinks, FormatInfo:
			return f, true
		case FormatJSON:
			return f, h.set.JSONEnable
		case FormatClash:
			return f, h.set.ClashEnable
		case FormatSingbox:
			return f, h.set.SingboxEnable
		}
		return "", false
	}
	if pathFormat != FormatLinks {
		return pathFormat, true
	}
	ua := r.UserAgent()
	switch {
	case h.set.ClashAutoDetect && h.set.ClashEnable && h.clashUA.MatchString(ua):
		return FormatClash, true
	case h.set.SingboxAutoDetect && h.set.SingboxEnable && h.sboxUA.MatchString(ua):
		return FormatSingbox, true
	case h.set.JSONAutoDetect && h.set.JSONEnable && h.jsonUA.MatchString(ua):
		return FormatJSON, true
	}
	if h.set.ShowInfo && strings.Contains(r.Header.Get("Accept"), "text/html") {
		return formatPage, true
	}
	return FormatLinks, true
}

var hostPattern = regexp.MustCompile(`^[A-Za-z0-9.\-:\[\]]{1,253}$`)

// host is the address links carry on a single node: subDomain, else the
// host the client used to reach this server.
func (h *Handler) host(r *http.Request) string {
	if h.set.Domain != "" {
		return h.set.Domain
	}
	host := r.Host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		host = hh
	}
	host = strings.Trim(host, "[]")
	if !hostPattern.MatchString(host) {
		return "127.0.0.1"
	}
	return host
}

func (h *Handler) title(sub *profile.Subscription) string {
	if h.set.Title != "" {
		return h.set.Title
	}
	return sub.SubID
}

func (h *Handler) render(format string, sub *profile.Subscription, r *http.Request) ([]byte, string, error) {
	switch format {
	case FormatLinks:
		return links.Body(links.Render(sub.Entries), h.set.Encrypt), "text/plain; charset=utf-8", nil
	case FormatJSON:
		b, err := xrayjson.Render(sub.Entries)
		return b, "application/json; charset=utf-8", err
	case FormatClash:
		b, err := clash.Render(h.set.ClashTemplate, sub.Entries)
		return b, "text/yaml; charset=utf-8", err
	case FormatSingbox:
		b, err := singbox.Render(sub.Entries)
		return b, "application/json; charset=utf-8", err
	case FormatInfo:
		b, err := json.Marshal(h.info(sub))
		return b, "application/json; charset=utf-8", err
	case formatPage:
		b, err := h.page(sub, r)
		return b, "text/html; charset=utf-8", err
	}
	return nil, "", errors.New("unknown format")
}

// Info is the ?format=info answer.
type Info struct {
	SubID string `json:"subId"`
	profile.Usage
	Links int `json:"links"`
}

func (h *Handler) info(sub *profile.Subscription) Info {
	return Info{SubID: sub.SubID, Usage: sub.Usage, Links: len(sub.Entries)}
}

// clientIP is the peer address: forwarding headers are not trusted, so
// nobody can spread requests over made-up addresses.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

var lastLog atomic.Int64

// logThrottled logs at most once every 30 s: a worker without a snapshot
// yet would otherwise log every request.
func logThrottled(format string, args ...any) {
	now := time.Now().Unix()
	if last := lastLog.Load(); now-last >= 30 && lastLog.CompareAndSwap(last, now) {
		log.Printf("subscription: "+format, args...)
	}
}

// refuseBody answers 400 to a request that carries a body: no subscription
// route takes one, and net/http would otherwise drain up to 256 KiB of it
// (at whatever pace the client sends) before the answer. The connection
// is closed right after the answer, without reading a body byte.
func refuseBody(w http.ResponseWriter, r *http.Request) bool {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return false
	}
	w.Header().Set("Connection", "close")
	_ = http.NewResponseController(w).SetReadDeadline(time.Now())
	plain(w, http.StatusBadRequest, "body: a subscription request has none")
	return true
}
