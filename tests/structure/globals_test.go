package structure

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// goFile is one parsed non-test Go file of the module.
type goFile struct {
	rel  string // slash path from the module root
	file *ast.File
	fset *token.FileSet // positions of file
}

func parseModule(t *testing.T) []goFile {
	t.Helper()
	root := moduleRoot(t)
	fset := token.NewFileSet()
	var out []goFile
	err := walkSources(root, func(path string) error {
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		out = append(out, goFile{filepath.ToSlash(rel), f, fset})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// globalReaders are the files allowed to reach the process database handle
// or to read x-ui.json: main (package main at the root) and the plan's
// package-level facades, each with its reason. The panel section of
// x-ui.json reaches the rest through config.PanelSection, which main's
// typed config fills.
var globalReaders = map[string]string{
	"database/db.go":               "defines the plan's InitDB/GetDB/CloseDB/Reconnect facades over the process handle",
	"database/shared_state.go":     "txOrDB: the plan's GetSharedAccountsVersion(nil) reads the process handle",
	"database/testdb/testdb.go":    "test helper package: Open makes a test database the process one for the plan's tests",
	"cluster/role.go":              "NodeFromJSON: the plan's IsWorker/RequireMaster facades read the role from x-ui.json",
	"web/service/traffic_flush.go": "the plan's NewTrafficFlushService(store) facade",
}

var fromJSON = regexp.MustCompile(`^Get[A-Za-z]*FromJSON$`)

// TestNoGlobalDatabaseOrConfigReads fails on any database.Conn/GetDB/
// Reconnect/Process or config.Get*FromJSON call outside main and the
// plan's facades: every other part gets its database
// handle and role through its constructor. An allow-list entry whose file
// no longer reads a global fails too, so the list only shrinks.
func TestNoGlobalDatabaseOrConfigReads(t *testing.T) {
	checkFiles(t, fileRule{
		allow: globalReaders,
		skip: func(rel string) bool {
			return !strings.Contains(rel, "/") || strings.HasPrefix(rel, "config/") // package main, or config itself
		},
		find:  globalReads,
		fix:   "",
		stale: "globalReaders lists %s, which reads no global handle or x-ui.json any more: remove the entry",
	})
}

// fileRule is one "nothing outside the allow-list does X" check over the
// module's production files.
type fileRule struct {
	allow map[string]string     // files allowed to do it, each with its reason
	skip  func(rel string) bool // files the rule does not cover
	find  func(f goFile) []string
	fix   string // appended to each finding: what to do instead
	stale string // format for an allow-list entry whose file no longer does it
}

// checkFiles reports every finding outside the allow-list, and every
// allow-list entry whose file has no finding any more, so lists only shrink.
func checkFiles(t *testing.T, r fileRule) {
	t.Helper()
	seen := map[string]bool{}
	for _, f := range parseModule(t) {
		if r.skip(f.rel) {
			continue
		}
		found := r.find(f)
		if _, ok := r.allow[f.rel]; ok {
			seen[f.rel] = len(found) > 0
			continue
		}
		for _, x := range found {
			t.Errorf("%s %s%s", f.rel, x, r.fix)
		}
	}
	for rel := range r.allow {
		if !seen[rel] {
			t.Errorf(r.stale, rel)
		}
	}
}

// globalReads lists f's calls that reach the process database handle or
// re-read x-ui.json, each with what to do instead. Inside package database
// the facades are called unqualified, so those calls count as well.
func globalReads(f goFile) []string {
	var out []string
	inDatabase := f.file.Name.Name == "database"
	ast.Inspect(f.file, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		if id, ok := call.Fun.(*ast.Ident); ok && inDatabase && isProcessDBFunc(id.Name) {
			out = append(out, "calls "+id.Name+"(): take a *database.Handle in the constructor")
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		pkg, ok := sel.X.(*ast.Ident)
		if !ok {
			return true
		}
		switch {
		case pkg.Name == "database" && isProcessDBFunc(sel.Sel.Name):
			out = append(out, "calls database."+sel.Sel.Name+"(): take a *database.Handle in the constructor")
		case pkg.Name == "config" && fromJSON.MatchString(sel.Sel.Name):
			out = append(out, "calls config."+sel.Sel.Name+"(): main loads x-ui.json once; take the part you need in the constructor")
		case pkg.Name == "cluster" && (sel.Sel.Name == "NodeFromJSON" || sel.Sel.Name == "RequireMaster" || sel.Sel.Name == "IsWorker" || sel.Sel.Name == "IsMaster" || sel.Sel.Name == "IsSharedModeEnabled"):
			if f.rel != "web/service/node_guard.go" { // the plan's web/service facades
				out = append(out, "calls cluster."+sel.Sel.Name+"(), which re-reads x-ui.json: take a *cluster.Node in the constructor")
			}
		}
		return true
	})
	return out
}

// isProcessDBFunc reports whether name is one of database's functions
// over the process handle.
func isProcessDBFunc(name string) bool {
	return name == "Conn" || name == "GetDB" || name == "Reconnect" || name == "Process"
}

// mutableVars are the package-level variables that may exist, each with
// why it is not shared mutable state (or why it must be). Sentinel errors
// (Err*), go:embed targets and compiled regexps are allowed by rule.
var mutableVars = map[string]string{
	"auth/totp.go b32":                               "read-only base32 encoding, set once",
	"auth/user.go dummyHash":                         "lazily computed constant bcrypt hash, guarded by dummyHashOnce",
	"auth/user.go dummyHashOnce":                     "guards dummyHash",
	"cluster/nodekey.go nodeKey":                     "the node's signing key, loaded once per key file and guarded by its mutex: one key file per data folder",
	"cmd_setting.go boolSettingFlags":                "read-only table of the CLI's boolean flags",
	"config/load.go knownKeyTypes":                   "read-only table of x-ui.json key types",
	"config/settings_json.go panelResetKeys":         "read-only list",
	"config/settings_json.go settingGroupAliases":    "read-only table",
	"config/settings_json.go settingsFileMu":         "serialises writers of the one x-ui.json file of the process",
	"database/db.go db":                              "the plan's tests read the process handle's connection directly",
	"database/db.go process":                         "the plan's InitDB/GetDB/CloseDB facades: one process handle, handed out only by main and the app",
	"database/upgrade3xui/inspect.go requiredTables": "read-only list",
	"database/upgrade3xui/inspect.go upstreamTables": "read-only list",
	"database/upgrade3xui/plan.go ignoredGroups":     "read-only table",
	"database/upgrade3xui/plan.go jsonMoves":         "read-only table",
	"database/upgrade3xui/plan.go sharedKeys":        "read-only table",
	"inbound/client_paged.go clientSortColumns":      "read-only table",
	"logging/logging.go rank":                        "read-only table of log levels",
	"notify/telegram/i18n.go texts":                  "read-only table of the bot's texts by language",
	"notify/telegram.go tgAlertTexts":                "read-only table of the Telegram alerts' texts by language",
	"ops/backup.go backupSkipTables":                 "read-only list",
	"ops/backup.go sqliteMagic":                      "read-only file signature",
	"ops/backup_check.go backupRequiredTables":       "read-only list",
	"settings/panel.go panelKeys":                    "read-only table",
	"settings/setting_defs.go settingDefs":           "read-only table of setting definitions, filled by init",
	"sub/handler.go lastLog":                         "rate limit of one log line for the whole process (atomic)",
	"sub/page.go pageCSP":                            "read-only: computed once from the embedded page",
	"sub/page.go pageTemplate":                       "parsed template, read-only",
	"sub/settings.go Defs":                           "read-only table of subscription setting definitions",
	"web/middleware/bodyrate.go DefaultBodyRate":     "read-only default; an App takes its own BodyRate through Options",
	"tests/testbin/testbin.go buildErr":              "test binaries are built once per test process",
	"tests/testbin/testbin.go buildOnce":             "guards the one build per test process",
	"tests/testbin/testbin.go built":                 "test binaries are built once per test process",
	"validate/template.go NeededAPIServices":         "read-only list",
	"validate/validate.go Networks":                  "read-only list",
	"validate/validate.go Securities":                "read-only list",
	"validate/validate.go realityNetworks":           "read-only list",
	"web/assets/assets.go Pages":                     "parsed templates, read-only",
	"web/middleware/gzip.go gzipPool":                "sync.Pool of writers, safe for concurrent use",
	"xray/process_linux.go spawnOnce":                "starts the one spawner helper of the process",
	"xray/process_linux.go spawnReqs":                "requests to the one spawner helper of the process",
	"xray/xraytest/xraytest.go handedOut":            "test helper: ports given out once per test process, under a mutex",
	"xray/users/users.go SS2022KeySize":              "read-only table",
	"xray/users/users.go SSClassicMethods":           "read-only list",
	"xray/users/users.go VLESSFlows":                 "read-only list",
	"xray/users/users.go VMessSecurities":            "read-only list",
	"xray/users/users.go XrayFields":                 "read-only list",
	"xray/xraytest/payload.go pattern":               "read-only test payload",
}

// TestNoPackageLevelMutableVars fails on a package-level var that is not
// in mutableVars: state belongs to the part that owns it, built once by
// the app, not to the package.
func TestNoPackageLevelMutableVars(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range parseModule(t) {
		for _, decl := range f.file.Decls {
			g, ok := decl.(*ast.GenDecl)
			if !ok || g.Tok != token.VAR {
				continue
			}
			embedded := hasEmbed(g.Doc)
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				if hasEmbed(vs.Doc) {
					embedded = true
				}
				for i, name := range vs.Names {
					key := f.rel + " " + name.Name
					if name.Name == "_" || strings.HasPrefix(name.Name, "Err") || strings.HasPrefix(name.Name, "err") ||
						embedded || isRegexp(vs, i) {
						continue
					}
					seen[key] = true
					if _, ok := mutableVars[key]; !ok {
						t.Errorf("package-level var %s: move it into the part that owns it, or add it to mutableVars with a reason", key)
					}
				}
			}
		}
	}
	for key := range mutableVars {
		if !seen[key] {
			t.Errorf("mutableVars lists %s, which no longer exists: remove the entry", key)
		}
	}
}

// isRegexp reports whether the i-th value is regexp.MustCompile(...).
func isRegexp(vs *ast.ValueSpec, i int) bool {
	if i >= len(vs.Values) {
		return false
	}
	call, ok := vs.Values[i].(*ast.CallExpr)
	if !ok {
		return false
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	pkg, ok := sel.X.(*ast.Ident)
	return ok && pkg.Name == "regexp" && sel.Sel.Name == "MustCompile"
}

// hasEmbed reports whether doc carries a //go:embed directive (Text drops
// directives, so the raw lines are searched).
func hasEmbed(doc *ast.CommentGroup) bool {
	if doc == nil {
		return false
	}
	for _, c := range doc.List {
		if strings.HasPrefix(c.Text, "//go:embed") {
			return true
		}
	}
	return false
}
