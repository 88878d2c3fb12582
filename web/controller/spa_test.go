package controller

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/gin-gonic/gin"
)

func TestSPAServing(t *testing.T) {
	gin.SetMode(gin.TestMode)
	files := fstest.MapFS{
		"index.html":         {Data: []byte(`<!doctype html><html><head><title>x</title></head><body><script type="module" src="./assets/app-1a2b.js"></script></body></html>`)},
		"assets/app-1a2b.js": {Data: []byte(`console.log(1)`)},
	}
	s, err := newSPA(files, `/pa"th/`)
	if err != nil {
		t.Fatal(err)
	}
	engine := gin.New()
	engine.GET("/i", s.serveIndex)
	engine.GET("/assets/*filepath", s.serveAsset)
	get := func(path string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		engine.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		return w
	}
	w := get("/i")
	if w.Code != 200 || !strings.Contains(w.Body.String(), `<head><base href="/pa&quot;th/">`) {
		t.Fatalf("index: %d %s", w.Code, w.Body)
	}
	if cc := w.Header().Get("Cache-Control"); !strings.Contains(cc, "no-cache") {
		t.Fatalf("index Cache-Control %q", cc)
	}
	if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self';") || strings.Contains(csp, "unsafe-eval") {
		t.Fatalf("CSP %q", csp)
	}
	w = get("/assets/app-1a2b.js")
	if w.Code != 200 || w.Header().Get("Content-Type") != "text/javascript; charset=utf-8" || !strings.Contains(w.Header().Get("Cache-Control"), "immutable") {
		t.Fatalf("asset: %d %v", w.Code, w.Header())
	}
	for _, p := range []string{"/assets/missing.js", "/assets/../index.html", "/assets/%2e%2e/index.html"} {
		if w = get(p); w.Code != 404 {
			t.Fatalf("%s: %d", p, w.Code)
		}
	}
	if _, err := newSPA(fstest.MapFS{}, "/"); err == nil {
		t.Fatal("a UI without index.html must be refused")
	}
}
