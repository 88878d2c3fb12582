package structure

import (
	"go/ast"
	"go/parser"
	"go/token"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// clientsDecoderPkg is the one package that decodes an inbound's settings
// JSON and its "clients" array (users.DecodeClients, Fields, DecodeView,
// DecodeIdent, DecodeObjects).
const clientsDecoderPkg = "xray/users/"

// clientsTagHolders are the production files outside clientsDecoderPkg that
// may declare a struct with a `json:"clients"` field, each with why it is
// not a decoder of the settings' clients array.
var clientsTagHolders = map[string]string{
	"web/controller/inbound.go":            "ClientsPage is the obj of the inbounds/:id/clients reply: encoded, never decoded; its clients are inbound.ClientWithTraffic rows the store decoded",
	"tests/clusterresult/clusterresult.go": "Result.Clients is the number of clients of a benchmark run written to its JSON result, not a settings array",
}

// TestOneClientsDecoder fails when a production file outside the decoder's
// package declares a struct with a `json:"clients"` field (the shape that
// decodes settings on its own) or reads a generic settings map's clients
// with a type assertion (settings["clients"].([]any)): each such file was a
// second decoder with its own idea of malformed input and defaults. An
// allow-list entry whose file no longer does either fails too, so the list
// only shrinks.
func TestOneClientsDecoder(t *testing.T) {
	checkFiles(t, fileRule{
		allow: clientsTagHolders,
		skip:  func(rel string) bool { return strings.HasPrefix(rel, clientsDecoderPkg) },
		find:  func(f goFile) []string { return clientsDecoders(f.fset, f.file) },
		fix:   ": decode an inbound's settings through xray/users (DecodeClients, ParseSettings/Fields, DecodeView, DecodeIdent, DecodeObjects)",
		stale: "clientsTagHolders lists %s, which declares no json:\"clients\" struct any more: remove the entry",
	})
}

// TestClientsDecoderRuleCatches checks the rule on a file with every shape
// it must catch and the shapes it must leave alone.
func TestClientsDecoderRuleCatches(t *testing.T) {
	const src = `package p
type named struct {
	Method  string            ` + "`json:\"method\"`" + `
	Clients []json.RawMessage ` + "`json:\"clients,omitempty\"`" + `
}
func f(raw []byte, settings map[string]any) {
	var anon struct {
		Clients []any ` + "`json:\"clients\"`" + `
	}
	_ = json.Unmarshal(raw, &anon)
	list, _ := settings["clients"].([]any)
	_ = list
	// Left alone: writing a map, a tag that only starts with "clients",
	// a field without a tag.
	settings["clients"] = nil
	_ = map[string]any{"clients": 1}
	type other struct {
		ClientsCount int ` + "`json:\"clientsCount\"`" + `
		Clients      []int
	}
}
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "p.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := clientsDecoders(fset, f)
	want := []string{
		"struct field Clients tagged json:\"clients\" (line 4)",
		"struct field Clients tagged json:\"clients\" (line 8)",
		"type assertion on [\"clients\"] (line 11)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("rule found\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// clientsDecoders lists the decoder shapes in file: struct fields tagged
// json:"clients" (named or anonymous structs) and type assertions on an
// index expression with the key "clients".
func clientsDecoders(fset *token.FileSet, file *ast.File) []string {
	var out []string
	line := func(n ast.Node) int { return fset.Position(n.Pos()).Line }
	ast.Inspect(file, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.StructType:
			for _, field := range n.Fields.List {
				if field.Tag == nil {
					continue
				}
				tag, err := strconv.Unquote(field.Tag.Value)
				if err != nil {
					continue
				}
				name, _, _ := strings.Cut(reflect.StructTag(tag).Get("json"), ",")
				if name != "clients" {
					continue
				}
				fieldName := "(embedded)"
				if len(field.Names) > 0 {
					fieldName = field.Names[0].Name
				}
				out = append(out, "struct field "+fieldName+" tagged json:\"clients\" (line "+strconv.Itoa(line(field))+")")
			}
		case *ast.TypeAssertExpr:
			idx, ok := n.X.(*ast.IndexExpr)
			if !ok {
				return true
			}
			if lit, ok := idx.Index.(*ast.BasicLit); ok && lit.Kind == token.STRING && lit.Value == `"clients"` {
				out = append(out, "type assertion on [\"clients\"] (line "+strconv.Itoa(line(n))+")")
			}
		}
		return true
	})
	return out
}
