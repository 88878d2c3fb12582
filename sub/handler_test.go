package sub_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/sub"
	"github.com/mhsanaei/3x-ui/v2/sub/profile"
)

func testHandler(t *testing.T, mutate func(*sub.Settings), limiter *sub.RateLimiter) (*httptest.Server, []*model.Inbound) {
	t.Helper()
	inbounds := []*model.Inbound{
		inboundFor(1, 443, combo{"vless", "", "ws", "tls"}, "", ""),
		inboundFor(2, 8443, combo{"trojan", "", "grpc", "tls"}, "", ""),
	}
	disabled := inboundFor(3, 9443, combo{"vmess", "", "ws", "none"}, "", "")
	disabled.Settings = strings.Replace(disabled.Settings, testSubID, "disabledsub00000", 1)
	disabled.ClientStats[0].Enable = false // quota reached
	inbounds = append(inbounds, disabled)
	set := sub.SettingsFrom(map[string]any{"remarkModel": "-ieo", "subTitle": "Мой VPN", "subSupportUrl": "https://help.example.com", "subAnnounce": "maintenance sunday"})
	if mutate != nil {
		mutate(&set)
	}
	src := sub.FuncSource{InboundsFunc: func() ([]*model.Inbound, error) { return inbounds, nil }, NodesFunc: func() []profile.Node { return nil }}
	ts := httptest.NewServer(sub.NewHandler(set, src, limiter))
	t.Cleanup(ts.Close)
	return ts, inbounds
}

type resp struct {
	code int
	hdr  http.Header
	body string
}

func do(t *testing.T, method, url string, hdr map[string]string) resp {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return resp{r.StatusCode, r.Header, string(b)}
}

func TestHeadersAndFormats(t *testing.T) {
	t.Parallel()
	ts, _ := testHandler(t, nil, nil)
	r := do(t, "GET", ts.URL+"/sub/"+testSubID, nil)
	if r.code != 200 {
		t.Fatalf("code %d %s", r.code, r.body)
	}
	want := "upload=2097152; download=6291456; total=21474836480; expire=1798761600"
	if got := r.hdr.Get("Subscription-Userinfo"); got != want {
		t.Errorf("Subscription-Userinfo %q, want %q", got, want)
	}
	if r.hdr.Get("Profile-Update-Interval") != "12" || r.hdr.Get("Support-Url") != "https://help.example.com" || r.hdr.Get("Announce") != "maintenance sunday" {
		t.Errorf("headers %v", r.hdr)
	}
	if got := r.hdr.Get("Profile-Web-Page-Url"); got != ts.URL+"/sub/"+testSubID {
		t.Errorf("Profile-Web-Page-Url %q", got)
	}
	if got := r.hdr.Get("Profile-Title"); got != "base64:"+base64.StdEncoding.EncodeToString([]byte("Мой VPN")) {
		t.Errorf("Profile-Title %q", got)
	}
	if cd := r.hdr.Get("Content-Disposition"); !strings.Contains(cd, "filename*=UTF-8''%D0%9C") {
		t.Errorf("Content-Disposition %q", cd)
	}
	plain, err := base64.StdEncoding.DecodeString(r.body)
	if err != nil {
		t.Fatalf("body not base64: %v", err)
	}
	lines := strings.Split(string(plain), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "vless://") || !strings.HasPrefix(lines[1], "trojan://") {
		t.Fatalf("links %q", lines)
	}
	if strings.Contains(string(plain), "other-") {
		t.Fatal("another user's client leaked")
	}

	head := do(t, "HEAD", ts.URL+"/sub/"+testSubID, nil)
	if head.code != 200 || head.body != "" || head.hdr.Get("Subscription-Userinfo") != want {
		t.Errorf("HEAD: %d %q %v", head.code, head.body, head.hdr)
	}

	info := do(t, "GET", ts.URL+"/sub/"+testSubID+"?format=info", nil)
	var got sub.Info
	if err := json.Unmarshal([]byte(info.body), &got); err != nil || got.Up != 2<<20 || got.Down != 6<<20 || got.Links != 2 || got.Expire != 1798761600 {
		t.Errorf("info %v %s", err, info.body)
	}

	for format, marker := range map[string]string{"json": `"outbounds"`, "clash": "proxy-groups:", "singbox": `"selector"`, "links": ""} {
		r := do(t, "GET", ts.URL+"/sub/"+testSubID+"?format="+format, nil)
		if r.code != 200 || !strings.Contains(r.body, marker) {
			t.Errorf("format=%s: %d %.80s", format, r.code, r.body)
		}
	}
	for path, marker := range map[string]string{"/json/": `"outbounds"`, "/clash/": "proxy-groups:", "/singbox/": `"selector"`} {
		r := do(t, "GET", ts.URL+path+testSubID, nil)
		if r.code != 200 || !strings.Contains(r.body, marker) {
			t.Errorf("%s: %d %.80s", path, r.code, r.body)
		}
	}
}

func TestUserAgentDetection(t *testing.T) {
	t.Parallel()
	ts, _ := testHandler(t, func(s *sub.Settings) { s.JSONAutoDetect = true }, nil)
	cases := map[string]string{
		"ClashMetaForAndroid/2.11.1.Meta": "proxy-groups:",
		"mihomo/1.19.13":                  "proxy-groups:",
		"Stash/2.4.7 Clash/1.0":           "proxy-groups:",
		"FlClash/v0.8.80":                 "proxy-groups:",
		"sing-box 1.14.1":                 `"selector"`,
		"SFA/1.11.0 (sing-box 1.11.0)":    `"selector"`,
		"SFI/1.10":                        `"selector"`,
		"HiddifyNext/2.5.7":               `"selector"`,
		"Karing/1.1.2":                    `"selector"`,
		"v2rayNG/1.9.30":                  "",
		"v2rayN/7.10":                     "",
		"Streisand":                       "",
		"Happ/1.0":                        "",
		"Shadowrocket/2070":               "",
		"V2RayTun/1.0":                    `"remarks"`,
	}
	for ua, marker := range cases {
		r := do(t, "GET", ts.URL+"/sub/"+testSubID, map[string]string{"User-Agent": ua})
		if marker == "" {
			if _, err := base64.StdEncoding.DecodeString(r.body); err != nil {
				t.Errorf("%s: want base64 links, got %.60s", ua, r.body)
			}
			continue
		}
		if !strings.Contains(r.body, marker) {
			t.Errorf("%s: want %s, got %.60s", ua, marker, r.body)
		}
	}
	off, _ := testHandler(t, func(s *sub.Settings) { s.ClashAutoDetect = false }, nil)
	r := do(t, "GET", off.URL+"/sub/"+testSubID, map[string]string{"User-Agent": "mihomo/1.19"})
	if strings.Contains(r.body, "proxy-groups") {
		t.Error("clash auto-detect off still served clash")
	}
}

func TestBrowserPage(t *testing.T) {
	t.Parallel()
	ts, _ := testHandler(t, nil, nil)
	r := do(t, "GET", ts.URL+"/sub/"+testSubID, map[string]string{"Accept": "text/html,application/xhtml+xml", "User-Agent": "Mozilla/5.0"})
	if r.code != 200 || !strings.HasPrefix(r.hdr.Get("Content-Type"), "text/html") {
		t.Fatalf("%d %v", r.code, r.hdr)
	}
	for _, want := range []string{"<svg", "vless://", "trojan://", "v2rayng://install-config?url=", "hiddify://import/", "sing-box://import-remote-profile?url=", "shadowrocket://add/sub://", "streisand://import/", "clash://install-config?url=", "data-copy=", "20.00GB", "2027-01-01"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, bad := range []string{"<script src", "https://cdn", "http://cdn", "ZgotmplZ", "other-1"} {
		if strings.Contains(r.body, bad) {
			t.Errorf("page contains %q", bad)
		}
	}
}

func TestSafety(t *testing.T) {
	t.Parallel()
	ts, _ := testHandler(t, nil, nil)
	huge := strings.Repeat("a", 5000)
	for _, path := range []string{
		"/sub/unknownsubid0000", "/sub/disabledsub00000", "/sub/", "/sub", "/", "/sub/../json/" + testSubID,
		"/sub/%2e%2e/etc/passwd", "/sub/..%2f..%2fetc%2fpasswd", "/sub/" + huge, "/sub/a%00b", "/sub/" + testSubID + "/x",
		"/sub/%3Cscript%3E", "/panel/api/inbounds/list", "/login", "/panel/", "/json/../sub/" + testSubID,
	} {
		r := do(t, "GET", ts.URL+path, nil)
		if r.code < 400 || r.code >= 500 {
			t.Errorf("%.60s: %d", path, r.code)
		}
		if strings.Contains(r.body, "vless://") || strings.Contains(r.body, testUUID) || len(r.body) > 100 {
			t.Errorf("%.60s leaked %q", path, r.body)
		}
	}
	if r := do(t, "GET", ts.URL+"/sub/"+testSubID+"?format=exe", nil); r.code != 400 {
		t.Errorf("unknown format: %d", r.code)
	}
	if r := do(t, "POST", ts.URL+"/sub/"+testSubID, nil); r.code != 405 {
		t.Errorf("POST: %d", r.code)
	}
	off, _ := testHandler(t, func(s *sub.Settings) { s.ClashEnable = false }, nil)
	if r := do(t, "GET", off.URL+"/clash/"+testSubID, nil); r.code != 404 {
		t.Errorf("disabled clash path: %d", r.code)
	}
	if r := do(t, "GET", off.URL+"/sub/"+testSubID+"?format=clash", nil); r.code != 400 {
		t.Errorf("disabled clash format: %d", r.code)
	}
}

func TestRateLimitPerIP(t *testing.T) {
	t.Parallel()
	ts, _ := testHandler(t, nil, sub.NewRateLimiter(5, 1))
	ok, limited := 0, 0
	for range 12 {
		r := do(t, "GET", ts.URL+"/sub/"+testSubID, nil)
		switch r.code {
		case 200:
			ok++
		case 429:
			limited++
			if r.hdr.Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
		}
	}
	if ok < 5 || ok > 6 || limited < 6 {
		t.Errorf("ok=%d limited=%d", ok, limited)
	}
	l := sub.NewRateLimiter(2, 60)
	if !l.Allow("10.0.0.1") || !l.Allow("10.0.0.1") || l.Allow("10.0.0.1") || !l.Allow("10.0.0.2") {
		t.Error("buckets are not per IP")
	}
}
