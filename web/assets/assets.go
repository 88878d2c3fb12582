// Package assets embeds the server-rendered pages served until the Vue UI
// replaces them: the login page and a placeholder panel page.
package assets

import (
	"embed"
	"html/template"
)

//go:embed *.html
var files embed.FS

// Pages are the parsed templates; each takes PageData.
var Pages = template.Must(template.ParseFS(files, "*.html"))

// PageData is what the templates render.
type PageData struct {
	Title    string
	BasePath string
	Version  string
	Nonce    string // this response's CSP script nonce
}
