package sub

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mhsanaei/3x-ui/v2/sub/links"
	"github.com/mhsanaei/3x-ui/v2/sub/profile"
	"rsc.io/qr"
)

//go:embed page.html
var pageHTML string

var pageTemplate = template.Must(template.New("page").Parse(pageHTML))

// pageCSP lets the page run only its own inline script and style (by
// hash: the template's script and style are constant), load nothing from
// elsewhere, and never be framed: the page shows a client's links and
// subscription URL, so another site must not overlay or read it.
var pageCSP = "default-src 'none'; script-src " + inlineHash(pageHTML, "script") +
	"; style-src " + inlineHash(pageHTML, "style") +
	"; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// inlineHash is the CSP source ('sha256-...') of the body of the first
// <tag> element in html.
func inlineHash(html, tag string) string {
	open := strings.Index(html, "<"+tag+">")
	end := strings.Index(html, "</"+tag+">")
	if open < 0 || end < open {
		panic("sub: page.html has no <" + tag + "> element")
	}
	sum := sha256.Sum256([]byte(html[open+len(tag)+2 : end]))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

// setPageSecurityHeaders protects every subscription answer: the HTML page
// by its CSP, all of them against framing, and the subscription URL (the
// subId is the client's secret) from leaking in a Referer.
func setPageSecurityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", pageCSP)
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
}

type pageLink struct {
	Remark string
	Link   string
	QR     template.HTML
}

type pageApp struct {
	Name string
	URL  template.URL
}

type pageData struct {
	Title      string
	SubURL     string
	SubQR      template.HTML
	Used       string
	Quota      string
	Remaining  string
	Expiry     string
	LastOnline string
	Announce   string
	SupportURL string
	Links      []pageLink
	Apps       []pageApp
}

// page is the HTML answer for browsers: usage, every link with copy
// button and QR code (SVG made here), and import buttons for apps.
func (h *Handler) page(sub *profile.Subscription, r *http.Request) ([]byte, error) {
	u := sub.Usage
	subURL := h.subscriptionURL(r, h.set.URI, h.set.Path, sub.SubID)
	d := pageData{
		Title: h.title(sub), SubURL: subURL, SubQR: qrSVG(subURL),
		Used: profile.FormatBytes(u.Up + u.Down), Quota: "unlimited", Remaining: "unlimited",
		Expiry: "never", LastOnline: "never", Announce: h.set.Announce, SupportURL: h.set.SupportURL,
	}
	if u.Total > 0 {
		d.Quota = profile.FormatBytes(u.Total)
		d.Remaining = profile.FormatBytes(max(u.Total-u.Up-u.Down, 0))
	}
	if u.Expire > 0 {
		d.Expiry = time.Unix(u.Expire, 0).UTC().Format("2006-01-02 15:04 UTC")
	}
	if u.LastOnline > 0 {
		d.LastOnline = time.UnixMilli(u.LastOnline).UTC().Format("2006-01-02 15:04 UTC")
	}
	for _, e := range sub.Entries {
		l := links.Link(e)
		d.Links = append(d.Links, pageLink{Remark: e.Remark, Link: l, QR: qrSVG(l)})
	}
	clashURL := subURL
	if h.set.ClashEnable {
		clashURL = h.subscriptionURL(r, h.set.ClashURI, h.set.ClashPath, sub.SubID)
	}
	singboxURL := subURL
	if h.set.SingboxEnable {
		singboxURL = h.subscriptionURL(r, h.set.SingboxURI, h.set.SingboxPath, sub.SubID)
	}
	q := url.QueryEscape
	name := url.PathEscape(d.Title)
	d.Apps = []pageApp{
		{"v2rayNG", template.URL("v2rayng://install-config?url=" + q(subURL) + "#" + name)},
		{"Hiddify", template.URL("hiddify://import/" + subURL + "#" + name)},
		{"sing-box", template.URL("sing-box://import-remote-profile?url=" + q(singboxURL) + "#" + name)},
		{"Shadowrocket", template.URL("shadowrocket://add/sub://" + base64.URLEncoding.EncodeToString([]byte(subURL)) + "?remark=" + q(d.Title))},
		{"Streisand", template.URL("streisand://import/" + q(subURL) + "#" + name)},
		{"Clash Meta", template.URL("clash://install-config?url=" + q(clashURL) + "&name=" + q(d.Title))},
	}
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, d); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// subscriptionURL is the external URI when one is set, else this server's
// own address as the client reached it.
func (h *Handler) subscriptionURL(r *http.Request, base, path, subID string) string {
	if base != "" {
		return strings.TrimRight(base, "/") + "/" + subID
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := r.Host
	if !hostPattern.MatchString(host) {
		host = "127.0.0.1"
	}
	if h.set.Domain != "" {
		host = h.set.Domain
		if r.Host != "" {
			if i := strings.LastIndex(r.Host, ":"); i > 0 && !strings.HasSuffix(r.Host, "]") {
				host += r.Host[i:]
			}
		}
	}
	return scheme + "://" + host + path + subID
}

// qrSVG draws text as a QR code in SVG (empty when the text does not fit).
func qrSVG(text string) template.HTML {
	code, err := qr.Encode(text, qr.L)
	if err != nil {
		return ""
	}
	n := code.Size
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="-4 -4 %d %d" class="qr" shape-rendering="crispEdges"><rect x="-4" y="-4" width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n+8, n+8, n+8, n+8)
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			if code.Black(x, y) {
				fmt.Fprintf(&b, "M%d %dh1v1h-1z", x, y)
			}
		}
	}
	b.WriteString(`"/></svg>`)
	return template.HTML(b.String())
}
