package sub_test

import (
	"crypto/sha256"
	"encoding/base64"
	"regexp"
	"strings"
	"testing"
)

// TestSubscriptionPageHasCSPAndNoFraming is issue 22 finding 12: the
// subscription HTML page had no Content-Security-Policy and no frame
// protection. It now carries a CSP whose hashes are exactly those of the
// page's own inline script and style (so the copy buttons still work and
// nothing injected runs), frame-ancestors 'none' plus X-Frame-Options, and
// no Referer leaks the subscription URL.
func TestSubscriptionPageHasCSPAndNoFraming(t *testing.T) {
	t.Parallel()
	ts, _ := testHandler(t, nil, nil)
	r := do(t, "GET", ts.URL+"/sub/"+testSubID, map[string]string{"Accept": "text/html", "User-Agent": "Mozilla/5.0"})
	if r.code != 200 || !strings.HasPrefix(r.hdr.Get("Content-Type"), "text/html") {
		t.Fatalf("page: %d %s", r.code, r.hdr.Get("Content-Type"))
	}
	csp := r.hdr.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("CSP allows any inline code: %q", csp)
	}
	for _, tag := range []string{"script", "style"} {
		m := regexp.MustCompile(`(?s)<`+tag+`>(.*?)</`+tag+`>`).FindAllStringSubmatch(r.body, -1)
		if len(m) != 1 {
			t.Fatalf("page has %d <%s> elements, want 1", len(m), tag)
		}
		sum := sha256.Sum256([]byte(m[0][1]))
		want := tag + "-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q does not allow the page's own %s (%s)", csp, tag, want)
		}
	}
	if got := r.hdr.Get("X-Frame-Options"); got != "DENY" {
		t.Errorf("X-Frame-Options = %q, want DENY", got)
	}
	if got := r.hdr.Get("Referrer-Policy"); got != "no-referrer" {
		t.Errorf("Referrer-Policy = %q, want no-referrer", got)
	}
	if got := r.hdr.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}
}
