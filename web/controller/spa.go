package controller

import (
	"bytes"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/gin-gonic/gin"
)

// uiCSP allows only the UI's own scripts: no inline or eval'd script.
// antd writes its styles into <style> tags, hence 'unsafe-inline' for styles
// only; QR codes are data: images.
const uiCSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; connect-src 'self'; font-src 'self' data:; object-src 'none'; " +
	"base-uri 'self'; frame-ancestors 'none'; form-action 'self'"

// spa serves the built React UI: hashed assets with a year-long cache and
// index.html (with the base path as <base href>) never cached.
type spa struct {
	files    fs.FS
	index    []byte
	basePath string
}

func newSPA(files fs.FS, basePath string) (*spa, error) {
	raw, err := fs.ReadFile(files, "index.html")
	if err != nil {
		return nil, err
	}
	// The app is built with relative asset URLs; <base> makes them resolve
	// under whatever webBasePath this panel runs at.
	tag := []byte(`<head><base href="` + htmlAttr(basePath) + `">`)
	index := bytes.Replace(raw, []byte("<head>"), tag, 1)
	return &spa{files: files, index: index, basePath: basePath}, nil
}

func htmlAttr(s string) string {
	return strings.NewReplacer(`"`, "&quot;", "<", "&lt;", ">", "&gt;", "&", "&amp;").Replace(s)
}

func (s *spa) serveIndex(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Cache-Control", "no-cache, no-store, must-revalidate")
	h.Set("Content-Security-Policy", uiCSP)
	c.Data(http.StatusOK, "text/html; charset=utf-8", s.index)
}

func (s *spa) serveAsset(c *gin.Context) {
	name := path.Clean("assets/" + strings.TrimPrefix(c.Param("filepath"), "/"))
	if !strings.HasPrefix(name, "assets/") {
		c.String(http.StatusNotFound, "404 page not found")
		return
	}
	data, err := fs.ReadFile(s.files, name)
	if err != nil {
		c.String(http.StatusNotFound, "404 page not found")
		return
	}
	// File names carry a content hash: a changed file is a new URL.
	c.Header("Cache-Control", "public, max-age=31536000, immutable")
	c.Header("Content-Security-Policy", uiCSP)
	c.Data(http.StatusOK, contentType(name), data)
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".png":
		return "image/png"
	case ".woff2":
		return "font/woff2"
	case ".json":
		return "application/json"
	}
	return "application/octet-stream"
}
