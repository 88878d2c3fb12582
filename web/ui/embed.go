// Package ui embeds the built React admin UI (web/ui/dist/app, made by
// `make ui`). A Go build without it still compiles: App returns nil and
// the panel serves a page that says how to build the UI.
package ui

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// App is the built UI (index.html and assets/), or nil when not built.
func App() fs.FS {
	sub, err := fs.Sub(dist, "dist/app")
	if err != nil {
		return nil
	}
	if _, err := fs.Stat(sub, "index.html"); err != nil {
		return nil
	}
	return sub
}
